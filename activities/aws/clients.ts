import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';

export interface AwsSettings {
  region: string;
  /** An explicit endpoint (the sandbox's moto); omit for AWS itself. */
  endpoint?: string;
}

export interface AwsClients {
  kms: KMSClient;
  /** IAM is global: the region only picks the partition's endpoint. */
  iam: IAMClient;
}

/** Credentials come from the AWS default chain of the worker's environment, never from a run's input. */
export function createAwsClients(settings: AwsSettings): AwsClients {
  return {
    kms: new KMSClient({ region: settings.region, endpoint: settings.endpoint }),
    iam: new IAMClient({ region: settings.region, endpoint: settings.endpoint }),
  };
}
