// The plan for a step that follows an approved revocation (the archive and what comes after it, or a
// restore): bound to the revocation's plan and to the state found now, so a vote cannot outlive a change
// in that state.
import type { RevocationBaseline } from './requests';
import type { DocumentDiff, KeptSnapshot } from '../common/runStatus';
import { canonicalJson } from '../common/canonicalJson';
import type { PlanAction } from './planActions';
import { baselineDigest, sha256 } from './revocationPlan';

export async function planFollowUp(args: {
  revokePlanHash: string;
  state: RevocationBaseline;
  changes: string[];
  /** A restore's: what each document is now and what the snapshot puts back (approvers sign it). */
  diff?: DocumentDiff[];
  /** A restore's: the snapshot it applies, by the hash the revocation's signed chain records. */
  snapshot?: KeptSnapshot;
  /** What the step's gate authorises (common/runbookActions.ts); runs from before named none. */
  actions?: PlanAction[];
}): Promise<{
  hash: string;
  changes: string[];
  diff?: DocumentDiff[];
  snapshot?: KeptSnapshot;
  actions?: PlanAction[];
}> {
  // Absent fields stay out of the hash (canonicalJson drops undefined): older plans keep their hashes.
  return {
    changes: args.changes,
    ...(args.diff ? { diff: args.diff } : {}),
    ...(args.snapshot ? { snapshot: args.snapshot } : {}),
    ...(args.actions ? { actions: args.actions } : {}),
    hash: sha256(
      canonicalJson({
        revokePlan: args.revokePlanHash,
        state: baselineDigest(args.state),
        changes: args.changes,
        diff: args.diff,
        snapshot: args.snapshot,
        actions: args.actions,
      }),
    ),
  };
}
