// The seam between the rotation runbook and the cloud the key lives in: the same steps, each done by the
// AWS or the Google Cloud activity. rotateKey.ts reads the same for both; what a rotatable key is, how its
// rotation is read and which calls rotate it are decided here, once.
import type { ApprovalProof } from '../../common/approvalProof';
import { gcpRotationView, periodSecondsOf } from '../../providers/gcp/rotateRequest';
import {
  type KeyRotationState,
  type AnyRotateKeyRequest,
  type RotationChange,
} from '../../providers/rotateRequests';
import { runHeadline } from '../../providers/runSubject';
import { call } from '../revoke/call';
import { now } from '../revoke/runRecord';

export interface RotatableKey {
  /** Why the key cannot be rotated now; undefined when it can. */
  refusal?: string;
  /** The preflight's words for the key: "key Enabled" / "primary version 3 ENABLED". */
  summary: string;
  description: unknown;
}

/** The key as its cloud describes it: it must be usable now and of a kind the cloud rotates. */
export async function describeForRotation(request: AnyRotateKeyRequest): Promise<RotatableKey> {
  if (request.provider === 'gcp') {
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
  const key = await call('read', 'describeKey', `describe ${request.keyArn}`, request.keyArn);
  const refusal =
    key.state !== 'Enabled'
      ? `keyArn: the key is ${key.state}; KMS rotates enabled keys only, and OpenAI cannot use it now anyway`
      : key.keySpec !== 'SYMMETRIC_DEFAULT'
        ? `keyArn: the key is ${key.keySpec}; KMS rotates symmetric encryption keys only`
        : undefined;
  return { ...(refusal ? { refusal } : {}), summary: `key ${key.state}`, description: key };
}

/** The key's rotation as its cloud reports it, in the shape both clouds' records share. */
export async function readRotation(request: AnyRotateKeyRequest): Promise<KeyRotationState> {
  if (request.provider === 'gcp')
    return gcpRotationView(
      await call('read', 'readGcpKeyRotation', `read the rotation of ${request.keyName}`, {
        keyName: request.keyName,
      }),
    );
  return call('read', 'readAwsKeyRotation', `read the rotation of ${request.keyArn}`, request.keyArn);
}

/**
 * The one change, done at most once. AWS: a rotation started since the step began is the run's own.
 * Google Cloud: the newest version number read right before the change tells a retry its own version
 * (read here, after any gate, so a version an automatic rotation made meanwhile is not taken for ours).
 */
export async function rotateOnce(
  request: AnyRotateKeyRequest,
  approval: ApprovalProof | undefined,
): Promise<RotationChange> {
  const approved = approval ? { approval } : {};
  if (request.provider === 'gcp') {
    const r = request.rotation;
    const rotation =
      r.kind === 'now'
        ? {
            rotation: { kind: 'now' as const },
            latestVersionBefore: (
              await call('read', 'readGcpKeyRotation', `read ${request.keyName}'s newest version`, {
                keyName: request.keyName,
              })
            ).latestVersion,
          }
        : { rotation: { kind: 'automatic' as const, periodSeconds: periodSecondsOf(r.periodDays) } };
    const change = await call('change', 'rotateGcpKey', runHeadline(request), {
      keyName: request.keyName,
      ...rotation,
      ...approved,
    });
    return { changed: change.changed, description: change.description, after: gcpRotationView(change.after) };
  }
  return call('change', 'rotateAwsKey', runHeadline(request), {
    keyArn: request.keyArn,
    rotation: request.rotation,
    notBefore: now(),
    ...approved,
  });
}
