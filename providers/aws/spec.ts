// AWS KMS as the rest of the project sees it (providers/provider.ts): OpenAI assumes a customer role that
// the key's policy, the role's policies or a grant lets use the key; CloudTrail shows the use.
import type { EkmActivities } from '../../activities';
import type { ProviderSpec } from '../provider';
import { awsRevocationMethods } from './request';

export const awsSpec = {
  id: 'aws',
  name: 'AWS',
  kmsName: 'AWS KMS',
  trailName: 'CloudTrail',
  trailRetention: { seconds: 90 * 86400, words: '90 days (CloudTrail LookupEvents keeps 90 days)' },
  principalKind: 'role',
  keyField: 'keyArn',
  revocationMethods: awsRevocationMethods,
  mutatingActivities: [
    'revokeAwsAccess',
    'restoreAwsAccess',
    'createReplacementKeyOnce',
    'grantOpenAiAccess',
    'scheduleAwsKeyDeletion',
    'cancelAwsKeyDeletion',
    'rotateAwsKey',
  ] as const satisfies readonly (keyof EkmActivities)[],
  stepTitle: (title) => title,
} as const satisfies ProviderSpec;
