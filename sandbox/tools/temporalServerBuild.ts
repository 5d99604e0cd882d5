// Builds the Temporal server and its SQL schema tool from the Go module `go.temporal.io/server` into
// `.tools/temporal-server/<version>/` (bin/temporal-server, bin/temporal-sql-tool, schema/postgresql/),
// once: a stamp naming the version makes a second run return at once. `go install module@version`
// needs no module of our own: both mains are in the server's module and it has no replace directives.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toolsDir } from '../paths';
import { findOnPath } from './resolve';
import { ToolInstallError } from './install';
import { clusterPins, temporalServerModule } from './clusterPins';

export interface TemporalServerTools {
  version: string;
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 from the module: `temporal/` and `visibility/`, each with `versioned/`. */
  postgresSchemaDir: string;
}

export function temporalServerTools(version: string = clusterPins.temporalServer): TemporalServerTools {
  const dir = path.join(toolsDir, 'temporal-server', version);
  return {
    version,
    server: path.join(dir, 'bin', 'temporal-server'),
    sqlTool: path.join(dir, 'bin', 'temporal-sql-tool'),
    postgresSchemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
}

interface BuildStamp {
  version: string;
  goVersion: string;
  builtAt: string;
  buildSeconds: number;
}

const stampOf = (tools: TemporalServerTools) =>
  path.join(path.dirname(path.dirname(tools.server)), 'built.json');

function alreadyBuilt(tools: TemporalServerTools): boolean {
  try {
    const stamp = JSON.parse(fs.readFileSync(stampOf(tools), 'utf8')) as Partial<BuildStamp>;
    return (
      stamp.version === tools.version &&
      [tools.server, tools.sqlTool, path.join(tools.postgresSchemaDir, 'temporal', 'versioned')].every((f) =>
        fs.existsSync(f),
      )
    );
  } catch {
    return false;
  }
}

function go(args: string[], env: NodeJS.ProcessEnv, what: string): string {
  const goBin = findOnPath('go');
  if (!goBin) {
    throw new ToolInstallError(
      `the Temporal server for the PostgreSQL cluster is built from source and needs Go on PATH (the module asks for 1.25.8 or newer): install it and run the command again.`,
    );
  }
  // Niced: the build takes minutes of both cores; what else runs on the machine keeps its share.
  const nice = findOnPath('nice');
  const [command, commandArgs] = nice ? [nice, ['-n', '10', goBin, ...args]] : [goBin, args];
  const result = spawnSync(command, commandArgs, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new ToolInstallError(
      `${what} failed (go ${args.join(' ')} exited ${result.status ?? result.signal}); its output is above. A module the proxy does not serve or a Go older than the module asks for are the usual causes.`,
    );
  }
  return result.stdout;
}

/** Builds (first time only) and returns the server, the SQL tool and the PostgreSQL schema files. */
export function installTemporalServer(version: string = clusterPins.temporalServer): TemporalServerTools {
  const tools = temporalServerTools(version);
  if (alreadyBuilt(tools)) return tools;
  const dir = path.dirname(path.dirname(tools.server));
  const binDir = path.join(dir, 'bin');
  fs.mkdirSync(binDir, { recursive: true });
  console.log(
    `ekm: building the Temporal server ${version} from ${temporalServerModule} into ${path.relative(process.cwd(), dir)} (once; several minutes) …`,
  );
  const started = Date.now();
  const buildDir = fs.mkdtempSync(path.join(dir, '.build-'));
  try {
    // Built into a scratch folder and moved into place, so an interrupted build leaves no half binary.
    go(
      [
        'install',
        `${temporalServerModule}/cmd/server@${version}`,
        `${temporalServerModule}/cmd/tools/sql@${version}`,
      ],
      { GOBIN: buildDir, GOFLAGS: '-buildvcs=false' },
      `building ${temporalServerModule}@${version}`,
    );
    fs.renameSync(path.join(buildDir, 'server'), tools.server);
    fs.renameSync(path.join(buildDir, 'sql'), tools.sqlTool);
  } finally {
    fs.rmSync(buildDir, { recursive: true, force: true });
  }
  // The schema files ship in the module source, which the build left in the module cache.
  const { Dir: moduleDir } = JSON.parse(
    go(['mod', 'download', '-json', `${temporalServerModule}@${version}`], {}, 'locating the module source'),
  ) as { Dir: string };
  const schemaTarget = path.dirname(tools.postgresSchemaDir);
  fs.rmSync(schemaTarget, { recursive: true, force: true });
  fs.cpSync(path.join(moduleDir, 'schema', 'postgresql'), schemaTarget, { recursive: true });
  // The module cache is read-only; the copy must stay removable.
  chmodTree(schemaTarget);
  const stamp: BuildStamp = {
    version,
    goVersion: go(['env', 'GOVERSION'], {}, 'reading the Go version').trim(),
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((Date.now() - started) / 1000),
  };
  fs.writeFileSync(stampOf(tools), JSON.stringify(stamp, null, 2));
  console.log(`ekm: built the Temporal server ${version} in ${stamp.buildSeconds}s.`);
  return tools;
}

function chmodTree(target: string): void {
  const stat = fs.statSync(target);
  fs.chmodSync(target, stat.isDirectory() ? 0o755 : 0o644);
  if (stat.isDirectory()) for (const entry of fs.readdirSync(target)) chmodTree(path.join(target, entry));
}
