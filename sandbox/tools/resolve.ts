// Finds the executables of the local servers. The `temporal` CLI comes, in this order, from
// EKM_TEMPORAL_BIN, from `temporal` on PATH, or from `.tools/`; the rest from `.tools/` (or an explicit
// EKM_TEMPORAL_TEST_SERVER_BIN / EKM_MOTO_SERVER_BIN).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { venvDir } from '../paths';

export interface ToolPaths {
  temporal: string;
  temporalTestServer: string;
  motoServer: string;
}

const binDir = process.platform === 'win32' ? path.join(venvDir, 'Scripts') : path.join(venvDir, 'bin');
const exe = (name: string) => (process.platform === 'win32' ? `${name}.exe` : name);

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable called `name` on PATH, if any. */
export function findOnPath(name: string, searchPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, exe(name));
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function fromEnv(variable: string): string | undefined {
  const value = process.env[variable];
  if (!value) return undefined;
  if (!isExecutable(value)) {
    throw new Error(`${variable}=${value} is not an executable file: fix the path or unset ${variable}.`);
  }
  return value;
}

/** The `temporal` CLI the user already has, if any (so the installer can skip fetching one). */
export function preinstalledTemporal(): string | undefined {
  return fromEnv('EKM_TEMPORAL_BIN') ?? findOnPath('temporal');
}

export function venvTool(name: string): string {
  return path.join(binDir, exe(name));
}

function required(file: string | undefined, what: string): string {
  if (file && isExecutable(file)) return file;
  throw new Error(
    `${what} is not installed in ${venvDir}: run \`npm run tools\` (npm start and npm test do it for you).`,
  );
}

export function resolveTools(): ToolPaths {
  return {
    temporal: preinstalledTemporal() ?? required(venvTool('temporal'), 'the temporal CLI'),
    temporalTestServer:
      fromEnv('EKM_TEMPORAL_TEST_SERVER_BIN') ??
      required(venvTool('temporal-test-server'), 'the Temporal test server'),
    motoServer: fromEnv('EKM_MOTO_SERVER_BIN') ?? required(venvTool('moto_server'), 'moto_server'),
  };
}
