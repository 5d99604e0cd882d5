// The plan for a step that follows an approved revocation (the archive and what comes after it, or a
// restore): bound to the revocation's plan and to the state found now, so a vote cannot outlive a change
// in that state.
import type { AnyRevocationBaseline } from '../common/revoke';
import { canonicalJson } from '../common/canonicalJson';
import type { PlanAction } from '../common/planActions';
import { baselineDigest, sha256 } from './planRevocation';

export async function planFollowUp(args: {
  revokePlanHash: string;
  state: AnyRevocationBaseline;
  changes: string[];
  /** What the step's gate authorises (common/runbookActions.ts); runs from before named none. */
  actions?: PlanAction[];
}): Promise<{ hash: string; changes: string[]; actions?: PlanAction[] }> {
  return {
    changes: args.changes,
    ...(args.actions ? { actions: args.actions } : {}),
    hash: sha256(
      canonicalJson({
        revokePlan: args.revokePlanHash,
        state: baselineDigest(args.state),
        changes: args.changes,
        actions: args.actions,
      }),
    ),
  };
}
