// "How to rotate your key", for AWS KMS: read the key's rotation, turn on (or change the period of)
// automatic rotation, or rotate now. Both changes are safe to retry: EnableKeyRotation with the same
// period changes nothing, and a rotate-now first looks for the rotation it may already have started
// (RotateKeyOnDemand is not idempotent, and KMS allows only a few on-demand rotations per key).
import {
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { AwsKeyRotationState } from '../rotateRequest';
import type { Rotation } from '../../../common/rotationRequest';
import type { RotationChange } from '../../rotateRequests';
import type { AwsClients } from './clients';
import { toAwsFailure } from './errors';
import { readKey } from './snapshotAccess';

const keptRotations = 20;

async function readRotation(kms: KMSClient, keyArn: string): Promise<AwsKeyRotationState> {
  // moto answers 500 to the rotation calls given an ARN: the bare key id works on both.
  const { keyId, arn } = await readKey(kms, keyArn);
  const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
  const rotations: AwsKeyRotationState['rotations'] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListKeyRotationsCommand({ KeyId: keyId, Marker: marker, Limit: 100 }));
    for (const r of page.Rotations ?? [])
      if (r.RotationDate)
        rotations.push({ date: r.RotationDate.toISOString(), type: r.RotationType ?? 'UNKNOWN' });
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  rotations.sort((a, b) => b.date.localeCompare(a.date));
  return {
    keyArn: arn,
    automatic: status.KeyRotationEnabled ?? false,
    periodDays: status.RotationPeriodInDays,
    nextRotationDate: status.NextRotationDate?.toISOString(),
    onDemandInProgressSince: status.OnDemandRotationStartDate?.toISOString(),
    rotations: rotations.slice(0, keptRotations),
    readAt: new Date().toISOString(),
  };
}

export function readAwsKeyRotation(clients: AwsClients) {
  return async function readKeyRotation(keyArn: string): Promise<AwsKeyRotationState> {
    try {
      return await readRotation(clients.kms, keyArn);
    } catch (err) {
      throw toAwsFailure(err, `read the rotation of ${keyArn}`);
    }
  };
}

export interface AwsRotateKeyRequest {
  keyArn: string;
  rotation: Rotation;
  /** When the run's rotate step began: an on-demand rotation since then is this run's own. */
  notBefore: string;
}

export function rotateAwsKeyActivity(clients: AwsClients) {
  const { kms } = clients;
  return async function rotateAwsKey({
    keyArn,
    rotation,
    notBefore,
  }: AwsRotateKeyRequest): Promise<RotationChange> {
    try {
      const before = await readRotation(kms, keyArn);
      const { keyId } = await readKey(kms, keyArn);
      if (rotation.kind === 'automatic') {
        if (before.automatic && before.periodDays === rotation.periodDays)
          return {
            changed: false,
            description: `automatic rotation of ${keyArn} is already on, every ${rotation.periodDays} days: nothing changed`,
            after: before,
          };
        await kms.send(
          new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: rotation.periodDays }),
        );
        const after = await readRotation(kms, keyArn);
        if (!after.automatic)
          throw ApplicationFailure.create({
            type: EkmError.CloudStateUnexpected,
            nonRetryable: true,
            message: `KMS accepted EnableKeyRotation on ${keyArn} but reports automatic rotation off`,
          });
        const period =
          after.periodDays === undefined
            ? `KMS did not report the period (asked for ${rotation.periodDays} days)`
            : `every ${after.periodDays} days`;
        return {
          changed: true,
          description: `KMS EnableKeyRotation on ${keyArn}: automatic rotation ${before.automatic ? `changed from every ${before.periodDays ?? '?'} days` : 'turned on'}, ${period}${after.nextRotationDate ? `, next ${after.nextRotationDate}` : ''}`,
          after,
        };
      }
      // Rotate now — once. A rotation started (or finished) since the step began is this run's own.
      const own =
        (before.onDemandInProgressSince && before.onDemandInProgressSince >= notBefore) ||
        before.rotations.some((r) => r.type === 'ON_DEMAND' && r.date >= notBefore);
      if (own)
        return {
          changed: false,
          description: `${keyArn} was already rotated on demand by this run: nothing changed`,
          after: before,
        };
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      const after = await readRotation(kms, keyArn);
      return {
        changed: true,
        description: `KMS RotateKeyOnDemand on ${keyArn}: new key material for new data; the old material still decrypts old data`,
        after,
      };
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
      throw toAwsFailure(
        err,
        `${rotation.kind === 'now' ? 'rotate' : 'enable automatic rotation of'} ${keyArn}`,
      );
    }
  };
}
