// The published request quotas the sandbox's quota layer enforces, per action, and the quota each action
// draws on (several actions may share one, as KMS's cryptographic operations do). Figures are per second;
// a benchmark scales them all by one factor, so the ratios between them survive.
//
// Sources (read 2026-12):
// - AWS KMS "Request quotas" (https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html):
//   per account and Region; symmetric cryptographic operations share 5,500/s (more in a few Regions).
// - AWS CloudTrail "Quotas" (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html):
//   LookupEvents 2 requests per second per account per Region.
// - IAM publishes no per-second figures; the sandbox chooses conservative ones (reads 20/s, writes 5/s).
// - Cloud KMS "Quotas" (https://cloud.google.com/kms/quotas): per project, read requests 300/min, write
//   requests 60/min, cryptographic requests 60,000/min.
// - Cloud Logging "Quotas and limits" (https://cloud.google.com/logging/quotas): entries.list 60/min per project.
// - OpenAI publishes no Admin API rate: the sandbox chooses 5/s, a conservative guess, and says so.

import { kmsCryptographicOperations } from '../../providers/aws/usageReport';

export interface QuotaRate {
  /** The quota the action draws on, e.g. `kms:write`; actions naming the same quota share its bucket. */
  quota: string;
  perSecond: number;
}

const kmsCrypto = { quota: 'kms:cryptographic', perSecond: 5500 };
/** AWS KMS actions with their own published rate; any other KMS action gets the write figure, 5/s. */
const kmsRates: Record<string, number> = {
  DescribeKey: 2000,
  GetKeyPolicy: 1000,
  GetKeyRotationStatus: 1000,
  GetPublicKey: 2000,
  ListAliases: 100,
  ListGrants: 100,
  ListKeyPolicies: 100,
  ListKeys: 100,
  ListResourceTags: 50,
  ListRetirableGrants: 100,
  ListKeyRotations: 50,
  CreateGrant: 50,
  RetireGrant: 30,
  RevokeGrant: 30,
  TagResource: 10,
};
// The KMS operations that use key material share one quota (the asymmetric ones have their own, lower,
// figures at AWS; the sandbox's keys are symmetric, so one bucket serves).
const kmsCryptoActions = new Set<string>(kmsCryptographicOperations);

/** The published rate of an action, or undefined for one no quota limits (it is still counted). */
export function publishedRate(action: string): QuotaRate | undefined {
  const [service, name = ''] = action.split(':');
  switch (service) {
    case 'kms':
      if (kmsCryptoActions.has(name)) return kmsCrypto;
      return { quota: `kms:${name}`, perSecond: kmsRates[name] ?? 5 };
    case 'iam':
      return /^(Get|List)/.test(name)
        ? { quota: 'iam:read', perSecond: 20 }
        : { quota: 'iam:write', perSecond: 5 };
    case 'cloudtrail':
      return name === 'LookupEvents' ? { quota: 'cloudtrail:LookupEvents', perSecond: 2 } : undefined;
    case 'cloudkms':
      if (
        /^(Encrypt|Decrypt|AsymmetricSign|AsymmetricDecrypt|MacSign|MacVerify|GenerateRandomBytes)/.test(name)
      )
        return { quota: 'cloudkms:cryptographic', perSecond: 60000 / 60 };
      return /^(Get|List|TestIamPermissions)/.test(name)
        ? { quota: 'cloudkms:read', perSecond: 300 / 60 }
        : { quota: 'cloudkms:write', perSecond: 60 / 60 };
    case 'logging':
      return name === 'ListLogEntries' ? { quota: 'logging:entries.list', perSecond: 60 / 60 } : undefined;
    case 'openai':
      return name.startsWith('admin') ? { quota: 'openai:admin', perSecond: 5 } : undefined;
    default:
      return undefined;
  }
}
