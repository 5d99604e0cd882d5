// AWS KMS as the rest of the project sees it (providers/provider.ts): OpenAI assumes a customer role that
// the key's policy, the role's policies or a grant lets use the key; CloudTrail shows the use.
import type { EkmActivities } from '../../activities';
import type { ProviderSpec } from '../provider';
import { awsRevocationMethods } from './request';
import { awsKeyFindings } from './preflight';
import { awsRestoreDiff } from './restoreDiff';
import { planAwsRevocation, planAwsRotation } from './plan';
import {
  awsDeletionActions,
  awsRevocationAction,
  awsRotationAction,
  describeAwsKeyAction,
} from './planActions';

export const awsSpec = {
  id: 'aws',
  name: 'AWS',
  kmsName: 'AWS KMS',
  trailName: 'CloudTrail',
  trailLog: 'CloudTrail',
  trailRetention: { seconds: 90 * 86400, words: '90 days (CloudTrail LookupEvents keeps 90 days)' },
  principalKind: 'role',
  keyField: 'keyArn',
  principalField: 'roleArn',
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
  keyOf: (subject: { provider: 'aws'; keyArn: string }) => subject.keyArn,
  principalOf: (subject: { provider: 'aws'; roleArn: string }) => subject.roleArn,
  trailEvidenceHeading: 'CloudTrail, calls by the role OpenAI assumes',
  keyAndPrincipal: 'this key or role',
  keyFindings: awsKeyFindings,
  restoreDiff: awsRestoreDiff,
  planRevocation: planAwsRevocation,
  planRotation: planAwsRotation,
  snapshotKey: (snapshot) => snapshot.key?.arn ?? '',
  revocationAction: awsRevocationAction,
  deletionActions: awsDeletionActions,
  // The AWS replacement's role trusts OpenAI by the external id OpenAI gives.
  replacementGrantee: (_request, externalId) => externalId,
  rotationAction: awsRotationAction,
  describeKeyAction: describeAwsKeyAction,
} as const satisfies ProviderSpec;
