// The seam between the restore runbook and the cloud the key lives in, as workflows/revoke/cloud.ts is for
// the revocation: restoreAccess.ts reads the same for both clouds; what differs — which call puts access
// back, what a snapshot holds, whether a lock is taken, how the plan names the key and OpenAI — is decided
// here, once. Each AWS branch issues exactly the calls the AWS-only restore issued, so its histories replay.
import { ApplicationFailure } from '@temporalio/workflow';
import type { ApprovalProof } from '../../common/approvalProof';
import { EkmError } from '../../common/errors';
import type { RevocationChange, RevokeKeyRequest } from '../../providers/requests';
import type { AwsAccessSnapshot } from '../../providers/aws/request';
import type { GcpAccessSnapshot } from '../../providers/gcp/request';
import { keyOf, principalOf } from '../../providers/runSubject';
import { lockRole } from '../locks';
import { call } from '../revoke/call';
import type { AccessSnapshot } from '../revoke/cloud';

/**
 * The revocation's snapshot, checked against its request: the worker's store holds one per run, but a
 * snapshot of the other cloud's shape, or of another key, must never reach a restore's change.
 */
export function snapshotFor(request: RevokeKeyRequest, snapshot: AccessSnapshot): AccessSnapshot {
  const gcpShaped = 'keyName' in snapshot;
  // An AWS request's key may be spelt as the revocation was asked (an alias ARN); its snapshot names the
  // key ARN: only the shape is checked there. A Cloud KMS key name has one spelling.
  const mismatch =
    request.provider === 'gcp'
      ? !gcpShaped || snapshot.keyName !== request.keyName
        ? `is of ${gcpShaped ? snapshot.keyName : 'an AWS key'}, not of ${request.keyName}`
        : undefined
      : gcpShaped
        ? `is of the Google Cloud key ${snapshot.keyName}, not of ${request.keyArn}`
        : undefined;
  if (mismatch)
    throw ApplicationFailure.create({
      type: EkmError.PreflightFailed,
      nonRetryable: true,
      message: `revokeRunId: the revocation's access snapshot ${mismatch}: nothing was changed`,
    });
  return snapshot;
}

/**
 * A role is shared by keys and a restore edits it (trust, inline policy, grants), so on AWS the role's lock
 * is taken as revokeKey takes it. A Google Cloud restore edits only the key's own IAM policy, versions and
 * rotation (and the ring's policy only where the snapshot had the principal there), which the key's
 * workflow id already locks — revokeKey takes no lock on Google Cloud either.
 */
export async function lockWhatTheRestoreEdits(
  request: RevokeKeyRequest,
): Promise<(() => Promise<void>) | undefined> {
  if (request.provider === 'gcp') return undefined;
  return lockRole(request.roleArn);
}

/** The plan's words: what the restore puts back, on which key, for whom — in the key's cloud's spelling. */
export function restoreChanges(request: RevokeKeyRequest, snapshot: AccessSnapshot): string[] {
  const undo = `restore what ${request.method} removed on ${keyOf(request)} / ${principalOf(request)}, from the snapshot taken at ${snapshot.takenAt}`;
  if (request.provider !== 'gcp') return [undo];
  const s = snapshot as GcpAccessSnapshot;
  if (request.method === 'remove-binding')
    return [
      undo,
      s.bindings.length
        ? `IAM SetIamPolicy: put back ${s.bindings.map((b) => `${b.member} in ${b.role} on ${b.resource}${b.condition ? ` (if ${b.condition.expression})` : ''}`).join('; ')}`
        : `the snapshot holds no binding for ${s.principal}: nothing to put back`,
    ];
  return [
    undo,
    `Cloud KMS UpdateCryptoKeyVersion: enable ${s.enabledVersions.length ? s.enabledVersions.map((v) => v.split('/').pop()).join(', ') : 'no version (none was enabled)'}`,
    s.rotation
      ? `Cloud KMS UpdateCryptoKey: automatic rotation every ${s.rotation.periodSeconds} s again (next rotation as the snapshot had it, or the next one after now)`
      : 'automatic rotation was off in the snapshot: it stays off',
  ];
}

/** The restore itself, by the revocation's method; the restore gate's approvals go with it, and it checks them. */
export function restoreAccessFromSnapshot(
  request: RevokeKeyRequest,
  snapshot: AccessSnapshot,
  approval: ApprovalProof,
): Promise<RevocationChange> {
  if (request.provider === 'gcp')
    return call('change', 'restoreGcpAccess', `restore ${request.method}`, {
      method: request.method,
      snapshot: snapshot as GcpAccessSnapshot,
      approval,
    });
  return call('change', 'restoreAwsAccess', `restore ${request.method}`, {
    method: request.method,
    snapshot: snapshot as AwsAccessSnapshot,
    approval,
  });
}
