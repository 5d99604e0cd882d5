// CloudTrail, where an AWS key's use is read: the usage check, the revocation's trail step and the deletion
// watchdog all read it through here.
import type { ActivityOptions } from '@temporalio/workflow';
import type { KeyUsageReport } from '../usageReport';
import { reads } from '../../../workflows/revoke/activities';
import type { KeyRef } from '../../operations';
import { ownRequest } from '../../provider';

export function readAwsUsage(
  ref: KeyRef,
  since: string,
  until: string,
  options: ActivityOptions,
): Promise<KeyUsageReport> {
  const key = ownRequest('aws', ref);
  return reads.readAwsKeyUsage.executeWithOptions(options, [
    { keyArn: key.keyArn, ...(key.roleArn ? { roleArn: key.roleArn } : {}), since, until },
  ]);
}
