// Google Cloud KMS as the rest of the project sees it (providers/provider.ts): OpenAI reaches the key as an
// IAM principal (through the customer's workload identity pool) bound on the key; Cloud Logging's Data
// Access log shows the use; Cloud KMS destroys versions rather than deleting keys.
import type { EkmActivities } from '../../activities';
import type { ProviderSpec } from '../provider';
import { gcpRevocationMethods } from './request';

export const gcpSpec = {
  id: 'gcp',
  name: 'Google Cloud',
  kmsName: 'Cloud KMS',
  trailName: 'Cloud Logging',
  trailRetention: {
    seconds: 30 * 86400,
    words: '30 days (Cloud Logging’s _Default bucket keeps Data Access entries 30 days)',
  },
  principalKind: 'principal',
  keyField: 'keyName',
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
} as const satisfies ProviderSpec;
