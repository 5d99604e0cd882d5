// The `quotas` section of the worker's configuration: per rate-limited API, the calls a second this worker
// process makes (a token bucket per API, activities/quotas/limiters.ts), and how many activities a second
// it starts. Defaults are the providers' published figures (docs/quotas.md cites each); where a provider
// publishes none, a conservative figure, said so. Optional as a whole: a file without it gets the defaults.
import { z } from 'zod';

const callsPerSecond = z
  .number({ error: 'must be a number of calls per second, such as 2' })
  .positive('must be above 0 calls per second (leave the field out for the published default)')
  .max(10_000, 'must be at most 10000 calls per second');

/** Per API: calls a second; the bucket also lets that many (at least one) through at once. */
export const quotaFields = {
  /**
   * AWS KMS changes (DisableKey, PutKeyPolicy, CreateGrant, RevokeGrant, ScheduleKeyDeletion, …). AWS
   * KMS request quotas (docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html): 5 a
   * second for DisableKey, EnableKey, CancelKeyDeletion, CreateAlias — the lowest of the changes made.
   */
  kmsWrites: callsPerSecond.default(5),
  /**
   * AWS IAM changes (UpdateAssumeRolePolicy, PutRolePolicy, …). AWS publishes no per-second IAM quota,
   * only that an account's IAM calls share one rate limit that cannot be raised
   * (repost.aws/knowledge-center/iam-sts-throttling-error): 5 a second, chosen to stay well under it.
   */
  iamWrites: callsPerSecond.default(5),
  /**
   * CloudTrail LookupEvents: "limited to two per second, per account, per Region"
   * (docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
   */
  cloudTrailLookupEvents: callsPerSecond.default(2),
  /**
   * Cloud Logging entries.list (ListLogEntries): 60 read requests a minute per project
   * (cloud.google.com/logging/quotas).
   */
  cloudLoggingReads: callsPerSecond.default(1),
  /**
   * Cloud KMS writes (setIamPolicy, updateCryptoKeyVersion, destroy, restore, create, …): 60 a minute
   * per calling project (cloud.google.com/kms/quotas, "Write requests").
   */
  cloudKmsWrites: callsPerSecond.default(1),
  /**
   * OpenAI Admin API changes (register an external key, create or archive a project). OpenAI publishes no
   * rate limit for the Admin API: one a second, a conservative choice; its 429s are retried anyway.
   */
  openaiAdminWrites: callsPerSecond.default(1),
  /**
   * Every OpenAI Admin API call — reads (each page of a listing), validate and changes alike. Unset by
   * default: OpenAI publishes no Admin API rate, and one run's reads come nowhere near any. Set it to the
   * rate the organisation is held to when a fleet meets 429s: a blast-radius read lists every registration
   * and project of the organisation, so 50 runs at once make thousands of calls, and a budget makes them
   * queue in the worker instead of being refused and sent again (docs/quotas.md).
   */
  openaiAdminCalls: callsPerSecond.optional(),
};

export type QuotaApi = keyof typeof quotaFields;

export const quotasSection = z
  .object({
    ...quotaFields,
    /**
     * Temporal's maxTaskQueueActivitiesPerSecond: activity starts a second on the worker's task queue,
     * across every worker polling it. It limits starts, not calls: an activity that pages (a trail read)
     * limits its own calls against its API's bucket above.
     */
    taskQueueActivitiesPerSecond: callsPerSecond.optional(),
    /** Temporal's maxActivitiesPerSecond: activity starts a second by this worker process alone. */
    workerActivitiesPerSecond: callsPerSecond.optional(),
  })
  .strict()
  .optional();

export type QuotasConfig = z.output<typeof quotaSectionFilled>;
const quotaSectionFilled = quotasSection.unwrap();

/** The section with its defaults filled in (the section may be absent from the file). */
export function quotasOf(config: { quotas?: z.input<typeof quotasSection> }): QuotasConfig {
  return quotaSectionFilled.parse(config.quotas ?? {});
}
