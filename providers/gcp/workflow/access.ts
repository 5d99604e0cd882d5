// OpenAI's access to a Cloud KMS key, as the revocation and the restore change it: the snapshot of what a
// method removes (OpenAI's bindings on the key and its ring, the enabled versions, the rotation), the
// revoke by method, and the restore from that snapshot.
import type { ApprovalProof } from '../../../common/approvalProof';
import { call } from '../../../workflows/revoke/call';
import { ownRequest } from '../../provider';
import type { AccessSnapshot, RevocationChange, RevokeKeyRequest } from '../../requests';
import type { GcpAccessSnapshot } from '../request';

export function snapshotGcpAccess(r: RevokeKeyRequest): Promise<AccessSnapshot> {
  const request = ownRequest('gcp', r);
  return call('read', 'snapshotGcpAccess', 'snapshot what the method will remove', {
    keyName: request.keyName,
    principal: request.principal,
  });
}

export function revokeGcpAccess(
  r: RevokeKeyRequest,
  _snapshot: AccessSnapshot,
  approval: ApprovalProof,
): Promise<RevocationChange> {
  const request = ownRequest('gcp', r);
  return call('change', 'revokeGcpAccess', `revoke by ${request.method}`, {
    method: request.method,
    keyName: request.keyName,
    principal: request.principal,
    approval,
  });
}

/** A Cloud KMS key name has one spelling: the snapshot must be of exactly this key. */
export function gcpSnapshotMismatch(r: RevokeKeyRequest, snapshot: AccessSnapshot): string | undefined {
  const request = ownRequest('gcp', r);
  const gcpShaped = 'keyName' in snapshot;
  return !gcpShaped || snapshot.keyName !== request.keyName
    ? `is of ${gcpShaped ? snapshot.keyName : 'an AWS key'}, not of ${request.keyName}`
    : undefined;
}

/** What the restore puts back, beyond the run's one line: the bindings, or the versions and the rotation. */
export function gcpRestoreDetails(request: RevokeKeyRequest, snapshot: AccessSnapshot): string[] {
  const s = snapshot as GcpAccessSnapshot;
  if (request.method === 'remove-binding')
    return [
      s.bindings.length
        ? `IAM SetIamPolicy: put back ${s.bindings.map((b) => `${b.member} in ${b.role} on ${b.resource}${b.condition ? ` (if ${b.condition.expression})` : ''}`).join('; ')}`
        : `the snapshot holds no binding for ${s.principal}: nothing to put back`,
    ];
  return [
    `Cloud KMS UpdateCryptoKeyVersion: enable ${s.enabledVersions.length ? s.enabledVersions.map((v) => v.split('/').pop()).join(', ') : 'no version (none was enabled)'}`,
    s.rotation
      ? `Cloud KMS UpdateCryptoKey: automatic rotation every ${s.rotation.periodSeconds} s again (next rotation as the snapshot had it, or the next one after now)`
      : 'automatic rotation was off in the snapshot: it stays off',
  ];
}

export function restoreGcpAccess(
  r: RevokeKeyRequest,
  snapshot: AccessSnapshot,
  approval: ApprovalProof,
): Promise<RevocationChange> {
  const request = ownRequest('gcp', r);
  return call('change', 'restoreGcpAccess', `restore ${request.method}`, {
    method: request.method,
    snapshot: snapshot as GcpAccessSnapshot,
    approval,
  });
}
