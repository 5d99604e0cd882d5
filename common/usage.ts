// "Is my key being used?" — what a verifyKeyUsage run is given and what it reports. Shared by the CLI,
// the workflow and the activity. The run reads only: it names a key, the role OpenAI assumes and a window.
import { z } from 'zod';
import { instantField, keyArnField, refuseOtherAccount, roleArnField } from './awsArns';
import { gcpKeyNameField } from './keys';
import { gcpPrincipalField } from '../providers/gcp/request';
import { type ValidationView } from './openaiViews';
import type { GcpKeyUsageReport } from '../activities';

const keyArn = keyArnField('ekm usage');
const roleArn = roleArnField;

/** The window and the rest: the same for every cloud. */
const checkFields = {
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

function refuseBadWindow(
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

const awsUsageInput = z
  .object({ provider: z.literal('aws'), keyArn, roleArn, ...checkFields })
  .strict()
  .superRefine((input, ctx) => {
    refuseBadWindow(input, ctx);
    refuseOtherAccount(input.keyArn, input.roleArn, ctx);
  });

/** Google Cloud: the key's name and OpenAI's principal; the trail is Cloud Logging's Data Access log. */
const gcpUsageInput = z
  .object({
    provider: z.literal('gcp'),
    keyName: gcpKeyNameField,
    principal: gcpPrincipalField,
    ...checkFields,
  })
  .strict()
  .superRefine(refuseBadWindow);

export const verifyKeyUsageInput = z.discriminatedUnion('provider', [awsUsageInput, gcpUsageInput], {
  message: 'must be aws or gcp',
});

export type VerifyKeyUsageInput = z.input<typeof verifyKeyUsageInput>;
export type VerifyKeyUsageRequest = z.output<typeof verifyKeyUsageInput>;

/** Read-only, so any number may run beside each other and beside a revocation: the id only has to be unique. */
export function usageWorkflowId(keyArnValue: string, unique: string): string {
  return `ekm-usage:${keyArnValue}:${unique}`;
}

/** What the usage activity is asked: the window is resolved (no "now" left open) by the workflow. */
export interface KeyUsageQuery {
  keyArn: string;
  /** Only calls by this role's sessions; omitted: every caller (the deletion watchdog's question). */
  roleArn?: string;
  since: string;
  until: string;
}

/**
 * The KMS operations that use a key's material, as CloudTrail names them. Management calls (DescribeKey,
 * GetKeyPolicy, ScheduleKeyDeletion — our own worker's among them) are not use.
 */
export const kmsCryptographicOperations = [
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateRandom',
  'Sign',
  'Verify',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
] as const;

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

export interface KeyUsageReport {
  provider: 'aws';
  source: 'cloudtrail:LookupEvents';
  keyArn: string;
  /** The role whose sessions were counted; absent: every caller was. */
  roleArn?: string;
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

/** The audit trail a key's use is read from: CloudTrail (AWS), Cloud Logging's Data Access log (Google Cloud). */
export function trailName(provider: 'aws' | 'gcp'): string {
  return provider === 'gcp' ? 'Cloud Logging' : 'CloudTrail';
}

export interface VerifyKeyUsageResult {
  usage: KeyUsageReport | GcpKeyUsageReport;
  /** OpenAI's validate answer, when an external key was named. */
  validation?: ValidationView;
  /** Validate could not be asked (OpenAI unavailable, our admin key refused): why. */
  validationError?: string;
}
