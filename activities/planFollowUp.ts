// The plan for a step that follows an approved revocation (the archive and what comes after it, or a
// restore): bound to the revocation's plan and to the state found now, so a vote cannot outlive a change
// in that state.
import type { AnyRevocationBaseline } from '../common/revoke';
import { canonicalJson } from '../common/canonicalJson';
import { baselineDigest, sha256 } from './planRevocation';

export async function planFollowUp(args: {
  revokePlanHash: string;
  state: AnyRevocationBaseline;
  changes: string[];
}): Promise<{ hash: string; changes: string[] }> {
  return {
    changes: args.changes,
    hash: sha256(
      canonicalJson({
        revokePlan: args.revokePlanHash,
        state: baselineDigest(args.state),
        changes: args.changes,
      }),
    ),
  };
}
