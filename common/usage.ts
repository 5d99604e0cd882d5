// "Is my key being used?" — what a verifyKeyUsage run is given besides its cloud's key and OpenAI's name
// at it (providers/<cloud>/usageRequest.ts), and what every cloud's audit trail reports. The run reads only.
import { z } from 'zod';
import { instantField } from './instantField';

/** The window and the rest: the same for every cloud. */
export const usageCheckFields = {
  /** When given, OpenAI's validate is asked too: the audit trail shows the past, validate the present. */
  externalKeyId: z
    .string()
    .trim()
    .regex(/^extkey_[A-Za-z0-9_-]{1,128}$/, 'must be an OpenAI external key id (extkey_…)')
    .optional(),
  since: instantField('the start of the window').optional(),
  /**
   * Instead of `since`: the window reaches this far back from the run's start. A Temporal Schedule
   * starts every run with the same input, so a recurring check names a length, not an instant.
   */
  lookbackSeconds: z
    .number()
    .int()
    .min(60, 'must be at least 60 seconds')
    .max(90 * 86400, 'must be at most 90 days (CloudTrail LookupEvents keeps 90 days)')
    .optional(),
  /** Omitted: up to the moment the trail is read. */
  until: instantField('the end of the window').optional(),
  /** Who asked (a person, or the schedule's creator): it goes into the run's evidence record. */
  requester: z.string().trim().min(1).max(200, 'is too long (at most 200 characters)').optional(),
};

export function refuseBadWindow(
  input: { since?: string; until?: string; lookbackSeconds?: number },
  ctx: z.RefinementCtx,
): void {
  if ((input.since === undefined) === (input.lookbackSeconds === undefined))
    ctx.addIssue({
      code: 'custom',
      path: ['since'],
      message: 'give exactly one of since (an instant) and lookbackSeconds (a length back from the start)',
    });
  if (input.lookbackSeconds !== undefined && input.until !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['until'],
      message: 'cannot be combined with lookbackSeconds: the window then ends when the run starts',
    });
  if (
    input.since !== undefined &&
    input.until !== undefined &&
    Date.parse(input.until) <= Date.parse(input.since)
  )
    ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be later than since' });
}

/** Read-only, so any number may run beside each other and beside a revocation: the id only has to be unique. */
export function usageWorkflowId(keyArnValue: string, unique: string): string {
  return `ekm-usage:${keyArnValue}:${unique}`;
}

/** One audit-trail event, as much as a reader needs to find it again in CloudTrail. */
export interface UsageSample {
  eventId: string;
  eventTime: string;
  eventName: string;
  /** Who called: the role a session was issued by, else the caller's ARN. */
  principal?: string;
  /** Present when the call was refused (AccessDeniedException, DisabledException, …). */
  errorCode?: string;
}

export interface OperationCounts {
  successful: number;
  refused: number;
}

/** What a read of a key's audit trail reports on every cloud; each cloud adds how it names the key and caller. */
export interface TrailReport {
  since: string;
  until: string;
  /** Per cryptographic operation (Encrypt, Decrypt, GenerateDataKey, …), by the role's sessions when one is named. */
  operations: Record<string, OperationCounts>;
  successful: number;
  /** Refused attempts are counted apart: after a revocation they are expected, successes are not. */
  refused: number;
  /** Refusals by error code (AccessDeniedException, DisabledException, KMSInvalidStateException, …). */
  refusedByCode: Record<string, number>;
  firstSuccessfulUse?: string;
  lastSuccessfulUse?: string;
  lastRefusedAttempt?: string;
  /** The newest events of each kind, at most `sampleLimit` successful and `sampleLimit` refused. */
  samples: UsageSample[];
  /** Every event on the key in the window, whoever made it and whatever it was (only uses are counted). */
  eventsScanned: number;
  /** True when the trail held more than the activity reads in one go: counts are then lower bounds. */
  truncated: boolean;
  /** What the reader must keep in mind (delivery lag, the trail's 90 days, truncation). */
  caveats: string[];
  readAt: string;
}

export const usageSampleLimit = 10;

/**
 * What a record says after a read's counts when the read stopped at the worker's page cap with events
 * left ('' when it read the whole window): such a read must never look complete.
 */
export function stoppedAtCapNote(report: Pick<TrailReport, 'truncated' | 'eventsScanned'>): string {
  return report.truncated
    ? ` (incomplete: the read stopped at its page cap after ${report.eventsScanned} events; the counts are lower bounds)`
    : '';
}
