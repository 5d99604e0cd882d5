// Reads a Cloud KMS key as ekm describes keys (common/keys.ts), with what Google Cloud has and AWS does
// not: versions, the primary one, the rotation schedule, versions scheduled for destruction. A Cloud KMS
// key has no state of its own; what OpenAI experiences is its primary version's (Encrypt uses it), so
// that is the key's state here. Read-only.
import type { KeyDescription } from '../../../common/keys';
import type { GcpClients } from './clients';
import { toGcpFailure } from './errors';
import { parseGcpKeyName } from './keyNames';
import { liveStates, readGcpKey, type GcpKey } from './readKey';

export interface GcpKeyDescription extends Omit<KeyDescription, 'provider'> {
  provider: 'gcp';
  /** projects/P/locations/L/keyRings/R */
  keyRing: string;
  location: string;
  project: string;
  /** The primary version's name; absent when the key has none. */
  primaryVersion?: string;
  enabledVersions: string[];
  /** Versions that can be enabled again (a restored destruction brings versions back DISABLED). */
  disabledVersions: string[];
  protectionLevel: string;
  /** Automatic rotation: its period and the next rotation; absent when it is off. */
  rotationPeriodSeconds?: number;
  nextRotationTime?: string;
  /** How long a version stays DESTROY_SCHEDULED (fixed when the key was made). */
  destroyScheduledDurationSeconds?: number;
  destroyScheduledVersions: { name: string; destroyTime?: string }[];
  labels: Record<string, string>;
}

/** No primary version: nothing can be encrypted with the key (it may still decrypt). */
export const noPrimaryVersion = 'NO_PRIMARY_VERSION';

export function toGcpKeyDescription(key: GcpKey): GcpKeyDescription {
  const parts = parseGcpKeyName(key.name);
  const state = key.primaryState ?? noPrimaryVersion;
  const scheduled = key.versions.filter((v) => v.state === 'DESTROY_SCHEDULED');
  // The key's material is gone for good only once no version is left usable or restorable to use.
  const gone = key.versions.length > 0 && !key.versions.some((v) => liveStates.has(v.state));
  const endTimes = key.versions
    .map((v) => v.destroyTime ?? v.destroyEventTime)
    .filter((t): t is string => t !== undefined)
    .sort();
  return {
    provider: 'gcp',
    keyId: key.name,
    shortId: parts.cryptoKey,
    state,
    enabled: state === 'ENABLED',
    // Every Cloud KMS key a customer can see and bind is customer-managed.
    manager: 'CUSTOMER',
    keySpec: key.algorithm,
    usage: key.purpose,
    description: '',
    createdAt: key.createTime,
    ...(gone && endTimes.length ? { deletionDate: endTimes[endTimes.length - 1] } : {}),
    keyRing: parts.ringName,
    location: parts.location,
    project: parts.project,
    ...(key.primary ? { primaryVersion: key.primary } : {}),
    enabledVersions: key.versions.filter((v) => v.state === 'ENABLED').map((v) => v.name),
    disabledVersions: key.versions.filter((v) => v.state === 'DISABLED').map((v) => v.name),
    protectionLevel: key.protectionLevel,
    ...(key.rotationPeriodSeconds !== undefined ? { rotationPeriodSeconds: key.rotationPeriodSeconds } : {}),
    ...(key.nextRotationTime ? { nextRotationTime: key.nextRotationTime } : {}),
    ...(key.destroyScheduledDurationSeconds !== undefined
      ? { destroyScheduledDurationSeconds: key.destroyScheduledDurationSeconds }
      : {}),
    destroyScheduledVersions: scheduled.map((v) => ({
      name: v.name,
      ...(v.destroyTime ? { destroyTime: v.destroyTime } : {}),
    })),
    labels: key.labels,
  };
}

export interface DescribeGcpKeyRequest {
  /** projects/P/locations/L/keyRings/R/cryptoKeys/K */
  keyName: string;
}

export function describeGcpKeyActivity(clients: GcpClients) {
  return async function describeGcpKey({ keyName }: DescribeGcpKeyRequest): Promise<GcpKeyDescription> {
    parseGcpKeyName(keyName);
    try {
      return toGcpKeyDescription(await readGcpKey(clients.kms, keyName));
    } catch (err) {
      throw toGcpFailure(err, `describe ${keyName}`);
    }
  };
}
