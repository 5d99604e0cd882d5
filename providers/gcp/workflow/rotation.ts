// Rotating a Cloud KMS key (runbook: "rotate"): a new primary version now, or automatic rotation on a
// period. What OpenAI meets is the primary version, so only a key whose primary is ENABLED is rotated.
import type { ApprovalProof } from '../../../common/approvalProof';
import { gcpRotationView, periodSecondsOf } from '../rotateRequest';
import { type RotateKeyRequest, type KeyRotationState, type RotationChange } from '../../rotateRequests';
import { runHeadline } from '../../runSubject';
import { call } from '../../../workflows/revoke/call';
import type { RotatableKey } from '../../operations';
import { ownRequest } from '../../provider';

export async function describeGcpKeyForRotation(r: RotateKeyRequest): Promise<RotatableKey> {
  const request = ownRequest('gcp', r);
  const key = await call('read', 'describeGcpKey', `describe ${request.keyName}`, {
    keyName: request.keyName,
  });
  const primary = key.primaryVersion?.split('/').pop();
  // What OpenAI meets is the primary version: a rotation of a key it cannot use now would give use back.
  const refusal =
    key.state !== 'ENABLED'
      ? `keyName: the key's primary version is ${primary ? `${primary} ${key.state}` : 'missing'}; OpenAI cannot use the key now, and a new ENABLED primary would give that use back — a rotation must not change access`
      : key.usage !== 'ENCRYPT_DECRYPT'
        ? `keyName: the key's purpose is ${key.usage}; OpenAI EKM uses ENCRYPT_DECRYPT keys, and only those rotate by version`
        : undefined;
  return {
    ...(refusal ? { refusal } : {}),
    summary: `primary version ${primary ?? 'none'} ${key.state}`,
    description: key,
  };
}

export async function readGcpRotation(r: RotateKeyRequest): Promise<KeyRotationState> {
  const request = ownRequest('gcp', r);
  return gcpRotationView(
    await call('read', 'readGcpKeyRotation', `read the rotation of ${request.keyName}`, {
      keyName: request.keyName,
    }),
  );
}

/**
 * The newest version number read right before the change tells a retry its own version (read here, after
 * any gate, so a version an automatic rotation made meanwhile is not taken for ours).
 */
export async function rotateGcpKeyOnce(
  r: RotateKeyRequest,
  approval: ApprovalProof | undefined,
): Promise<RotationChange> {
  const request = ownRequest('gcp', r);
  const asked = request.rotation;
  const rotation =
    asked.kind === 'now'
      ? {
          rotation: { kind: 'now' as const },
          latestVersionBefore: (
            await call('read', 'readGcpKeyRotation', `read ${request.keyName}'s newest version`, {
              keyName: request.keyName,
            })
          ).latestVersion,
        }
      : { rotation: { kind: 'automatic' as const, periodSeconds: periodSecondsOf(asked.periodDays) } };
  const change = await call('change', 'rotateGcpKey', runHeadline(request), {
    keyName: request.keyName,
    ...rotation,
    ...(approval ? { approval } : {}),
  });
  return { changed: change.changed, description: change.description, after: gcpRotationView(change.after) };
}
