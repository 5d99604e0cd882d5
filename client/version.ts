// What build of ekm this is: the package version and a build id. The build id is EKM_BUILD_ID when set (a
// deployment's Worker Versioning build id), else the commit `npm run build` recorded in dist/build.json,
// else the commit git reports for the checkout, else unknown.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The package's root: dist/client/ → the folder holding package.json. */
const packageRoot = path.resolve(__dirname, '..', '..');
/** Written by client/recordBuild.ts at build time. */
export const buildRecordFile = path.join(packageRoot, 'dist', 'build.json');

export interface VersionInfo {
  name: string;
  version: string;
  buildId: string;
  /** Where buildId came from. */
  buildIdSource: 'EKM_BUILD_ID' | 'build' | 'git' | 'unknown';
  /** The commit, when known (from the build record or git). */
  commit?: string;
  node: string;
}

/** The checkout's commit, `-dirty` when files differ from it; undefined without git or outside a checkout. */
export function gitCommit(cwd = packageRoot): string | undefined {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git(['rev-parse', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${commit}-dirty` : commit;
  } catch {
    return undefined;
  }
}

function recordedCommit(): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(buildRecordFile, 'utf8')) as { commit?: string }).commit;
  } catch {
    return undefined;
  }
}

export function versionInfo(env: NodeJS.ProcessEnv = process.env): VersionInfo {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const recorded = recordedCommit();
  const commit = recorded ?? gitCommit();
  const fromEnv = env.EKM_BUILD_ID?.trim();
  const [buildId, buildIdSource]: [string, VersionInfo['buildIdSource']] = fromEnv
    ? [fromEnv, 'EKM_BUILD_ID']
    : recorded
      ? [recorded, 'build']
      : commit
        ? [commit, 'git']
        : ['unknown', 'unknown'];
  return {
    name: pkg.name,
    version: pkg.version,
    buildId,
    buildIdSource,
    ...(commit ? { commit } : {}),
    node: process.version,
  };
}

export function versionLine(info: VersionInfo): string {
  return `ekm ${info.version} (build ${info.buildId}${info.buildIdSource === 'unknown' ? '' : `, from ${info.buildIdSource}`}; node ${info.node})`;
}
