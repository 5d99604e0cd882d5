// The runbook's approval step, the same for revoke, archive, rotate and restore: open the gate on the plan;
// once approved, and where the step re-plans, read the state again right before the change — a plan that
// no longer matches what was approved needs a new approval ("drift means a new gate").
import type { GateDecision } from '../../common/approvals';
import type { PlanAction } from '../../providers/planActions';
import type { RunSubject } from '../../providers/runSubject';
import type { RunRecord } from '../revoke/runRecord';
import type { Gatekeeper, GateKind } from './gatekeeper';

export interface ApprovalStep<P> {
  /** The step's id in the run record ("approve-revoke"). */
  step: string;
  kind: GateKind;
  /** What the step shows while it waits (nothing beyond "waiting" when undefined). */
  waiting(plan: P): string | undefined;
  /** The run's end when the gate is not approved (thrown). */
  notApproved(decision: Exclude<GateDecision, 'approved'>): Error;
  /** The plan from the current state, read right after the approval; absent when the step does not re-plan. */
  replan?(): Promise<P>;
  /** Why the approved plan no longer holds, shown while the new gate waits. */
  drifted?(approved: P): string;
  /** The new plan becomes the run's: its record, the state it was made from. */
  adopt?(plan: P): void;
}

/** Returns the plan the gate approved and that still holds. */
export async function approvePlan<P extends { hash: string; actions?: PlanAction[] }>(
  gates: Gatekeeper,
  record: RunRecord<RunSubject>,
  approval: ApprovalStep<P>,
  first: P,
): Promise<P> {
  let plan = first;
  for (;;) {
    record.start(approval.step, approval.waiting(plan));
    record.update(approval.step, 'waiting');
    const decision = await gates.gate(approval.kind, plan.hash, plan.actions);
    if (decision !== 'approved') {
      record.update(approval.step, 'failed', decision);
      throw approval.notApproved(decision);
    }
    record.done(approval.step, 'approved');
    if (!approval.replan) return plan;
    const replanned = await approval.replan();
    if (replanned.hash === plan.hash) return plan;
    record.update(approval.step, 'pending', approval.drifted?.(plan));
    plan = replanned;
    approval.adopt?.(plan);
  }
}
