// Locks between runs. Runs that change a key share one workflow id per key (see keyWorkflowId), so
// Temporal itself refuses a second; a role is locked by a child workflow whose id names it.
import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  patched,
  startChild,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { EkmError } from '../common/errors';
import { roleLockWorkflowId } from '../common/workflowIds';
import { releaseLock, roleLock } from './roleLock';

/**
 * Two revocations through the same role must not run at once: a child workflow per role is the lock.
 * Returns the release; a run that ends without releasing (terminated, failed) frees it through the
 * parent-close policy.
 */
export async function lockRole(roleArn: string): Promise<() => Promise<void>> {
  try {
    const lock = await CancellationScope.nonCancellable(() =>
      startChild(roleLock, {
        workflowId: roleLockWorkflowId(roleArn),
        args: [workflowInfo().workflowId],
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      }),
    );
    // Released when the lock has closed, not merely been asked to: the next run on the role must find it
    // free, and nothing of this run may be left open behind it.
    return () =>
      CancellationScope.nonCancellable(async () => {
        await lock.signal(releaseLock);
        // Runs recorded before this wait existed closed right after the signal.
        if (patched('wait-for-role-lock-close')) await lock.result();
      });
  } catch (err) {
    if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError')
      throw ApplicationFailure.create({
        type: EkmError.PreflightFailed,
        nonRetryable: true,
        message: `roleArn: another run holds ${roleArn} (lock ${roleLockWorkflowId(roleArn)}); wait for it to end or cancel it`,
      });
    throw err;
  }
}
