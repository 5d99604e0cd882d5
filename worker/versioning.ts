// The `versioning` section of the worker's configuration, and the Worker Versioning options it gives the
// worker (docs/versioning.md). Set, the worker joins the Worker Deployment it names as one build: runs
// start on the deployment's current build and the pinned ones (workflows/versioningBehaviors.ts) finish on
// the build they started on. Unset, the worker is unversioned, as before: every run goes to whichever
// worker polls, and a change to a workflow needs `patched()`.
import { z } from 'zod';
import type { WorkerDeploymentOptions } from '@temporalio/worker';
import { readBuildInfo, type BuildInfo } from './buildInfo';

/** Temporal's canonical version is `<deploymentName>.<buildId>`: a deployment name holds no '.'. */
export const deploymentNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export const versioningSection = z
  .object({
    /**
     * The Worker Deployment this worker belongs to; the read and the mutating worker of one build name the
     * same one, so a pinned run's changes go to the mutating worker of its own build.
     */
    deploymentName: z
      .string()
      .max(200, 'must be at most 200 characters')
      .regex(
        deploymentNamePattern,
        "must be a deployment name of letters, digits, '-' and '_' such as ekm (no '.': Temporal writes a version as <deploymentName>.<buildId>)",
      ),
  })
  .strict()
  .optional();

export type VersioningConfig = z.infer<typeof versioningSection>;

/** The variable a deployment sets the build id with (the Dockerfile passes it), over dist/build-info.json. */
export const buildIdEnv = 'EKM_BUILD_ID';

const buildIdPattern = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export class BuildIdError extends Error {}

/**
 * The build id this code is, and where it came from: EKM_BUILD_ID (checked: a bad one is refused, naming
 * it), else the one `npm run build` recorded; undefined when neither says. `ekm --version` shows the same.
 */
export function buildIdOf(
  env: NodeJS.ProcessEnv = process.env,
  recorded: () => BuildInfo | undefined = readBuildInfo,
): { buildId: string; source: typeof buildIdEnv | 'build' } | undefined {
  const fromEnv = env[buildIdEnv];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length > 255 || !buildIdPattern.test(fromEnv))
      throw new BuildIdError(
        `${buildIdEnv}=${fromEnv}: must be a build id of at most 255 letters, digits, '.', '_', '+' and '-' starting with a letter or digit, such as 0.1.0-1a2b3c4d5e6f; unset it to use the one the build recorded`,
      );
    return { buildId: fromEnv, source: buildIdEnv };
  }
  const build = recorded();
  return build?.buildId ? { buildId: build.buildId, source: 'build' } : undefined;
}

/** The build id this worker serves: EKM_BUILD_ID, else the one `npm run build` recorded. */
export function workerBuildId(
  env: NodeJS.ProcessEnv = process.env,
  recorded: () => BuildInfo | undefined = readBuildInfo,
): string {
  const found = buildIdOf(env, recorded);
  if (found) return found.buildId;
  throw new BuildIdError(
    `versioning.deploymentName is set but this worker has no build id: set ${buildIdEnv}, or build with \`npm run build\` (it records dist/build-info.json)`,
  );
}

/**
 * The worker's deployment options, or undefined for an unversioned worker. Runs of a workflow type that
 * declares no behavior are pinned: a run never meets code it did not start on unless its type says so.
 */
export function workerDeploymentOptions(
  versioning: VersioningConfig,
  buildId: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): WorkerDeploymentOptions | undefined {
  if (!versioning) return undefined;
  return {
    version: { deploymentName: versioning.deploymentName, buildId: buildId ?? workerBuildId(env) },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'PINNED',
  };
}
