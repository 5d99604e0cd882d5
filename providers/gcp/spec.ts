// Google Cloud KMS as the rest of the project sees it (providers/provider.ts): OpenAI reaches the key as an
// IAM principal (through the customer's workload identity pool) bound on the key; Cloud Logging's Data
// Access log shows the use; Cloud KMS destroys versions rather than deleting keys.
import type { EkmActivities } from '../../activities';
import type { ProviderSpec } from '../provider';
import { gcpRevocationMethods, type GcpRevokeKeyRequest } from './request';
import { gcpKeyFindings } from './preflight';
import { gcpRestoreDiff } from './restoreDiff';
import { planGcpRevocation, planGcpRotation } from './plan';
import {
  describeGcpKeyAction,
  gcpDeletionActions,
  gcpRevocationAction,
  gcpRotationAction,
} from './planActions';

export const gcpSpec = {
  id: 'gcp',
  name: 'Google Cloud',
  kmsName: 'Cloud KMS',
  trailName: 'Cloud Logging',
  trailLog: 'Cloud Logging (Data Access)',
  trailRetention: {
    seconds: 30 * 86400,
    words: '30 days (Cloud Logging’s _Default bucket keeps Data Access entries 30 days)',
  },
  principalKind: 'principal',
  keyField: 'keyName',
  principalField: 'principal',
  revocationMethods: gcpRevocationMethods,
  mutatingActivities: [
    'revokeGcpAccess',
    'restoreGcpAccess',
    'rotateGcpKey',
    'createGcpReplacementKey',
    'grantGcpOpenAiAccess',
    'scheduleGcpKeyDestruction',
    'cancelGcpKeyDestruction',
  ] as const satisfies readonly (keyof EkmActivities)[],
  // OpenAI reaches a Cloud KMS key through bindings on the key, not a role.
  stepTitle: (title) =>
    title
      .replace('key, role, registration', 'key, OpenAI’s bindings, registration')
      .replace('OpenAI’s role', 'OpenAI’s principal'),
  keyOf: (subject: { provider: 'gcp'; keyName: string }) => subject.keyName,
  principalOf: (subject: { provider: 'gcp'; principal: string }) => subject.principal,
  trailEvidenceHeading: 'Cloud Logging Data Access entries, calls by OpenAI’s principal',
  keyAndPrincipal: 'this key',
  keyFindings: gcpKeyFindings,
  restoreDiff: gcpRestoreDiff,
  planRevocation: planGcpRevocation,
  planRotation: planGcpRotation,
  snapshotKey: (snapshot) => snapshot.keyName ?? '',
  revocationAction: gcpRevocationAction,
  deletionActions: gcpDeletionActions,
  // OpenAI's principal is bound on the replacement key as on the old one.
  replacementGrantee: (request: GcpRevokeKeyRequest) => request.principal,
  rotationAction: gcpRotationAction,
  describeKeyAction: describeGcpKeyAction,
} as const satisfies ProviderSpec;
