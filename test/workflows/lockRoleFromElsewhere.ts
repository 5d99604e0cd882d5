// Attack (issue 16): a run that does not lock roles — here one registered only in the test bundle, as a
// modified bundle could be — starts a role lock as its child, naming itself as the holder.
import { startChild, workflowInfo } from '@temporalio/workflow';
import { roleLockWorkflowId } from '../../common/workflowIds';
import { roleLock } from '../../workflows/roleLock';

/** Starts the role's lock as this run's child and waits for it to end. */
export async function lockRoleFromElsewhere(roleArn: string): Promise<string> {
  const lock = await startChild(roleLock, {
    workflowId: roleLockWorkflowId(roleArn),
    args: [workflowInfo().workflowId],
  });
  return lock.result();
}
