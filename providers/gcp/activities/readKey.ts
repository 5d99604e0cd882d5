// One read of a Cloud KMS key and all its versions, in plain JSON terms (ISO times, seconds, version
// names): what describe, rotation, destruction and snapshot decide from. Read-only.
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { versionNumberOf } from './keyNames';

type WireTime = { seconds?: unknown; nanos?: number | null } | null | undefined;

/** A Timestamp as an ISO instant; google-gax hands seconds over as a string (int64). */
export function isoOf(time: WireTime): string | undefined {
  if (!time || time.seconds === undefined || time.seconds === null) return undefined;
  const ms = Number(String(time.seconds)) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** A Duration in whole seconds. */
export function secondsOf(duration: WireTime): number | undefined {
  if (!duration || duration.seconds === undefined || duration.seconds === null) return undefined;
  const s = Number(String(duration.seconds));
  return Number.isFinite(s) ? s : undefined;
}

/** An instant as a Timestamp message, to send. */
export function timestampOf(iso: string): { seconds: number; nanos: number } {
  const ms = Date.parse(iso);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export interface GcpVersion {
  name: string;
  number: number;
  /** ENABLED, DISABLED, DESTROY_SCHEDULED, DESTROYED, PENDING_GENERATION, … as Cloud KMS reports it. */
  state: string;
  createTime?: string;
  /** When a DESTROY_SCHEDULED version's material goes. */
  destroyTime?: string;
  /** When a DESTROYED version's material went. */
  destroyEventTime?: string;
}

export interface GcpKey {
  name: string;
  purpose: string;
  createTime?: string;
  /** The version Encrypt uses, by name. */
  primary?: string;
  primaryState?: string;
  rotationPeriodSeconds?: number;
  nextRotationTime?: string;
  protectionLevel: string;
  algorithm: string;
  destroyScheduledDurationSeconds?: number;
  labels: Record<string, string>;
  /** Every version, oldest first. */
  versions: GcpVersion[];
}

type WireVersion = {
  name?: string | null;
  state?: unknown;
  createTime?: WireTime;
  destroyTime?: WireTime;
  destroyEventTime?: WireTime;
};

function toVersion(v: WireVersion): GcpVersion {
  const createTime = isoOf(v.createTime);
  const destroyTime = isoOf(v.destroyTime);
  const destroyEventTime = isoOf(v.destroyEventTime);
  return {
    name: v.name ?? '',
    number: versionNumberOf(v.name),
    state: String(v.state ?? 'CRYPTO_KEY_VERSION_STATE_UNSPECIFIED'),
    ...(createTime ? { createTime } : {}),
    ...(destroyTime ? { destroyTime } : {}),
    ...(destroyEventTime ? { destroyEventTime } : {}),
  };
}

export async function readVersions(kms: KeyManagementServiceClient, keyName: string): Promise<GcpVersion[]> {
  // The client pages through every version itself (autoPaginate).
  const [versions] = await kms.listCryptoKeyVersions({ parent: keyName });
  return versions.map(toVersion).sort((a, b) => a.number - b.number);
}

export async function readGcpKey(kms: KeyManagementServiceClient, keyName: string): Promise<GcpKey> {
  const [key] = await kms.getCryptoKey({ name: keyName });
  const versions = await readVersions(kms, keyName);
  const createTime = isoOf(key.createTime);
  const rotationPeriodSeconds = secondsOf(key.rotationPeriod);
  const nextRotationTime = isoOf(key.nextRotationTime);
  const destroyScheduledDurationSeconds = secondsOf(key.destroyScheduledDuration);
  return {
    name: key.name ?? keyName,
    purpose: String(key.purpose ?? 'CRYPTO_KEY_PURPOSE_UNSPECIFIED'),
    ...(createTime ? { createTime } : {}),
    ...(key.primary?.name
      ? { primary: key.primary.name, primaryState: String(key.primary.state ?? 'UNKNOWN') }
      : {}),
    ...(rotationPeriodSeconds !== undefined ? { rotationPeriodSeconds } : {}),
    ...(nextRotationTime ? { nextRotationTime } : {}),
    protectionLevel: String(key.versionTemplate?.protectionLevel ?? 'SOFTWARE'),
    algorithm: String(key.versionTemplate?.algorithm ?? 'GOOGLE_SYMMETRIC_ENCRYPTION'),
    ...(destroyScheduledDurationSeconds !== undefined ? { destroyScheduledDurationSeconds } : {}),
    labels: { ...(key.labels ?? {}) },
    versions,
  };
}

/** Versions that can still be used or re-enabled: what a destruction must schedule. */
export const liveStates: ReadonlySet<string> = new Set(['ENABLED', 'DISABLED']);
