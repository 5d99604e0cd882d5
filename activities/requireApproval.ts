// Wraps a change that sits behind an approval gate: before it touches a cloud or OpenAI, the activity
// verifies the approvals it was handed (common/approvalProof.ts) against this worker's configuration and
// the run it belongs to. A worker with no policy for the gate (an optional gate it does not configure)
// lets the change through.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { refuseProof, type ApprovalAuthority, type ApprovalProof } from '../common/approvalProof';
import { EkmError } from '../common/errors';
import type { WorkerConfig } from '../worker/config';
import { signerKeys } from './runSettings';

export function approvalAuthority(config: WorkerConfig): ApprovalAuthority {
  return {
    policies: config.approvals.gates,
    breakGlass: config.approvals.breakGlass,
    keys: signerKeys(config),
    unsignedAccepted: config.sandbox,
  };
}

export function requireApproval<I extends object, R>(
  kind: string,
  config: WorkerConfig,
  change: (input: I) => Promise<R>,
): (input: I & { approval?: ApprovalProof }) => Promise<R> {
  const authority = approvalAuthority(config);
  const gated = kind in config.approvals.gates;
  return async function approvedChange(input) {
    const { approval, ...rest } = input;
    if (gated) {
      const run = Context.current().info.workflowExecution;
      const why = run
        ? refuseProof(kind, approval, authority, run)
        : 'the change was not called from a workflow run whose approvals could be checked';
      if (why)
        throw ApplicationFailure.create({
          type: EkmError.ApprovalNotVerified,
          nonRetryable: true,
          message: `refused to act: ${why}`,
        });
    }
    return change(rest as I);
  };
}
