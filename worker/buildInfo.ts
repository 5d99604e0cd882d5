// What build this worker is: the package version and the git commit, recorded into dist/build-info.json by
// `npm run build` (worker/recordBuildInfo.ts). Worker Versioning names the build a run is pinned to by its
// build id, so the id must change whenever the workflow code may have: a commit, or the compiled code's
// hash when the tree had uncommitted changes or there was no git at all.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface BuildInfo {
  /** The package version (package.json). */
  version: string;
  /** The commit the build was made from (12 hex digits); null when git or the repository was missing. */
  commit: string | null;
  /** True when the working tree had changes the commit does not hold. */
  dirty: boolean;
  /** SHA-256 (first 12 hex digits) of the compiled product code, the same for the same code. */
  codeHash: string;
  /** The build id Worker Versioning uses unless EKM_BUILD_ID says otherwise. */
  buildId: string;
}

/** dist/build-info.json, beside the compiled worker (dist/worker/). */
export const buildInfoFile = path.join(__dirname, '..', 'build-info.json');

/** `0.1.0-1a2b3c4d5e6f`; `0.1.0-1a2b3c4d5e6f-dirty-<codeHash>` from a changed tree; `0.1.0-nogit-<codeHash>`. */
export function buildIdOf(info: Omit<BuildInfo, 'buildId'>): string {
  if (!info.commit) return `${info.version}-nogit-${info.codeHash}`;
  return info.dirty
    ? `${info.version}-${info.commit}-dirty-${info.codeHash}`
    : `${info.version}-${info.commit}`;
}

/** The recorded build, or undefined when dist/ was built without it (an older build script). */
export function readBuildInfo(file = buildInfoFile): BuildInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as BuildInfo;
  } catch {
    return undefined;
  }
}
