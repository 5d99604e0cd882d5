// The runbook's last step for the old key: schedule its deletion after a waiting period (or cancel it).
// Both read the key's state first, so a retry answers with the deletion already scheduled (or cancelled)
// instead of moving its date or failing on a key KMS no longer lets it change.
import { CancelKeyDeletionCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { AwsClients } from './clients';
import { toAwsFailure } from './errors';
import { readKey } from './snapshotAccess';

export interface ScheduleKeyDeletionRequest {
  keyArn: string;
  /** KMS's waiting period, 7–30 days; moto ignores a value out of range, so it is checked here. */
  days: number;
}

export function scheduleAwsKeyDeletion(clients: AwsClients) {
  const { kms } = clients;
  return async function scheduleKeyDeletion({
    keyArn,
    days,
  }: ScheduleKeyDeletionRequest): Promise<{ deletionDate: string; changed: boolean }> {
    if (!Number.isInteger(days) || days < 7 || days > 30)
      throw ApplicationFailure.create({
        type: EkmError.InvalidInput,
        message: `days: must be a whole number from 7 to 30 (the AWS KMS waiting period), got ${days}`,
        nonRetryable: true,
      });
    try {
      const key = await readKey(kms, keyArn);
      if (key.state === 'PendingDeletion') {
        if (!key.deletionDate)
          throw new Error(`${keyArn} is PendingDeletion but DescribeKey gave no DeletionDate`);
        return { deletionDate: key.deletionDate.toISOString(), changed: false };
      }
      // moto answers 500 to ScheduleKeyDeletion given an ARN: the bare key id works on both.
      const { DeletionDate } = await kms.send(
        new ScheduleKeyDeletionCommand({ KeyId: key.keyId, PendingWindowInDays: days }),
      );
      if (!DeletionDate) throw new Error(`ScheduleKeyDeletion answered without a DeletionDate for ${keyArn}`);
      return { deletionDate: DeletionDate.toISOString(), changed: true };
    } catch (err) {
      throw toAwsFailure(err, `schedule deletion of ${keyArn} in ${days} days`);
    }
  };
}

export function cancelAwsKeyDeletion(clients: AwsClients) {
  const { kms } = clients;
  return async function cancelKeyDeletion({
    keyArn,
  }: {
    keyArn: string;
  }): Promise<{ changed: boolean; state: string; description: string }> {
    try {
      const key = await readKey(kms, keyArn);
      if (key.state !== 'PendingDeletion')
        return {
          changed: false,
          state: key.state,
          description: `${keyArn} is ${key.state}, not pending deletion: nothing changed`,
        };
      await kms.send(new CancelKeyDeletionCommand({ KeyId: key.keyId }));
      const after = await readKey(kms, keyArn);
      return {
        changed: true,
        state: after.state,
        // KMS: a key whose deletion is cancelled stays Disabled until someone enables it.
        description: `KMS CancelKeyDeletion on ${keyArn}: the deletion scheduled for ${key.deletionDate?.toISOString() ?? 'an unknown date'} is cancelled; the key is ${after.state}`,
      };
    } catch (err) {
      throw toAwsFailure(err, `cancel deletion of ${keyArn}`);
    }
  };
}
