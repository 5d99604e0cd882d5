// Run by `npm run build` after tsc: writes dist/build-info.json (worker/buildInfo.ts). Never fails a
// build for want of git — a container build without .git gets a build id from the code's hash instead.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildIdOf, buildInfoFile, type BuildInfo } from './buildInfo';

const distDir = path.dirname(buildInfoFile);
const packageRoot = path.dirname(distDir);

function git(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, {
      cwd: packageRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

/** Every compiled file of the product (dist/ without the tests), in a fixed order. */
function productFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => !(dir === distDir && e.name === 'test'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) return productFiles(full);
      return e.name.endsWith('.js') ? [full] : [];
    });
}

/** `gitCommand`: the git to ask (a test names a missing one). */
export function currentBuildInfo(gitCommand = 'git'): BuildInfo {
  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  const hash = createHash('sha256');
  for (const file of productFiles(distDir)) {
    hash.update(path.relative(distDir, file));
    hash.update(fs.readFileSync(file));
  }
  const codeHash = hash.digest('hex').slice(0, 12);
  const commit = git(gitCommand, ['rev-parse', '--short=12', 'HEAD'])?.trim() || null;
  // Uncommitted changes, untracked files included: the commit alone would not name this code.
  const dirty = commit !== null && (git(gitCommand, ['status', '--porcelain'])?.trim() ?? '') !== '';
  const info = { version, commit, dirty, codeHash };
  return { ...info, buildId: buildIdOf(info) };
}

if (require.main === module) {
  const info = currentBuildInfo();
  fs.writeFileSync(buildInfoFile, `${JSON.stringify(info, null, 2)}\n`);
  console.log(`build ${info.buildId} (${path.relative(packageRoot, buildInfoFile)})`);
}
