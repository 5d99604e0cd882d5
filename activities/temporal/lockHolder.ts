// Who holds a lock: the run a role lock names as its holder, as Temporal describes it. A lock workflow
// has only its parent's id in workflowInfo(), not its type; this read tells a revocation or a restore
// (the runs that lock roles) from anything else that started a lock.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';

export interface LockHolder {
  workflowType: string;
  status: string;
}

/** Temporal's client in the worker (worker/createWorker.ts): absent, the activities that need it refuse. */
export function needTemporal(temporal: Client | undefined, what: string): Client {
  if (!temporal)
    throw ApplicationFailure.create({
      type: EkmError.WorkerMisconfigured,
      nonRetryable: true,
      message: `${what} needs the worker's Temporal client, which this worker was built without`,
    });
  return temporal;
}

export function lockHolderActivity(temporal: Client | undefined) {
  return async function describeLockHolder(run: {
    workflowId: string;
    runId: string;
  }): Promise<LockHolder | null> {
    const client = needTemporal(temporal, 'describeLockHolder');
    try {
      const described = await client.workflow.getHandle(run.workflowId, run.runId).describe();
      return { workflowType: described.type, status: described.status.name };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  };
}
