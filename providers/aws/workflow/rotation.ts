// Rotating an AWS key (runbook: "rotate"): KMS rotates enabled symmetric keys only, on demand or yearly-ish
// on a period; a rotation started since the step began is the run's own.
import type { ApprovalProof } from '../../../common/approvalProof';
import type { RotateKeyRequest, KeyRotationState, RotationChange } from '../../rotateRequests';
import { runHeadline } from '../../runSubject';
import { call } from '../../../workflows/revoke/call';
import { now } from '../../../workflows/revoke/runRecord';
import type { RotatableKey } from '../../operations';
import { ownRequest } from '../../provider';

export async function describeAwsKeyForRotation(r: RotateKeyRequest): Promise<RotatableKey> {
  const request = ownRequest('aws', r);
  const key = await call('read', 'describeKey', `describe ${request.keyArn}`, request.keyArn);
  const refusal =
    key.state !== 'Enabled'
      ? `keyArn: the key is ${key.state}; KMS rotates enabled keys only, and OpenAI cannot use it now anyway`
      : key.keySpec !== 'SYMMETRIC_DEFAULT'
        ? `keyArn: the key is ${key.keySpec}; KMS rotates symmetric encryption keys only`
        : undefined;
  return { ...(refusal ? { refusal } : {}), summary: `key ${key.state}`, description: key };
}

export function readAwsRotation(r: RotateKeyRequest): Promise<KeyRotationState> {
  const request = ownRequest('aws', r);
  return call('read', 'readAwsKeyRotation', `read the rotation of ${request.keyArn}`, request.keyArn);
}

export function rotateAwsKeyOnce(
  r: RotateKeyRequest,
  approval: ApprovalProof | undefined,
): Promise<RotationChange> {
  const request = ownRequest('aws', r);
  return call('change', 'rotateAwsKey', runHeadline(request), {
    keyArn: request.keyArn,
    rotation: request.rotation,
    notBefore: now(),
    ...(approval ? { approval } : {}),
  });
}
