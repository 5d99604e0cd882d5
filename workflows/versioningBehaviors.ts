// How each workflow type moves between builds under Worker Versioning (docs/versioning.md). PINNED: a run
// stays on the build it started on until it ends — its code never changes under it, so a change to it
// ships as a new build, without `patched()`. AUTO_UPGRADE: a run moves to the deployment's current build at
// its next workflow task — every change to it still goes behind `patched()` and replays its old histories.
// Declared only on a versioned worker's tasks: Temporal refuses a behavior from an unversioned worker.
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type { VersioningBehavior } from '@temporalio/common';
import { inspectKey } from './inspectKey';
import { restoreAccess } from './restoreAccess';
import { revokeFleet } from './revokeFleet';
import { revokeKey } from './revokeKey';
import { roleLock } from './roleLock';
import { roleQueue } from './roleQueue';
import { rotateKey } from './rotateKey';
import { sweepEndedRuns } from './sweepEndedRuns';
import { verifyKeyUsage } from './verifyKeyUsage';
import { watchKeyDeletion } from './watchKeyDeletion';

const workflows = {
  inspectKey,
  restoreAccess,
  revokeFleet,
  revokeKey,
  roleLock,
  roleQueue,
  rotateKey,
  sweepEndedRuns,
  verifyKeyUsage,
  watchKeyDeletion,
};

/** Every registered workflow type and its behavior; why each is in docs/versioning.md. */
export const versioningBehaviors: Record<keyof typeof workflows, VersioningBehavior> = {
  // Gates open for a day, a cache wait, a 30-day deletion watch as its child: it ends on its own build.
  revokeKey: 'PINNED',
  // Its children (revocations) start on the fleet's build and it continues as new on that build.
  revokeFleet: 'PINNED',
  // A child of a revocation or restore: it lives and ends with its parent, on the parent's build.
  roleLock: 'PINNED',
  // Up to 30 days of hourly polls, continuing as new on the build the revocation started it on.
  watchKeyDeletion: 'PINNED',
  // A gate, then changes and their checks: like the revocation.
  restoreAccess: 'PINNED',
  rotateKey: 'PINNED',
  // Minutes long: pinning costs nothing, and a run in flight during an upgrade simply ends on its build.
  inspectKey: 'PINNED',
  verifyKeyUsage: 'PINNED',
  sweepEndedRuns: 'PINNED',
  // One queue per role, serving the runs of every build for as long as anyone waits (continuing as new):
  // pinned, it would keep an old build alive as long as the role is busy. Changes to it need patched().
  roleQueue: 'AUTO_UPGRADE',
};

/**
 * The behavior when the run's task is a versioned worker's (a deployment name in currentDeploymentVersion —
 * an unversioned worker reports only its default build id there — this worker's on a
 * new task, the recorded one when a run is rebuilt from its history), none on an unversioned worker.
 */
export const versioningBehaviorOf =
  (behavior: VersioningBehavior): (() => { versioningBehavior?: VersioningBehavior }) =>
  () =>
    workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behavior } : {};

for (const name of Object.keys(workflows) as (keyof typeof workflows)[])
  setWorkflowOptions(
    versioningBehaviorOf(versioningBehaviors[name]),
    workflows[name] as (...args: never[]) => Promise<unknown>,
  );
