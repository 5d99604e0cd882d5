// Wraps a change that sits behind an approval gate: before it touches a cloud or OpenAI, the activity
// verifies the approvals it was handed (common/approvalProof.ts) against this worker's configuration and
// the run it belongs to, and finds its own action — rebuilt from its arguments and its run, never read
// from the proof — among the actions the gate approved. A worker with no policy for the gate refuses: a
// change nobody could have approved on this worker's terms is never made.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { proofRefuser, type ApprovalAuthority, type ApprovalProof } from '../common/approvalProof';
import { EkmError } from '../common/errors';
import { describeAction, type PlanAction } from '../providers/planActions';
import type { RunRef } from '../common/signedStatement';
import type { WorkerConfig } from '../worker/config';
import { signerKeys } from './runSettings';

/** The proof check, refusals naming actions in each cloud's words. */
export const refuseProof = proofRefuser(describeAction);

export function approvalAuthority(config: WorkerConfig): ApprovalAuthority {
  const breakGlass = config.approvals.breakGlass;
  return {
    policies: config.approvals.gates,
    // A configuration parsed before break-glass was scoped has no `gates`: it covers the revoke gate only.
    breakGlass: breakGlass && { ...breakGlass, gates: breakGlass.gates ?? ['revoke'] },
    keys: signerKeys(config),
    unsignedAccepted: config.sandbox,
    revokedKeys: config.approvals.revokedKeys ?? [],
  };
}

/** A gated change refused: final, never retried. */
export function refusedChange(why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: EkmError.ApprovalNotVerified,
    nonRetryable: true,
    message: `refused to act: ${why}`,
  });
}

/**
 * `actionOf` says which action the change is, from its own arguments and the run Temporal says it belongs
 * to; it throws `refusedChange` when the arguments name something that cannot be this run's (a resource
 * another run owns).
 */
export function requireApproval<I extends object, R>(
  kind: string,
  config: WorkerConfig,
  actionOf: (input: I, run: RunRef) => PlanAction | Promise<PlanAction>,
  change: (input: I) => Promise<R>,
): (input: I & { approval?: ApprovalProof }) => Promise<R> {
  const authority = approvalAuthority(config);
  return async function approvedChange(input) {
    const { approval, ...rest } = input;
    if (!(kind in config.approvals.gates))
      throw refusedChange(
        `this worker's configuration has no policy for the ${kind} gate (approvals.gates.${kind}): nothing behind that gate can be approved on this worker; add approvals.gates.${kind} = { "approvers": [...], "quorum": 1 } to the file named by EKM_WORKER_CONFIG`,
      );
    const run = Context.current().info.workflowExecution;
    if (!run)
      throw refusedChange('the change was not called from a workflow run whose approvals could be checked');
    const action = await actionOf(rest as I, run);
    const why = refuseProof(kind, approval, authority, run, action);
    if (why) throw refusedChange(why);
    return change(rest as I);
  };
}
