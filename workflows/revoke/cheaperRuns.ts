// Runs from `cheaper-runs` on cost fewer Temporal Cloud actions (docs/actions.md): the baseline's reads
// and each probe round in one activity, the plans computed in the workflow, the snapshot taken from the
// fresh read right before the change, search attributes written once per change. Runs from before keep
// their path, so their histories replay. The decision is made once, at the run's start, and is the run's
// own (workflow module state is per run, as in call.ts).
import { patched } from '@temporalio/workflow';

let cheaper = false;

/** Decides, at the start of a revocation, whether the run takes the cheaper path (new runs do). */
export function decideCheaperRuns(): boolean {
  cheaper = patched('cheaper-runs');
  return cheaper;
}

export function runsCheaper(): boolean {
  return cheaper;
}

/**
 * An older patch, as a cheaper run sees it: always taken, without recording its marker again (every
 * marker is an action; a cheaper run postdates them all). Runs from before ask `patched()` as they did.
 */
export function patchedBeforeCheaper(id: string): boolean {
  return cheaper || patched(id);
}
