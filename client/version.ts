// What build of ekm this is: the package version and a build id — the same id a versioned worker joins
// its deployment with (worker/versioning.ts buildIdOf): EKM_BUILD_ID when set (a deployment's), else the
// build id `npm run build` recorded in dist/build-info.json (the commit, or the code's hash), else unknown.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readBuildInfo } from '../worker/buildInfo';
import { buildIdOf } from '../worker/versioning';

/** The package's root: dist/client/ → the folder holding package.json. */
const packageRoot = path.resolve(__dirname, '..', '..');

export interface VersionInfo {
  name: string;
  version: string;
  buildId: string;
  /** Where buildId came from. */
  buildIdSource: 'EKM_BUILD_ID' | 'build' | 'unknown';
  /** The commit the build was made from, when the build recorded one. */
  commit?: string;
  /** True when the build's tree had changes its commit does not hold. */
  dirty?: boolean;
  node: string;
}

export function versionInfo(env: NodeJS.ProcessEnv = process.env): VersionInfo {
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  const built = readBuildInfo();
  // The same id, by the same rule, as a versioned worker joins its deployment with (a bad EKM_BUILD_ID
  // is refused here too, naming it).
  const found = buildIdOf(env, () => built);
  const [buildId, buildIdSource]: [string, VersionInfo['buildIdSource']] = found
    ? [found.buildId, found.source]
    : ['unknown', 'unknown'];
  return {
    name: pkg.name,
    version: pkg.version,
    buildId,
    buildIdSource,
    ...(built?.commit ? { commit: built.commit, dirty: built.dirty } : {}),
    node: process.version,
  };
}

export function versionLine(info: VersionInfo): string {
  return `ekm ${info.version} (build ${info.buildId}${info.buildIdSource === 'unknown' ? '' : `, from ${info.buildIdSource}`}; node ${info.node})`;
}
