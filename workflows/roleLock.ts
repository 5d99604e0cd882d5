// A lock on a customer role: a workflow whose id names the role. Temporal refuses a second run with the
// same id while one is open, so two revocations through one role cannot overlap. The revoking run starts
// it as a child and releases it when it ends (or its close terminates it). Anyone with namespace access
// can start a workflow under the lock's id, so a lock holds only for the run that serves it: started as
// the child of a revocation or restore whose id it names; any other ends at once, holding nothing.
import {
  ApplicationFailure,
  condition,
  defineSignal,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { EkmError } from '../common/errors';
import { reads } from './revoke/activities';

export const releaseLock = defineSignal('release');

/** The workflows that lock roles (workflows/locks.ts lockRole): revokeKey and restoreAccess. */
const lockingWorkflows = ['revokeKey', 'restoreAccess'];

export async function roleLock(heldBy: string): Promise<string> {
  let released = false;
  setHandler(releaseLock, () => {
    released = true;
  });
  // Locks recorded before this check held for whoever started them.
  if (patched('lock-held-only-for-its-run')) {
    const refused = await whyNotHeld(heldBy);
    if (refused)
      throw ApplicationFailure.create({
        type: EkmError.LockRefused,
        nonRetryable: true,
        message: `lock ${workflowInfo().workflowId} refused, nothing held: ${refused}`,
      });
  }
  await condition(() => released);
  return heldBy;
}

/** Why this lock serves no run (undefined: it serves its parent, a running revocation or restore). */
async function whyNotHeld(heldBy: string): Promise<string | undefined> {
  const { parent } = workflowInfo();
  if (!parent)
    return `it was started directly, not by the run it names (${heldBy}); a role is locked only by a revocation or restore, as its child`;
  if (parent.workflowId !== heldBy)
    return `it names ${heldBy} as its holder but was started by ${parent.workflowId}`;
  const holder = await reads.describeLockHolder({ workflowId: parent.workflowId, runId: parent.runId });
  if (!holder) return `its parent ${parent.workflowId} (${parent.runId}) is not known to Temporal`;
  if (!lockingWorkflows.includes(holder.workflowType))
    return `its parent ${parent.workflowId} is a ${holder.workflowType} run, and only ${lockingWorkflows.join(' and ')} lock roles`;
  return undefined;
}
