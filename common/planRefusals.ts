// What a plan refuses before anyone approves it, on every cloud: a plan that cannot work, or one that would
// cut off a project the request does not name. Each cloud's plan (providers/<cloud>/plan.ts) refuses with
// these, so a refusal reads and fails the same way everywhere.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError, type EkmErrorType } from './errors';
import type { BlastRadius } from './openaiViews';

/** Ends the plan activity for good: retrying would read the same world and refuse again. */
export function refusePlan(message: string, type: EkmErrorType = EkmError.PreflightFailed): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The projects every method cuts off: a request must name each one, or it would lose access unannounced. */
export function refuseUnlistedProjects(
  request: { projectIds: string[] },
  baseline: { blastRadius: BlastRadius },
  /** What those projects use, in the cloud's words ("this key or role"). */
  on: string,
): void {
  const unlisted = baseline.blastRadius.projects.filter((p) => !request.projectIds.includes(p.id));
  if (unlisted.length)
    refusePlan(
      `projectIds: ${unlisted.map((p) => `${p.id} (${p.name})`).join(', ')} also use ${on} and would lose access too; add them to the run (every affected project is archived) or choose another key`,
    );
}
