// The seam between the runbook and the cloud the key lives in: the same steps, each done by the AWS or
// the Google Cloud activity. The runbook (revokeKey.ts) reads the same for both; what differs — which
// call revokes, what a snapshot holds, how a key is scheduled for deletion — is decided here, once.
import type { ApprovalProof } from '../../common/approvalProof';
import type { RevocationChange, RevokeKeyRequest } from '../../providers/requests';
import type { AwsAccessSnapshot } from '../../providers/aws/request';
import type { GcpAccessSnapshot } from '../../providers/gcp/request';
import { call } from './call';

export type AccessSnapshot = AwsAccessSnapshot | GcpAccessSnapshot;

/** The state the method will remove, read (and kept for `ekm restore`) right before the change. */
export function snapshotAccess(request: RevokeKeyRequest): Promise<AccessSnapshot> {
  if (request.provider === 'gcp')
    return call('read', 'snapshotGcpAccess', 'snapshot what the method will remove', {
      keyName: request.keyName,
      principal: request.principal,
    });
  return call('read', 'snapshotAwsAccess', 'snapshot what the method will remove', {
    keyArn: request.keyArn,
    roleArn: request.roleArn,
  });
}

/** The revoke itself, by the request's method; the gate's approvals go with it, and it checks them. */
export function revokeAccess(
  request: RevokeKeyRequest,
  snapshot: AccessSnapshot,
  approval: ApprovalProof,
): Promise<RevocationChange> {
  if (request.provider === 'gcp')
    return call('change', 'revokeGcpAccess', `revoke by ${request.method}`, {
      method: request.method,
      keyName: request.keyName,
      principal: request.principal,
      approval,
    });
  return call('change', 'revokeAwsAccess', `revoke by ${request.method}`, {
    method: request.method,
    keyArn: request.keyArn,
    roleArn: request.roleArn,
    snapshot: snapshot as AwsAccessSnapshot,
    approval,
  });
}

/** The plan's words for the deletion step: KMS deletes a key, Cloud KMS destroys its versions. */
export function deletionChange(request: RevokeKeyRequest, destroyAfterSeconds?: number): string {
  if (request.provider === 'gcp')
    return `schedule destruction of every version of ${request.keyName} (Cloud KMS DestroyCryptoKeyVersion, after stopping automatic rotation); the material goes ${destroyAfterSeconds !== undefined ? `${Math.round(destroyAfterSeconds / 86400)} days` : 'the key’s destroy-scheduled duration'} later`;
  return `schedule deletion of ${request.keyArn} in ${request.deleteAfterDays} days (KMS ScheduleKeyDeletion)`;
}

/** Schedules the old key's end; the deletion gate's approvals go with it. */
export async function scheduleKeyDeletion(
  request: RevokeKeyRequest,
  approval: ApprovalProof,
): Promise<{ when: string; description: string; data: unknown }> {
  if (request.provider === 'gcp') {
    const destruction = await call(
      'change',
      'scheduleGcpKeyDestruction',
      `schedule the destruction of every version of ${request.keyName}`,
      { keyName: request.keyName, approval },
    );
    return {
      when: destruction.destroyTime ?? 'at once',
      description: destruction.description,
      data: destruction,
    };
  }
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
