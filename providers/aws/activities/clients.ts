import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { QuotaLimiter } from '../../../activities/quotas/limiters';
import { limitAwsCalls } from './quotaMiddleware';
import { awsRequestHandler } from '../../../activities/proxy/awsRequestHandler';

export interface AwsSettings {
  region: string;
  /** An explicit endpoint (the sandbox's moto); omit for AWS itself. */
  endpoint?: string;
  /**
   * Where CloudTrail's LookupEvents is read (the sandbox's OpenAI twin, since moto has none); omit for AWS
   * itself. Falls back to `endpoint`, so a worker pointed at a sandbox never reads from real AWS by accident.
   */
  cloudTrailEndpoint?: string;
  /** One account's sign-in (aws.accounts, providers/aws/accounts.ts); unset: the default chain. */
  credentials?: KMSClientConfig['credentials'];
  /** A profile of ~/.aws/config, for an account configured with one. */
  profile?: string;
}

export interface AwsClients {
  kms: KMSClient;
  /** IAM is global: the region only picks the partition's endpoint. */
  iam: IAMClient;
  /**
   * The audit trail: who used a key, when, and whether KMS refused them. Always built by createAwsClients;
   * optional only so that code needing KMS and IAM alone (the revocation's activity tests) can pass those.
   */
  cloudTrail?: CloudTrailClient;
  /**
   * AWS's tag index (Resource Groups Tagging API): finds the replacement key by the run's tags without
   * listing every key of the account. Always built by createAwsClients; optional as cloudTrail is.
   */
  tagging?: ResourceGroupsTaggingAPIClient;
}

/**
 * The retry split: the SDK retries a throttled or failed call a few times within one activity attempt,
 * slowing itself down when throttled (adaptive mode); Temporal owns every retry beyond that, with the
 * activity's backoff policy, so a retry survives a worker restart and shows in the run's history.
 */
export const awsRetry = { retryMode: 'adaptive', maxAttempts: 3 } as const;

/**
 * Credentials come from the AWS default chain of the worker's environment (or one account's sign-in of
 * aws.accounts), never from a run's input. With a limiter, every call goes through its API's token bucket
 * (worker/quotas.ts).
 */
export function createAwsClients(settings: AwsSettings, limiter?: QuotaLimiter): AwsClients {
  const limited = <C>(client: C, service: 'kms' | 'iam' | 'cloudtrail') =>
    limiter ? limitAwsCalls(client, service, limiter) : client;
  const common = {
    region: settings.region,
    credentials: settings.credentials,
    profile: settings.profile,
    // HTTPS_PROXY / HTTP_PROXY / NO_PROXY, which the SDK does not read itself.
    requestHandler: awsRequestHandler(),
    ...awsRetry,
  };
  return {
    kms: limited(new KMSClient({ ...common, endpoint: settings.endpoint }), 'kms'),
    iam: limited(new IAMClient({ ...common, endpoint: settings.endpoint }), 'iam'),
    cloudTrail: limited(
      new CloudTrailClient({ ...common, endpoint: settings.cloudTrailEndpoint ?? settings.endpoint }),
      'cloudtrail',
    ),
    // Where KMS is: the sandbox's moto answers both.
    tagging: new ResourceGroupsTaggingAPIClient({ ...common, endpoint: settings.endpoint }),
  };
}
