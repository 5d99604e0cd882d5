// How the fake's records look on the wire (google.cloud.kms.v1 messages, camelCase as proto-loader
// serialises them), and the well-known types (Timestamp, Duration) both ways.
import { createHash } from 'node:crypto';
import { invalidArgument } from './errors';
import { cryptoKeyPath, keyRingPath, versionPath } from './names';
import type { CryptoKeyRecord, KeyRingRecord, VersionRecord } from './state';

export interface WireTimestamp {
  seconds?: string | number;
  nanos?: number;
}
export type WireDuration = WireTimestamp;

export function toTimestamp(ms: number): { seconds: string; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Math.round(ms - seconds * 1000) * 1_000_000 };
}

export function fromTimestamp(ts: WireTimestamp | undefined | null, field: string): number | undefined {
  if (!ts) return undefined;
  const seconds = Number(ts.seconds ?? 0);
  const nanos = ts.nanos ?? 0;
  if (!Number.isFinite(seconds) || nanos < 0 || nanos > 999_999_999)
    throw invalidArgument(`${field} is not a valid timestamp`);
  return seconds * 1000 + Math.floor(nanos / 1_000_000);
}

export const toDuration = toTimestamp;

export function fromDuration(d: WireDuration | undefined | null, field: string): number | undefined {
  const ms = fromTimestamp(d, field);
  if (ms !== undefined && ms < 0) throw invalidArgument(`${field} must not be negative`);
  return ms;
}

export function keyRingView(ring: KeyRingRecord) {
  return { name: keyRingPath(ring.name), createTime: toTimestamp(ring.createTime) };
}

export function versionView(key: CryptoKeyRecord, v: VersionRecord) {
  return {
    name: versionPath(key.name, v.number),
    state: v.state,
    protectionLevel: key.protectionLevel,
    algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION',
    createTime: toTimestamp(v.createTime),
    generateTime: toTimestamp(v.createTime),
    ...(v.destroyTime !== undefined ? { destroyTime: toTimestamp(v.destroyTime) } : {}),
    ...(v.destroyEventTime !== undefined ? { destroyEventTime: toTimestamp(v.destroyEventTime) } : {}),
  };
}

export function cryptoKeyView(key: CryptoKeyRecord) {
  const primary = key.primary === undefined ? undefined : key.versions[key.primary - 1];
  return {
    name: cryptoKeyPath(key.name),
    ...(primary ? { primary: versionView(key, primary) } : {}),
    purpose: 'ENCRYPT_DECRYPT',
    createTime: toTimestamp(key.createTime),
    ...(key.nextRotationTime !== undefined ? { nextRotationTime: toTimestamp(key.nextRotationTime) } : {}),
    ...(key.rotationPeriodMs !== undefined ? { rotationPeriod: toDuration(key.rotationPeriodMs) } : {}),
    versionTemplate: { protectionLevel: key.protectionLevel, algorithm: 'GOOGLE_SYMMETRIC_ENCRYPTION' },
    labels: { ...key.labels },
    importOnly: false,
    destroyScheduledDuration: toDuration(key.destroyScheduledMs),
  };
}

/** Offset-based page tokens: opaque to callers, refused when forged or reused with other parameters. */
export function page<T>(
  items: readonly T[],
  pageSize: number | undefined,
  pageToken: string | undefined,
  context: string,
  limits: { default: number; max: number },
): { items: T[]; nextPageToken: string } {
  if (pageSize !== undefined && pageSize < 0) throw invalidArgument('page_size must not be negative');
  const size = Math.min(pageSize || limits.default, limits.max);
  // The token names the request it belongs to, so it cannot page through a different query.
  const request = createHash('sha256').update(context).digest('base64url').slice(0, 16);
  let offset = 0;
  if (pageToken) {
    let parsed: { o?: unknown; c?: unknown } = {};
    try {
      parsed = JSON.parse(Buffer.from(pageToken, 'base64url').toString('utf8')) as typeof parsed;
    } catch {
      // falls through to the refusal below
    }
    if (typeof parsed.o !== 'number' || parsed.c !== request) {
      throw invalidArgument('page_token is invalid or was issued for a different request');
    }
    offset = parsed.o;
  }
  const slice = items.slice(offset, offset + size);
  const next = offset + size;
  const nextPageToken =
    next < items.length ? Buffer.from(JSON.stringify({ o: next, c: request })).toString('base64url') : '';
  return { items: slice, nextPageToken };
}
