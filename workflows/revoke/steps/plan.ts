// Steps "plan" and "approve-revoke": the exact changes, hashed; the approval of that hash; then a fresh look
// right before the change — drift means a new plan and a new gate. A plan-only run ends after the plan.
import type { RevocationPlan } from '../../../providers/runStatus';
import type { RevocationBaseline } from '../../../providers/requests';
import { approvePlan } from '../../approvals/approvePlan';
import { Ended } from '../../ended';
import { planRevocation } from '../../../providers/revocationPlan';
import { call } from '../call';
import { runsCheaper } from '../cheaperRuns';
import { readBaseline, refuseUnlessConsistent } from '../preflight';
import type { Revocation } from '../revocation';

export async function plan(run: Revocation, baseline: RevocationBaseline): Promise<RevocationPlan> {
  const { request, record, settings } = run;
  // A plan computed in the workflow (cheaper runs) takes no time: the run's stage goes from the preflight
  // straight to the approval, and no search attribute is written for it.
  record.start('plan', undefined, !runsCheaper());
  // The plan is pure: cheaper runs compute it here, runs from before in an activity.
  const planned = runsCheaper()
    ? await planRevocation({ request, baseline, settings })
    : await call('read', 'planRevocation', 'plan the changes and hash the plan', {
        request,
        baseline,
        settings,
      });
  record.status.plan = planned;
  record.done('plan', `plan ${planned.hash.slice(0, 12)}…: ${planned.changes.length} steps`);
  if (request.planOnly) throw new Ended('planned', 'plan only: nothing was changed');
  return planned;
}

/**
 * The approved plan, the state it was made from (the preflight's, or a fresher one after drift), and the
 * state read right after the approval — what the change starts from.
 */
export async function approveRevoke(
  run: Revocation,
  first: RevocationPlan,
  preflightBaseline: RevocationBaseline,
): Promise<{ plan: RevocationPlan; baseline: RevocationBaseline; current: RevocationBaseline }> {
  const { request, record, gates, settings } = run;
  let baseline = preflightBaseline;
  let current = baseline;
  const approved = await approvePlan(
    gates,
    record,
    {
      step: 'approve-revoke',
      kind: 'revoke',
      waiting: (p) => `waiting for approval of plan ${p.hash.slice(0, 12)}…`,
      notApproved: (decision) => new Ended(decision, `revoke gate ${decision}: nothing was changed`),
      replan: async () => {
        // The probes were read once, before anything changed: they stay the preflight's.
        current = { ...(await readBaseline(request, false)), probes: baseline.probes };
        refuseUnlessConsistent(request, current);
        if (runsCheaper()) return planRevocation({ request, baseline: current, settings });
        return call('read', 'planRevocation', 're-plan from the current state', {
          request,
          baseline: current,
          settings,
        });
      },
      drifted: (p) => `the state changed since plan ${p.hash.slice(0, 12)}…: new plan, new gate`,
      adopt: (p) => {
        baseline = current;
        record.status.plan = p;
      },
    },
    first,
  );
  return { plan: approved, baseline, current };
}
