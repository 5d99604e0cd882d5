import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';

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
}

/** Credentials come from the AWS default chain of the worker's environment, never from a run's input. */
export function createAwsClients(settings: AwsSettings): AwsClients {
  const signIn = { credentials: settings.credentials, profile: settings.profile };
  return {
    kms: new KMSClient({ region: settings.region, endpoint: settings.endpoint, ...signIn }),
    iam: new IAMClient({ region: settings.region, endpoint: settings.endpoint, ...signIn }),
    cloudTrail: new CloudTrailClient({
      region: settings.region,
      endpoint: settings.cloudTrailEndpoint ?? settings.endpoint,
      ...signIn,
    }),
  };
}
