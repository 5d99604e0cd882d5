// A run's turn on a shared role (workflows/roleQueue.ts): ask the role's queue, wait — showing the place
// in line — until the turn comes, and give it back. A cancelled wait leaves the line. The run answers the
// queue's check through its own query, so the queue serves only a run that really asked.
import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  defineQuery,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { roleTurnNames, type RoleTurnClaim, type RoleTurnUpdate } from '../common/roleTurns';
import { roleQueueWorkflowId } from '../common/workflowIds';
import { reads } from './revoke/activities';
import { endRoleTurn, roleTurnUpdate } from './roleQueue';

export const roleTurnQuery = defineQuery<RoleTurnClaim | null>(roleTurnNames.runQuery);

/**
 * Waits for this run's turn on `role`, telling `waiting` each place in line; returns the turn's release
 * (idempotent). No deadline: a person cancels a run that should not wait any longer.
 */
export async function takeRoleTurn(
  role: string,
  waiting: (update: RoleTurnUpdate) => void,
): Promise<() => Promise<void>> {
  const queue = roleQueueWorkflowId(role);
  const { workflowId, runId, taskQueue } = workflowInfo();
  let claim: RoleTurnClaim['state'] | undefined = 'waiting';
  let granted = false;
  setHandler(roleTurnQuery, () => (claim ? { queue, state: claim } : null), {
    description:
      'The role queue this run waits in or holds a turn from (the queue checks it before serving).',
  });
  setHandler(roleTurnUpdate, (update) => {
    if (update.queue !== queue || claim !== 'waiting') return;
    if (update.yourTurn) granted = true;
    else waiting(update);
  });
  const end = () =>
    CancellationScope.nonCancellable(async () => {
      if (!claim) return;
      claim = undefined;
      await getExternalWorkflowHandle(queue)
        .signal(endRoleTurn, { runId })
        .catch(() => undefined); // the queue has ended: nothing is held there
    });
  try {
    await reads.askForRoleTurn({
      role,
      queue,
      taskQueue,
      turn: { workflowId, runId, askedAt: new Date().toISOString() },
    });
    await condition(() => granted);
  } catch (err) {
    if (isCancellation(err)) await end();
    else claim = undefined;
    throw err;
  }
  claim = 'holding';
  return end;
}
