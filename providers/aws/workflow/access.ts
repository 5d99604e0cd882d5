// OpenAI's access to an AWS key, as the revocation and the restore change it: the snapshot of what a
// method removes (key policy, the role's trust and policies, grants), the revoke by method, and the restore
// from that snapshot.
import type { ApprovalProof } from '../../../common/approvalProof';
import { call } from '../../../workflows/revoke/call';
import { ownRequest } from '../../provider';
import type { AccessSnapshot, RevocationChange, RevokeKeyRequest } from '../../requests';
import type { AwsAccessSnapshot } from '../request';

export function snapshotAwsAccess(r: RevokeKeyRequest): Promise<AccessSnapshot> {
  const request = ownRequest('aws', r);
  return call('read', 'snapshotAwsAccess', 'snapshot what the method will remove', {
    keyArn: request.keyArn,
    roleArn: request.roleArn,
  });
}

export function revokeAwsAccess(
  r: RevokeKeyRequest,
  snapshot: AccessSnapshot,
  approval: ApprovalProof,
): Promise<RevocationChange> {
  const request = ownRequest('aws', r);
  return call('change', 'revokeAwsAccess', `revoke by ${request.method}`, {
    method: request.method,
    keyArn: request.keyArn,
    roleArn: request.roleArn,
    snapshot: snapshot as AwsAccessSnapshot,
    approval,
  });
}

/**
 * An AWS request's key may be spelt as the revocation was asked (an alias ARN); its snapshot names the key
 * ARN: only the shape is checked.
 */
export function awsSnapshotMismatch(r: RevokeKeyRequest, snapshot: AccessSnapshot): string | undefined {
  const request = ownRequest('aws', r);
  return 'keyName' in snapshot
    ? `is of the Google Cloud key ${snapshot.keyName}, not of ${request.keyArn}`
    : undefined;
}

export function restoreAwsAccess(
  r: RevokeKeyRequest,
  snapshot: AccessSnapshot,
  approval: ApprovalProof,
): Promise<RevocationChange> {
  const request = ownRequest('aws', r);
  return call('change', 'restoreAwsAccess', `restore ${request.method}`, {
    method: request.method,
    snapshot: snapshot as AwsAccessSnapshot,
    approval,
  });
}
