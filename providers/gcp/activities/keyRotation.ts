// "How to rotate your key", for Google Cloud KMS: read the rotation, turn on (or change) automatic
// rotation, or rotate now — a new version made primary. New data is encrypted under the new version and
// old data still decrypts under the old ones, so OpenAI's access must not change either way: a key whose
// primary version is not enabled (a revocation by disable-versions, say) is refused, because a new
// ENABLED primary would give the access back.
//
// Rotate-now is two calls and neither is idempotent by itself, so a retry decides from the version
// numbers: versions are numbered in order and never reused, and the caller passes the newest number it
// saw before the step began. A primary above it is this step's rotation, done; an enabled version above
// it that is not primary is this step's, half done (made, not yet primary); otherwise one is made.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import type { GcpClients } from './clients';
import { toGcpFailure } from './errors';
import { parseGcpKeyName, versionNumberOf } from './keyNames';
import { readGcpKey, timestampOf, type GcpKey } from './readKey';

/** Cloud KMS: automatic rotation every 24 hours to 876,000 hours. */
export const gcpRotationPeriodSeconds = { min: 24 * 3600, max: 876_000 * 3600 } as const;

const keptVersions = 20;

export interface GcpKeyRotationState {
  keyName: string;
  automatic: boolean;
  periodSeconds?: number;
  nextRotationDate?: string;
  primaryVersion?: string;
  primaryState?: string;
  /** The newest version's number (0: none): what a rotate-now step passes back as latestVersionBefore. */
  latestVersion: number;
  /** Newest first, at most 20. */
  versions: { name: string; state: string; createTime?: string }[];
  readAt: string;
}

export type GcpRotation =
  | { kind: 'now' }
  | {
      kind: 'automatic';
      periodSeconds: number;
      /** The first automatic rotation; default: one period from now. */
      nextRotationTime?: string;
    };

export interface RotateGcpKeyRequest {
  keyName: string;
  rotation: GcpRotation;
  /** For rotate-now: the key's latestVersion when the step began (readGcpKeyRotation before it). */
  latestVersionBefore?: number;
}

export interface GcpRotationChange {
  changed: boolean;
  description: string;
  after: GcpKeyRotationState;
}

function rotationState(key: GcpKey): GcpKeyRotationState {
  const newestFirst = [...key.versions].sort((a, b) => b.number - a.number);
  return {
    keyName: key.name,
    automatic: key.rotationPeriodSeconds !== undefined,
    ...(key.rotationPeriodSeconds !== undefined ? { periodSeconds: key.rotationPeriodSeconds } : {}),
    ...(key.nextRotationTime ? { nextRotationDate: key.nextRotationTime } : {}),
    ...(key.primary ? { primaryVersion: key.primary, primaryState: key.primaryState } : {}),
    latestVersion: newestFirst[0]?.number ?? 0,
    versions: newestFirst.slice(0, keptVersions).map((v) => ({
      name: v.name,
      state: v.state,
      ...(v.createTime ? { createTime: v.createTime } : {}),
    })),
    readAt: new Date().toISOString(),
  };
}

export function readGcpKeyRotationActivity(clients: GcpClients) {
  return async function readGcpKeyRotation({ keyName }: { keyName: string }): Promise<GcpKeyRotationState> {
    parseGcpKeyName(keyName);
    try {
      return rotationState(await readGcpKey(clients.kms, keyName));
    } catch (err) {
      throw toGcpFailure(err, `read the rotation of ${keyName}`);
    }
  };
}

const invalid = (message: string) =>
  ApplicationFailure.create({ type: EkmError.InvalidInput, nonRetryable: true, message });

function checkRequest({ rotation, latestVersionBefore }: RotateGcpKeyRequest): void {
  if (rotation?.kind === 'now') {
    if (!Number.isInteger(latestVersionBefore) || latestVersionBefore! < 0)
      throw invalid(
        'latestVersionBefore: rotate now needs the key’s newest version number from before the step (readGcpKeyRotation’s latestVersion), so a retry can tell its own version',
      );
    return;
  }
  if (rotation?.kind !== 'automatic') throw invalid('rotation.kind: must be now or automatic');
  const { min, max } = gcpRotationPeriodSeconds;
  if (
    !Number.isInteger(rotation.periodSeconds) ||
    rotation.periodSeconds < min ||
    rotation.periodSeconds > max
  )
    throw invalid(
      `rotation.periodSeconds: must be a whole number of seconds from ${min} (24 hours) to ${max} (876,000 hours), got ${rotation.periodSeconds}`,
    );
  if (rotation.nextRotationTime !== undefined && !Number.isFinite(Date.parse(rotation.nextRotationTime)))
    throw invalid(`rotation.nextRotationTime: ${rotation.nextRotationTime} is not an instant`);
}

export function rotateGcpKeyActivity(clients: GcpClients) {
  const { kms } = clients;

  /** A rotation must never give back access a revocation took: the primary must be usable already. */
  function refuseUnusable(key: GcpKey, what: string): void {
    if (key.primaryState === 'ENABLED') return;
    throw ApplicationFailure.create({
      type: EkmError.MethodNotApplicable,
      nonRetryable: true,
      message: `${what} ${key.name} refused: its primary version is ${key.primary ? `${key.primary.split('/').pop()} ${key.primaryState}` : 'missing'}, so OpenAI cannot use the key now, and a rotation would make a new ENABLED primary version and give that use back; a rotation must not change access (enable a version, or restore access, first)`,
    });
  }

  async function automatic(
    keyName: string,
    rotation: Extract<GcpRotation, { kind: 'automatic' }>,
  ): Promise<GcpRotationChange> {
    const before = await readGcpKey(kms, keyName);
    const asked = rotation.nextRotationTime && new Date(Date.parse(rotation.nextRotationTime)).toISOString();
    if (
      before.rotationPeriodSeconds === rotation.periodSeconds &&
      before.nextRotationTime &&
      (!asked || asked === before.nextRotationTime)
    )
      return {
        changed: false,
        description: `automatic rotation of ${keyName} is already on, every ${rotation.periodSeconds} s, next ${before.nextRotationTime}: nothing changed`,
        after: rotationState(before),
      };
    refuseUnusable(before, 'automatic rotation of');
    const next = asked ?? new Date(Date.now() + rotation.periodSeconds * 1000).toISOString();
    await kms.updateCryptoKey({
      cryptoKey: {
        name: keyName,
        rotationPeriod: { seconds: rotation.periodSeconds },
        nextRotationTime: timestampOf(next),
      },
      updateMask: { paths: ['rotation_period', 'next_rotation_time'] },
    });
    const after = await readGcpKey(kms, keyName);
    if (after.rotationPeriodSeconds !== rotation.periodSeconds || !after.nextRotationTime)
      throw ApplicationFailure.create({
        type: EkmError.CloudStateUnexpected,
        nonRetryable: true,
        message: `Cloud KMS accepted UpdateCryptoKey on ${keyName} but reports rotation every ${after.rotationPeriodSeconds ?? 'none'} s, next ${after.nextRotationTime ?? 'none'} (asked: every ${rotation.periodSeconds} s, next ${next})`,
      });
    return {
      changed: true,
      description: `Cloud KMS UpdateCryptoKey on ${keyName}: automatic rotation ${before.rotationPeriodSeconds === undefined ? 'turned on' : `changed from every ${before.rotationPeriodSeconds} s`}, every ${after.rotationPeriodSeconds} s, next ${after.nextRotationTime}`,
      after: rotationState(after),
    };
  }

  async function now(keyName: string, latestVersionBefore: number): Promise<GcpRotationChange> {
    const before = await readGcpKey(kms, keyName);
    if (versionNumberOf(before.primary) > latestVersionBefore)
      return {
        changed: false,
        description: `${keyName}'s primary version ${before.primary!.split('/').pop()} is newer than version ${latestVersionBefore}, the newest when this rotation began: already rotated, nothing changed`,
        after: rotationState(before),
      };
    refuseUnusable(before, 'rotating');
    // Made by this step's earlier attempt, whose make-primary did not happen (or was not answered).
    let version = [...before.versions]
      .reverse()
      .find((v) => v.number > latestVersionBefore && v.state === 'ENABLED')?.name;
    const made = version === undefined;
    if (version === undefined) {
      const [created] = await kms.createCryptoKeyVersion({ parent: keyName, cryptoKeyVersion: {} });
      version = created.name ?? undefined;
      if (!version) throw new Error(`CreateCryptoKeyVersion on ${keyName} answered without a version name`);
    }
    await kms.updateCryptoKeyPrimaryVersion({ name: keyName, cryptoKeyVersionId: version.split('/').pop()! });
    const after = await readGcpKey(kms, keyName);
    if (after.primary !== version || after.primaryState !== 'ENABLED')
      throw ApplicationFailure.create({
        type: EkmError.CloudStateUnexpected,
        nonRetryable: true,
        message: `Cloud KMS accepted UpdateCryptoKeyPrimaryVersion on ${keyName} to ${version} but reports primary ${after.primary ?? 'none'} (${after.primaryState ?? '-'})`,
      });
    return {
      changed: true,
      description: `Cloud KMS ${made ? 'CreateCryptoKeyVersion and ' : ''}UpdateCryptoKeyPrimaryVersion on ${keyName}: version ${version.split('/').pop()}${made ? '' : ' (made by an earlier attempt of this step)'} is primary, replacing ${before.primary?.split('/').pop() ?? 'none'}; new data is encrypted under it, the old versions still decrypt old data`,
      after: rotationState(after),
    };
  }

  return async function rotateGcpKey(request: RotateGcpKeyRequest): Promise<GcpRotationChange> {
    parseGcpKeyName(request.keyName);
    checkRequest(request);
    const { keyName, rotation } = request;
    try {
      if (rotation.kind === 'now') return await now(keyName, request.latestVersionBefore!);
      return await automatic(keyName, rotation);
    } catch (err) {
      throw toGcpFailure(
        err,
        `${rotation.kind === 'now' ? 'rotate' : 'set automatic rotation of'} ${keyName}`,
      );
    }
  };
}
