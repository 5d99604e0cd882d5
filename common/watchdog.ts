// The scheduled-deletion watchdog: while an old key waits out its deletion window (AWS PendingDeletion;
// on Google Cloud, versions DESTROY_SCHEDULED), any use of it means something still depends on it — the
// one moment a deletion can still be undone. AWS documents only a do-it-yourself CloudWatch alarm for
// this, Google Cloud a log-based alert; here it is a workflow of its own.
import { z } from 'zod';
import { instantField } from './instantField';
import type { UsageSample } from './usage';

/** The window and the rest: the same for every cloud. */
export const watchFields = {
  /** Watch from here (the moment the deletion was scheduled); a one-pass check looks back instead. */
  since: instantField('when the deletion was scheduled').optional(),
  /** The revocation that scheduled the deletion, for the alert and the record. */
  revokeWorkflowId: z.string().min(1).optional(),
  /**
   * One pass instead of a watch to the deletion date: read the trail back this far, alert on any use,
   * end. What a Temporal Schedule runs (`ekm schedule watch`).
   */
  oncePerLookbackSeconds: z.number().int().min(60, 'must be at least 60 seconds').optional(),
};

/** How far back a cloud's audit trail can be read (its spec's `trailRetention`). */
export interface TrailRetention {
  seconds: number;
  /** The limit in an error message's words: "90 days (CloudTrail LookupEvents keeps 90 days)". */
  words: string;
}

/** A watch to the deletion date or one pass, and a pass no longer back than the cloud's trail keeps. */
export function refuseBadWatch(
  input: { since?: string; oncePerLookbackSeconds?: number },
  keeps: TrailRetention,
  ctx: z.RefinementCtx,
): void {
  if ((input.since === undefined) === (input.oncePerLookbackSeconds === undefined))
    ctx.addIssue({
      code: 'custom',
      path: ['since'],
      message:
        'give exactly one of since (a watch to the deletion date) and oncePerLookbackSeconds (one check)',
    });
  if (input.oncePerLookbackSeconds !== undefined && input.oncePerLookbackSeconds > keeps.seconds)
    ctx.addIssue({
      code: 'custom',
      path: ['oncePerLookbackSeconds'],
      message: `must be at most ${keeps.words}`,
    });
}

/** What a watch carries into its next run when it continues as new (history kept short). */
export interface WatchCarry {
  /** The trail is read up to here (windows never overlap: each ends where the trail has delivered). */
  cursor: string;
  uses: UsageSample[];
  useCount: number;
  polls: number;
  runs: number;
  longestRunHistory: number;
  /** Google Cloud: the alert that Data Access logs look off was sent (once per watch, not per poll). */
  loggingOffAlerted?: boolean;
}

export const watchEndStates = [
  'deleted', // KMS no longer knows the key: the deletion happened
  'deletion-cancelled', // a use was seen and the watchdog cancelled the deletion (the key stays disabled)
  'cancelled-elsewhere', // the key left PendingDeletion without the watchdog (someone cancelled it)
  'deletion-date-passed', // the date passed and the key still reads PendingDeletion (KMS deletes within hours)
  'checked', // a one-pass check ended
] as const;
export type WatchEndState = (typeof watchEndStates)[number];

/** How a watch ended, whatever the cloud (providers/watchRequests.ts adds the key watched). */
export interface WatchOutcome {
  endState: WatchEndState;
  reason: string;
  deletionDate?: string;
  /** Uses seen while the key was pending deletion (the newest, at most 20), and how many in all. */
  uses: UsageSample[];
  useCount: number;
  polls: number;
  /** Runs of the workflow (continue-as-new), and the longest history any of them had. */
  runs: number;
  longestRunHistory: number;
}

/** One watch per key: a second revocation of the same key finds the first one still watching. */
export function watchWorkflowId(key: string): string {
  return `ekm-deletion-watch:${key}`;
}

/** What `ekm schedule watch` names its runs; Temporal appends `-` and the scheduled time to each. */
export function scheduledWatchWorkflowId(key: string): string {
  return `ekm-watch-schedule-run:${key}`;
}

/** A watch of `key`: its revocation's watch, or one run of its `ekm schedule watch` schedule. */
export function isWatchOf(workflowId: string, key: string): boolean {
  if (workflowId === watchWorkflowId(key)) return true;
  const scheduled = `${scheduledWatchWorkflowId(key)}-`;
  return (
    workflowId.startsWith(scheduled) &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(workflowId.slice(scheduled.length))
  );
}

export const keptUses = 20;
