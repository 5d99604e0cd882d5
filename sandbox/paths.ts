// Where the sandbox keeps things, all inside the project and git-ignored: fetched tools in `.tools/`,
// state (Temporal's SQLite file, logs) in `.data/`. EKM_DATA_DIR moves the state, e.g. for a test.
import * as fs from 'node:fs';
import * as path from 'node:path';

function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { name } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'ekm-lifecycle') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the ekm-lifecycle project above ${start}`);
    dir = parent;
  }
}

export const projectRoot = findProjectRoot(__dirname);
export const toolsDir = path.join(projectRoot, '.tools');
export const venvDir = path.join(toolsDir, 'venv');

export function dataDir(): string {
  return path.resolve(process.env.EKM_DATA_DIR ?? path.join(projectRoot, '.data'));
}

export function logsDir(): string {
  const dir = path.join(dataDir(), 'logs');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
