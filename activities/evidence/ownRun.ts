// Whose record an evidence activity writes: the run that scheduled it, as the Temporal server tells the
// activity (Context.current().info) — never a workflow id or run id the run hands it, which a workflow of
// any type, started by anyone with namespace access, could set to another run's (and so write that run's
// record first, making the real one fail as a conflict, or plant a snapshot its restore would apply).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';

/** The workflow types whose runs write an evidence record (workflows/: each calls recordEvidence). */
export const evidenceWorkflowTypes = ['revokeKey', 'restoreAccess', 'rotateKey', 'verifyKeyUsage'] as const;
/** Only a revocation keeps an access snapshot (what `ekm restore` puts back). */
export const snapshotWorkflowTypes = ['revokeKey'] as const;

export interface OwnRun {
  workflowId: string;
  runId: string;
  workflowType: string;
}

function refuse(message: string): never {
  throw ApplicationFailure.create({ type: EkmError.EvidenceNotOwnRun, nonRetryable: true, message });
}

/**
 * The calling run, refused unless its type is one of `types` and every run the input names (`named`, e.g.
 * a status's or the old snapshot input's workflow id and run id) is this one.
 */
export function ownRun(
  what: string,
  types: readonly string[],
  named?: { workflowId?: unknown; runId?: unknown },
): OwnRun {
  const info = Context.current().info;
  // A standalone activity (no workflow) has no run to write for.
  if (!info.workflowExecution || !info.workflowType)
    refuse(`${what}: not called by a workflow run; nothing was written`);
  const run = {
    workflowId: info.workflowExecution.workflowId,
    runId: info.workflowExecution.runId,
    workflowType: info.workflowType,
  };
  if (!types.includes(run.workflowType))
    refuse(
      `${what}: a ${run.workflowType} run does not record evidence (only ${types.join(', ')} runs do); nothing was written`,
    );
  const namesOther =
    named &&
    ((named.workflowId !== undefined && named.workflowId !== run.workflowId) ||
      (named.runId !== undefined && named.runId !== run.runId));
  if (namesOther)
    refuse(
      `${what}: the input names run ${String(named.workflowId)} / ${String(named.runId)} but this activity runs for ${run.workflowId} / ${run.runId}: a run writes only its own evidence; nothing was written`,
    );
  return run;
}
