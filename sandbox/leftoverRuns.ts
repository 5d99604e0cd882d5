// Runs a previous sandbox left open. Temporal's state survives `npm start` (SQLite) but moto, the twin and
// the Cloud KMS fake are seeded afresh, so an open run names keys, roles and projects that no longer exist;
// one waiting at a gate also holds its role's lock (`ekm-role-lock:<role ARN>`) and would refuse the next
// rehearsal through the same role for up to a day. The launcher ends them before the worker polls.
//
// Terminated, not cancelled: a cancelled revocation goes on to its safe point through activities against
// clouds that no longer hold its key (retrying, holding the lock meanwhile), and needs a worker to get
// there; a termination is immediate, needs no worker, closes the lock with it and leaves the reason and who
// ended the run in the run's history (the Web UI and `ekm status` show it). Nothing real is behind a
// sandbox run, so no safe point is skipped that matters.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';

export const leftoverRunReason =
  'sandbox restarted: the clouds were re-seeded; this run named keys that no longer exist';
const identity = 'ekm sandbox (npm start)';

export interface EndedRun {
  workflowId: string;
  runId: string;
  type: string;
}

/** Terminates every open run in the namespace (the sandbox's own): the ones it ended, parents first. */
export async function endLeftoverRuns(address: string, namespace = 'default'): Promise<EndedRun[]> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    const client = new Client({ connection, namespace, identity });
    const open: (EndedRun & { child: boolean })[] = [];
    for await (const run of client.workflow.list({ query: 'ExecutionStatus = "Running"' }))
      open.push({
        workflowId: run.workflowId,
        runId: run.runId,
        type: run.type,
        child: !!run.parentExecution,
      });
    // Parents first: their record is the one people read; a child still open afterwards (a role lock the
    // parent-close policy has not reached yet, a deletion watch that outlives its revocation) goes next.
    const ordered = [...open.filter((r) => !r.child), ...open.filter((r) => r.child)];
    const ended: EndedRun[] = [];
    for (const run of ordered) {
      const handle = client.workflow.getHandle(run.workflowId, run.runId);
      try {
        if ((await handle.describe()).status.name !== 'RUNNING') continue;
        await handle.terminate(leftoverRunReason);
        ended.push({ workflowId: run.workflowId, runId: run.runId, type: run.type });
      } catch (err) {
        // Closed meanwhile (a lock terminated with its parent): nothing left to end.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return ended;
  } finally {
    await connection.close();
  }
}
