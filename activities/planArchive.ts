// The plan for the irreversible part (archive, replacement, deletion): bound to the approved revocation
// plan and to the state found after the revocation, so a vote cannot outlive a change in that state.
import type { RevocationBaseline } from '../common/revoke';
import { canonicalJson } from './canonicalJson';
import { baselineDigest, sha256 } from './planRevocation';

export async function planArchive(args: {
  revokePlanHash: string;
  afterRevoke: RevocationBaseline;
  changes: string[];
}): Promise<{ hash: string; changes: string[] }> {
  return {
    changes: args.changes,
    hash: sha256(
      canonicalJson({
        revokePlan: args.revokePlanHash,
        state: baselineDigest(args.afterRevoke),
        changes: args.changes,
      }),
    ),
  };
}
