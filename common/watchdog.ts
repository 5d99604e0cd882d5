// The scheduled-deletion watchdog: while an old key waits out its deletion window (AWS PendingDeletion),
// any use of it means something still depends on it — the one moment a deletion can still be undone.
// AWS documents only a do-it-yourself CloudWatch alarm for this; here it is a workflow of its own.
import { z } from 'zod';
import { instantField, keyArnField } from './awsArns';
import type { UsageSample } from './usage';

export const watchKeyDeletionInput = z
  .object({
    provider: z.literal('aws', {
      message: 'must be aws (this workflow does not take Google Cloud keys yet)',
    }),
    keyArn: keyArnField('ekm watch'),
    /** Watch from here (the moment the deletion was scheduled); a one-pass check looks back instead. */
    since: instantField('when the deletion was scheduled').optional(),
    /** The revocation that scheduled the deletion, for the alert and the record. */
    revokeWorkflowId: z.string().min(1).optional(),
    /**
     * One pass instead of a watch to the deletion date: read the trail back this far, alert on any use,
     * end. What a Temporal Schedule runs (`ekm schedule watch`).
     */
    oncePerLookbackSeconds: z
      .number()
      .int()
      .min(60, 'must be at least 60 seconds')
      .max(90 * 86400, 'must be at most 90 days (CloudTrail LookupEvents keeps 90 days)')
      .optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if ((input.since === undefined) === (input.oncePerLookbackSeconds === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['since'],
        message:
          'give exactly one of since (a watch to the deletion date) and oncePerLookbackSeconds (one check)',
      });
  });

export type WatchKeyDeletionInput = z.input<typeof watchKeyDeletionInput>;

/** What a watch carries into its next run when it continues as new (history kept short). */
export interface WatchCarry {
  /** The trail is read up to here (windows never overlap: each ends where the trail has delivered). */
  cursor: string;
  uses: UsageSample[];
  useCount: number;
  polls: number;
  runs: number;
  longestRunHistory: number;
}

export const watchEndStates = [
  'deleted', // KMS no longer knows the key: the deletion happened
  'deletion-cancelled', // a use was seen and the watchdog cancelled the deletion (the key stays disabled)
  'cancelled-elsewhere', // the key left PendingDeletion without the watchdog (someone cancelled it)
  'deletion-date-passed', // the date passed and the key still reads PendingDeletion (KMS deletes within hours)
  'checked', // a one-pass check ended
] as const;
export type WatchEndState = (typeof watchEndStates)[number];

export interface WatchResult {
  keyArn: string;
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
export function watchWorkflowId(keyArnValue: string): string {
  return `ekm-deletion-watch:${keyArnValue}`;
}

export const keptUses = 20;
