// The old AWS key's end (runbook: "schedule the old key's deletion"): KMS ScheduleKeyDeletion after the
// request's waiting period, watched by a run of its own until the date.
import { patchedBeforeCheaper } from '../../../workflows/revoke/cheaperRuns';
import type { ApprovalProof } from '../../../common/approvalProof';
import type { WatchedKey } from '../../watchRequests';
import { call } from '../../../workflows/revoke/call';
import type { ScheduledEnd } from '../../operations';
import { ownRequest } from '../../provider';
import type { RevokeKeyRequest } from '../../requests';

export function awsDeletionChange(r: RevokeKeyRequest): string {
  const request = ownRequest('aws', r);
  return `schedule deletion of ${request.keyArn} in ${request.deleteAfterDays} days (KMS ScheduleKeyDeletion)`;
}

export async function scheduleAwsKeyDeletion(
  r: RevokeKeyRequest,
  approval: ApprovalProof,
): Promise<ScheduledEnd> {
  const request = ownRequest('aws', r);
  const scheduled = await call(
    'change',
    'scheduleAwsKeyDeletion',
    `schedule deletion in ${request.deleteAfterDays} days`,
    { keyArn: request.keyArn, days: request.deleteAfterDays!, approval },
  );
  return {
    when: scheduled.deletionDate,
    description: `scheduled for ${scheduled.deletionDate}`,
    data: scheduled,
  };
}

/** Runs from before the watchdog had none (patch `deletion-watchdog`). */
export function awsDeletionScheduled(
  r: RevokeKeyRequest,
  scheduled: ScheduledEnd,
): { summary: string; watch?: WatchedKey } {
  const request = ownRequest('aws', r);
  return {
    summary: `deletion scheduled for ${scheduled.when}`,
    ...(patchedBeforeCheaper('deletion-watchdog')
      ? { watch: { provider: 'aws', keyArn: request.keyArn } }
      : {}),
  };
}
