// Steps "approve-archive" and "archive": the second gate, bound to the state after the revocation (and
// re-planned from a fresh check right before archiving); then each project archived — or, for ChatGPT
// Enterprise, a person attests the support contact. From here on the steps run to their end.
import { workflowInfo } from '@temporalio/workflow';
import { followUpActions } from '../../../providers/runbookActions';
import type { RevocationPlan } from '../../../providers/runStatus';
import { runTag } from '../../../common/runTag';
import type { RevocationBaseline } from '../../../providers/requests';
import { approvePlan } from '../../approvals/approvePlan';
import { Ended } from '../../ended';
import { planFollowUp } from '../../../providers/followUpPlan';
import { call } from '../call';
import { runsCheaper } from '../cheaperRuns';
import type { Revocation } from '../revocation';
import { stillRevoked } from './stillRevoked';

/** The state the archive gate approved (what the replacement starts from). */
export async function approveArchive(
  run: Revocation,
  plan: RevocationPlan,
  baseline: RevocationBaseline,
): Promise<RevocationBaseline> {
  const { request, record, gates } = run;
  let afterRevoke = await stillRevoked(request, baseline);
  const irreversible = plan.changes.filter((c) => /archive|support|replacement|deletion/.test(c));
  // What the archive gate authorises: the archives, and the replacement this run makes (runs from before
  // approved the plan's hash alone).
  const bound = gates.bindsActions();
  const followUp = (state: RevocationBaseline) =>
    bound
      ? {
          actions: followUpActions(
            request,
            runTag(workflowInfo().runId),
            state.projects.map((p) => p.id),
            state.externalKey?.externalId,
          ),
        }
      : {};
  const archivePlan = await planTheIrreversible('plan the irreversible part', {
    revokePlanHash: plan.hash,
    state: afterRevoke,
    changes: irreversible,
    ...followUp(afterRevoke),
  });
  record.status.followUpPlan = archivePlan;
  let current = afterRevoke;
  await approvePlan(
    gates,
    record,
    {
      step: 'approve-archive',
      kind: 'archive',
      waiting: (p) => `waiting for approval of ${p.hash.slice(0, 12)}…`,
      notApproved: (decision) =>
        new Ended('revoked-verified', `archive gate ${decision}: revoked and verified, nothing archived`),
      replan: async () => {
        current = await stillRevoked(request, baseline);
        return planTheIrreversible('re-plan the irreversible part from the current state', {
          revokePlanHash: plan.hash,
          state: current,
          changes: irreversible,
          ...followUp(current),
        });
      },
      drifted: () => 'the state changed since the approval: new plan, new gate',
      adopt: (p) => {
        afterRevoke = current;
        record.status.followUpPlan = p;
      },
    },
    archivePlan,
  );
  return afterRevoke;
}

/** The follow-up plan is pure: cheaper runs compute it here, runs from before in an activity. */
export function planTheIrreversible(
  summary: string,
  args: Parameters<typeof planFollowUp>[0],
): ReturnType<typeof planFollowUp> {
  return runsCheaper() ? planFollowUp(args) : call('read', 'planFollowUp', summary, args);
}

export async function archive(run: Revocation): Promise<void> {
  const { request, record, gates } = run;
  record.start('archive');
  if (request.product === 'api') {
    for (const projectId of request.projectIds)
      await call('change', 'archiveProject', `archive project ${projectId}`, {
        projectId,
        // The archive validates this key itself right before it archives.
        ...(gates.bindsActions() ? { externalKeyId: request.externalKeyId } : {}),
        approval: gates.proof('archive'),
      });
    record.done('archive', `archived ${request.projectIds.join(', ')}`);
    return;
  }
  record.update('archive', 'waiting', 'a person contacts OpenAI support');
  const task = await gates.task('chatgpt-support');
  if (!task.answer) {
    record.update('archive', 'failed', 'nobody attested the support contact in time');
    throw new Ended(
      'archive-incomplete',
      'revoked and verified; OpenAI support was not (attested) contacted',
    );
  }
  record.done('archive', `support contacted by ${task.answer.by}, ticket ${task.answer.ticketReference}`);
}
