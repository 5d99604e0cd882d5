// An AWS KMS key on the command line (providers/cloudCli.ts): `--key` takes a key ARN, an alias or a key
// id, which the worker resolves to the key ARN (the CLI holds no cloud credentials); `--role` names the
// role OpenAI assumes, whose lock a change takes beside the key's.
import type { Client } from '@temporalio/client';
import { UsageError } from '../../client/errors';
import { isKeyArn, keyArnOrStandIn, resolveKeyArn } from './keyResolution';
import { awaitRoleTurn } from '../../client/runs';
import { describeIssues } from '../../common/keys';
import { inspectKeyInput } from '../inspectKeyInput';
import { rotationPeriodDays } from './rotateRequest';
import type { CloudCli } from '../cloudCli';
import { ownRequest } from '../provider';
import { awsMethodsChangingTheRole, type AwsRevokeKeyInput } from './request';

const keyHelp = 'the AWS KMS key: key ARN, alias (alias/NAME), alias ARN or key id';

export const awsCli: CloudCli = {
  id: 'aws',
  keyFlag: '--key',
  helpLabel: 'AWS',
  flagOfField: { keyArn: '--key', roleArn: '--role' },
  keyOptions: {
    key: { flags: '--key <ref>', description: keyHelp },
    principal: {
      flags: '--role <arn>',
      description: 'the customer role OpenAI assumes (arn:aws:iam::ACCOUNT:role/NAME)',
    },
    principalBesideKey: {
      flags: '--role <arn>',
      description: 'the customer role OpenAI assumes (with --key)',
    },
    keyPendingDeletion: { flags: '--key <ref>', description: keyHelp },
    keyToInspect: { flags: '--key <ref>', description: 'AWS key ARN, alias (alias/NAME) or key id' },
  },
  revokeOptions: [
    {
      flags: '--key <ref>',
      description: 'AWS: the KMS key: key ARN, alias (alias/NAME), alias ARN or key id',
    },
    {
      flags: '--role <arn>',
      description: 'AWS: the customer role OpenAI assumes (arn:aws:iam::ACCOUNT:role/NAME)',
    },
  ],
  namesKey: (flags) => flags.key !== undefined,
  keyChoice: (needsOpenAi) => `--key${needsOpenAi ? ' (with --role)' : ''} for an AWS KMS key`,
  checkKeyFlags(flags, needsOpenAi) {
    if (flags.principal !== undefined)
      throw new UsageError("--principal: is Google Cloud's (with --key-name); an AWS key takes --role");
    if (needsOpenAi && !flags.role)
      throw new UsageError('--role: is required with --key: the role OpenAI assumes');
  },
  keyRefOf(flags) {
    const ref = inspectKeyInput.safeParse({ provider: 'aws', key: flags.key });
    if (!ref.success) throw new UsageError(`--${describeIssues(ref.error)}`);
    return ref.data.key;
  },
  standInKey: (keyRef, flags) => keyArnOrStandIn(keyRef, flags.role),
  resolveKey: (client, taskQueue, keyRef, startedBy) => resolveKeyArn(client, taskQueue, keyRef, startedBy),
  keyFields: (keyArn) => ({ provider: 'aws', keyArn }),
  subjectFields: (keyArn, flags) => ({ provider: 'aws', keyArn, roleArn: flags.role as string }),
  rotation: { label: 'AWS', now: 'KMS RotateKeyOnDemand', periodDays: rotationPeriodDays },
  revokeRequest(flags, shared) {
    if (flags.keyName || flags.principal)
      throw new UsageError(
        `${flags.keyName ? '--key-name' : '--principal'}: is for Google Cloud keys (--provider gcp); an AWS key takes --key and --role`,
      );
    if (!flags.key)
      throw new UsageError('--key: is required: give the key ARN, an alias (alias/NAME) or a key id');
    const keyRef = awsCli.keyRefOf(flags);
    const given = isKeyArn(keyRef);
    const input: AwsRevokeKeyInput = {
      provider: 'aws',
      keyArn: keyArnOrStandIn(keyRef, flags.role),
      roleArn: flags.role as string,
      ...shared(),
    };
    return { input, keyRef, needsResolution: !given };
  },
  // A method that edits the role takes a turn on it: two keys' runs must not edit one role at once.
  awaitLocks: (client: Client, request, startingAs) =>
    awaitRoleTurn(
      client,
      ownRequest('aws', request).roleArn,
      awsMethodsChangingTheRole.includes((request as { method?: string }).method ?? ''),
      startingAs,
    ),
};
