// What a restore will apply, as approvers see it at the restore gate: for each document the revocation's
// method took away, what it is now and what the snapshot puts back. Each cloud builds its documents
// (providers/<cloud>/restoreDiff.ts) in the same terms its restore activity applies: only what the method
// removed, and nothing added since is taken away. Here, how every cloud's documents are written.
import { documentLines, lineDiff } from './lineDiff';
import type { DocumentDiff } from './runStatus';

/** The heading's tail every restore document carries: which side is which. */
export const restoreSides = '(- now, + after the restore)';

/** A document as it is now against what the restore puts back, line by line. */
export function documentDiff(document: string, now: string | undefined, back: string): DocumentDiff {
  return {
    document: `${document} ${restoreSides}`,
    lines: lineDiff(documentLines(now), documentLines(back)),
  };
}
