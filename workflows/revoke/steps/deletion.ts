// Step "deletion": when asked, the old key's end (KMS deletion, Cloud KMS destruction) behind its own gate,
// bound to the world after the archive and the replacement; then a watch of its own on the key until the
// end, which outlives this run.
import { ParentClosePolicy, startChild, workflowInfo, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { PlanAction } from '../../../providers/planActions';
import { deletionActions } from '../../../providers/runbookActions';
import type { RunStatus } from '../../../providers/runStatus';
import { keyOf } from '../../../providers/runSubject';
import { watchWorkflowId } from '../../../common/watchdog';
import { type WatchedKey } from '../../../providers/watchRequests';
import type { RevokeKeyRequest } from '../../../providers/requests';
import { watchKeyDeletion } from '../../watchKeyDeletion';
import { patchedBeforeCheaper } from '../cheaperRuns';
import { planTheIrreversible } from './archive';
import { readBaseline } from '../preflight';
import type { Revocation } from '../revocation';
import { now, type RunRecord } from '../runRecord';

export async function deletion(run: Revocation, planHash: string): Promise<void> {
  const { request, gates, record, cloud } = run;
  record.start('deletion');
  // Bound to the state now (projects archived, the replacement made), not only to the first plan: the
  // approver of a deletion must see the world it will happen in. Runs from before this used the first
  // plan's hash.
  let gateHash = planHash;
  let actions: PlanAction[] | undefined;
  if (patchedBeforeCheaper('deletion-gate-bound-to-its-own-plan')) {
    const now = await readBaseline(request, false);
    const deletionPlan = await planTheIrreversible('plan the deletion from the current state', {
      revokePlanHash: planHash,
      state: now,
      changes: [
        cloud.deletionChange(request, now),
        `the replacement in use: ${replacementKeyOf(record) ?? 'none'} / ${record.status.replacement?.externalKeyId ?? 'no external key'}`,
      ],
      ...(gates.bindsActions() ? { actions: deletionActions(request) } : {}),
    });
    record.status.followUpPlan = deletionPlan;
    gateHash = deletionPlan.hash;
    actions = deletionPlan.actions;
  }
  record.update('deletion', 'waiting');
  // Inside the irreversible zone: a cancel no longer stops the run, and the gate still decides.
  const decision = await gates.gate('deletion', gateHash, actions);
  if (decision !== 'approved') {
    record.update('deletion', 'skipped', `deletion gate ${decision}: the old key is kept`);
    return;
  }
  const scheduled = await cloud.scheduleKeyDeletion(request, gates.proof('deletion'));
  // The deletion window is watched by a run of its own, which outlives this one: this run closes with its
  // record, the watch goes on until the deletion date. Runs from before the watchdog had none.
  const { summary, watch } = cloud.deletionScheduled(request, scheduled);
  record.done('deletion', summary, scheduled.data);
  if (watch) record.status.deletionWatch = await watchDeletion(watch);
}

/** The replacement key's name in its cloud's spelling, once the run made one. */
function replacementKeyOf(record: RunRecord<RevokeKeyRequest>): string | undefined {
  const made = record.status.replacement as { keyArn?: string; keyName?: string } | undefined;
  return made?.keyArn ?? made?.keyName;
}

async function watchDeletion(watched: WatchedKey): Promise<NonNullable<RunStatus['deletionWatch']>> {
  const key = keyOf(watched);
  const workflowId = watchWorkflowId(key);
  try {
    const watch = await startChild(watchKeyDeletion, {
      workflowId,
      args: [{ ...watched, since: now(), revokeWorkflowId: workflowInfo().workflowId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `Deletion watch on ${key}`,
    });
    return {
      workflowId,
      runId: watch.firstExecutionRunId,
      note: 'watching the audit trail until the deletion date',
    };
  } catch (err) {
    // A watch already running for this key (an earlier revocation's) goes on watching the same window.
    if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    return { workflowId, note: 'a watch of this key was already running; it goes on' };
  }
}
