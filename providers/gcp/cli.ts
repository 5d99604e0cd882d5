// A Cloud KMS key on the command line (providers/cloudCli.ts): `--key-name` takes the key's resource name,
// the only name Google Cloud gives a key (nothing to resolve on the worker), and `--principal` OpenAI's IAM
// principal as the key's binding names it. A change edits only the key, which its own run id locks.
import { UsageError } from '../../client/errors';
import { gcpRotationPeriodDays } from './rotateRequest';
import type { CloudCli } from '../cloudCli';
import type { GcpRevokeKeyInput } from './request';

export const gcpCli: CloudCli = {
  id: 'gcp',
  keyFlag: '--key-name',
  helpLabel: 'GCP',
  flagOfField: { keyName: '--key-name', principal: '--principal' },
  keyOptions: {
    key: {
      flags: '--key-name <name>',
      description: 'a Cloud KMS key: projects/…/locations/…/keyRings/…/cryptoKeys/…',
    },
    principal: {
      flags: '--principal <p>',
      description: "OpenAI's IAM principal on that key (principal://iam.googleapis.com/…)",
    },
    principalBesideKey: {
      flags: '--principal <p>',
      description: "OpenAI's IAM principal on that key (with --key-name)",
    },
    keyPendingDeletion: {
      flags: '--key-name <name>',
      description: 'a Cloud KMS key whose versions are scheduled for destruction',
    },
    keyToInspect: {
      flags: '--key-name <name>',
      description: 'Google Cloud: projects/…/locations/…/keyRings/…/cryptoKeys/…',
    },
  },
  revokeOptions: [
    {
      flags: '--key-name <name>',
      description:
        'GCP: the Cloud KMS key (projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY)',
    },
    {
      flags: '--principal <member>',
      description:
        "GCP: OpenAI's IAM principal as the key's binding names it (principal://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/subject/SUBJECT)",
    },
  ],
  namesKey: (flags) => flags.keyName !== undefined,
  keyChoice: (needsOpenAi) => `--key-name${needsOpenAi ? ' (with --principal)' : ''} for a Cloud KMS key`,
  checkKeyFlags(flags, needsOpenAi) {
    if (flags.role !== undefined) throw new UsageError("--role: is AWS's; a Cloud KMS key takes --principal");
    if (needsOpenAi && !flags.principal)
      throw new UsageError("--principal: is required with --key-name: OpenAI's IAM principal on the key");
  },
  keyRefOf: (flags) => flags.keyName!,
  standInKey: (keyName) => keyName,
  // A Cloud KMS key has one name and no aliases: nothing to resolve on the worker.
  resolveKey: async (_client, _taskQueue, keyName) => keyName,
  keyFields: (keyName) => ({ provider: 'gcp', keyName }),
  subjectFields: (keyName, flags) => ({ provider: 'gcp', keyName, principal: flags.principal as string }),
  rotation: { label: 'Cloud KMS', now: 'a new version made primary', periodDays: gcpRotationPeriodDays },
  revokeRequest(flags, shared) {
    if (flags.key || flags.role)
      throw new UsageError(
        `${flags.key ? '--key' : '--role'}: is for AWS keys; a Google Cloud key takes --key-name and --principal`,
      );
    if (!flags.keyName)
      throw new UsageError(
        '--key-name: is required with --provider gcp: give projects/PROJECT/locations/LOCATION/keyRings/RING/cryptoKeys/KEY',
      );
    const input: GcpRevokeKeyInput = {
      provider: 'gcp',
      keyName: flags.keyName,
      principal: flags.principal as string,
      ...shared(),
    };
    return { input, keyRef: flags.keyName, needsResolution: false };
  },
  // The key's own run id is its lock: nothing else to wait for.
  awaitLocks: async () => {},
};
