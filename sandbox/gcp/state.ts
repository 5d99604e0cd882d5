// The fake's key rings, keys and versions, and the lifecycle rules Cloud KMS enforces on them. Time is a
// clock the tests can move: versions scheduled for destruction become DESTROYED (their material gone)
// once destroy_time passes, and a key whose next_rotation_time has passed gains a new ENABLED primary —
// applied lazily, on the next call, as a caller of the real service would observe them.
import { newKeyMaterial } from './cipher';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from './errors';
import {
  cryptoKeyPath,
  keyRingPath,
  resourceIdPattern,
  versionPath,
  type CryptoKeyName,
  type KeyRingName,
  type LocationName,
} from './names';

export type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROY_SCHEDULED' | 'DESTROYED';
export type ProtectionLevel = 'SOFTWARE' | 'HSM';

export const hourMs = 3600_000;
export const dayMs = 24 * hourMs;
/** Cloud KMS's default time in DESTROY_SCHEDULED, fixed per key at creation. */
export const defaultDestroyScheduledMs = 30 * dayMs;

export interface VersionRecord {
  number: number;
  state: VersionState;
  /** null once DESTROYED: the material is gone for good. */
  material: Buffer | null;
  createTime: number;
  destroyTime?: number;
  destroyEventTime?: number;
  /** Versions the service made by itself on automatic rotation, so a test can tell them apart. */
  origin: 'request' | 'automatic-rotation';
}

export interface CryptoKeyRecord {
  name: CryptoKeyName;
  path: string;
  createTime: number;
  primary?: number;
  rotationPeriodMs?: number;
  nextRotationTime?: number;
  labels: Record<string, string>;
  destroyScheduledMs: number;
  protectionLevel: ProtectionLevel;
  /** versions[n - 1] is version n: ids are sequential and never reused. */
  versions: VersionRecord[];
}

export interface KeyRingRecord {
  name: KeyRingName;
  path: string;
  createTime: number;
  keys: Map<string, CryptoKeyRecord>;
}

export interface CryptoKeySpec {
  rotationPeriodMs?: number;
  nextRotationTime?: number;
  labels?: Record<string, string>;
  destroyScheduledMs?: number;
  protectionLevel?: ProtectionLevel;
  skipInitialVersion?: boolean;
}

export interface AutomaticRotation {
  key: string;
  version: number;
  at: Date;
}

export class FakeClock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
  setOffset(seconds: number): void {
    this.offsetMs = seconds * 1000;
  }
  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }
}

const minRotationMs = 24 * hourMs;
const maxRotationMs = 876_000 * hourMs;
const minDestroyScheduledMs = 24 * hourMs;
const maxDestroyScheduledMs = 120 * dayMs;

/** rotation_period's bounds, and next_rotation_time required alongside it (as the API states). */
export function checkRotation(periodMs: number | undefined, nextTime: number | undefined): void {
  if (periodMs === undefined) return;
  if (periodMs < minRotationMs || periodMs > maxRotationMs) {
    throw invalidArgument('rotation_period must be at least 24 hours and at most 876,000 hours');
  }
  if (nextTime === undefined) {
    throw invalidArgument('next_rotation_time must be set when rotation_period is set');
  }
}

export class KmsStore {
  private readonly rings = new Map<string, KeyRingRecord>();
  readonly automaticRotations: AutomaticRotation[] = [];

  constructor(readonly clock: FakeClock) {}

  createKeyRing(parent: LocationName, id: string | undefined): KeyRingRecord {
    if (!id || !resourceIdPattern.test(id)) {
      throw invalidArgument(`key_ring_id '${id ?? ''}' must match ${resourceIdPattern.source}`);
    }
    const name = { ...parent, keyRing: id };
    const path = keyRingPath(name);
    if (this.rings.has(path)) throw alreadyExists(`KeyRing ${path} already exists.`);
    const ring: KeyRingRecord = { name, path, createTime: this.clock.now(), keys: new Map() };
    this.rings.set(path, ring);
    return ring;
  }

  keyRing(name: KeyRingName): KeyRingRecord {
    const ring = this.rings.get(keyRingPath(name));
    if (!ring) throw notFound(`KeyRing ${keyRingPath(name)} not found.`);
    return ring;
  }

  hasKeyRing(path: string): boolean {
    return this.rings.has(path);
  }

  keyRingsIn(parent: LocationName): KeyRingRecord[] {
    return [...this.rings.values()].filter(
      (r) => r.name.project === parent.project && r.name.location === parent.location,
    );
  }

  createCryptoKey(ring: KeyRingRecord, id: string | undefined, spec: CryptoKeySpec): CryptoKeyRecord {
    if (!id || !resourceIdPattern.test(id)) {
      throw invalidArgument(`crypto_key_id '${id ?? ''}' must match ${resourceIdPattern.source}`);
    }
    const name = { ...ring.name, cryptoKey: id };
    const path = cryptoKeyPath(name);
    if (ring.keys.has(id)) throw alreadyExists(`CryptoKey ${path} already exists.`);
    checkRotation(spec.rotationPeriodMs, spec.nextRotationTime);
    const destroyScheduledMs = spec.destroyScheduledMs ?? defaultDestroyScheduledMs;
    if (destroyScheduledMs < minDestroyScheduledMs || destroyScheduledMs > maxDestroyScheduledMs) {
      throw invalidArgument('destroy_scheduled_duration must be between 24 hours and 120 days');
    }
    const key: CryptoKeyRecord = {
      name,
      path,
      createTime: this.clock.now(),
      rotationPeriodMs: spec.rotationPeriodMs,
      nextRotationTime: spec.nextRotationTime,
      labels: { ...spec.labels },
      destroyScheduledMs,
      protectionLevel: spec.protectionLevel ?? 'SOFTWARE',
      versions: [],
    };
    ring.keys.set(id, key);
    if (!spec.skipInitialVersion) this.addVersion(key, 'ENABLED', 'request');
    return key;
  }

  cryptoKey(name: CryptoKeyName): CryptoKeyRecord {
    const key = this.rings.get(keyRingPath(name))?.keys.get(name.cryptoKey);
    if (!key) throw notFound(`CryptoKey ${cryptoKeyPath(name)} not found.`);
    return key;
  }

  hasCryptoKey(name: CryptoKeyName): boolean {
    return this.rings.get(keyRingPath(name))?.keys.has(name.cryptoKey) ?? false;
  }

  /**
   * A new version: the next number, ENABLED unless asked otherwise. It becomes primary only when the key
   * has none (a key created with skip_initial_version_creation); otherwise rotating is a separate call.
   */
  addVersion(
    key: CryptoKeyRecord,
    state: 'ENABLED' | 'DISABLED',
    origin: VersionRecord['origin'],
    at = this.clock.now(),
  ): VersionRecord {
    const version: VersionRecord = {
      number: key.versions.length + 1,
      state,
      material: newKeyMaterial(),
      createTime: at,
      origin,
    };
    key.versions.push(version);
    if (key.primary === undefined && state === 'ENABLED') key.primary = version.number;
    return version;
  }

  version(key: CryptoKeyRecord, id: string): VersionRecord {
    const found = /^[1-9][0-9]*$/.test(id) ? key.versions[Number(id) - 1] : undefined;
    if (!found) throw notFound(`CryptoKeyVersion ${versionPath(key.name, id)} not found.`);
    return found;
  }

  /** Only ENABLED <-> DISABLED here; destruction and restoring have calls of their own. */
  setVersionState(key: CryptoKeyRecord, version: VersionRecord, target: string): void {
    if (target !== 'ENABLED' && target !== 'DISABLED') {
      throw invalidArgument(
        `state may only be changed to ENABLED or DISABLED here (got ${target}); use DestroyCryptoKeyVersion / RestoreCryptoKeyVersion`,
      );
    }
    if (version.state !== 'ENABLED' && version.state !== 'DISABLED') {
      throw failedPrecondition(
        `${versionPath(key.name, version.number)} is not in state ENABLED or DISABLED (current state: ${version.state}).`,
      );
    }
    version.state = target;
  }

  setPrimary(key: CryptoKeyRecord, version: VersionRecord): void {
    if (version.state !== 'ENABLED') {
      throw failedPrecondition(
        `${versionPath(key.name, version.number)} cannot become primary: its state is ${version.state}, not ENABLED.`,
      );
    }
    key.primary = version.number;
  }

  scheduleDestruction(key: CryptoKeyRecord, version: VersionRecord): void {
    if (version.state !== 'ENABLED' && version.state !== 'DISABLED') {
      throw failedPrecondition(
        `${versionPath(key.name, version.number)} cannot be destroyed: its state is ${version.state}.`,
      );
    }
    version.state = 'DESTROY_SCHEDULED';
    version.destroyTime = this.clock.now() + key.destroyScheduledMs;
  }

  restore(key: CryptoKeyRecord, version: VersionRecord): void {
    if (version.state !== 'DESTROY_SCHEDULED') {
      throw failedPrecondition(
        `${versionPath(key.name, version.number)} cannot be restored: its state is ${version.state}, not DESTROY_SCHEDULED.`,
      );
    }
    version.state = 'DISABLED';
    delete version.destroyTime;
  }

  /** Applies what the passing of time has done since the last call: destructions, then rotations. */
  catchUp(): void {
    const now = this.clock.now();
    for (const ring of this.rings.values()) {
      for (const key of ring.keys.values()) {
        for (const v of key.versions) {
          if (v.state === 'DESTROY_SCHEDULED' && v.destroyTime !== undefined && v.destroyTime <= now) {
            v.state = 'DESTROYED';
            v.destroyEventTime = v.destroyTime;
            v.material = null;
          }
        }
        this.rotateIfDue(key, now);
      }
    }
  }

  /**
   * Automatic rotation ignores the states of the other versions: a key whose versions were all disabled
   * but whose rotation was left on gets a fresh ENABLED primary — the trap a revocation must avoid.
   */
  private rotateIfDue(key: CryptoKeyRecord, now: number): void {
    // One version per elapsed period, each at its own time, as the service would have done; bounded so a
    // huge clock jump cannot spin.
    for (let i = 0; i < 1000 && key.nextRotationTime !== undefined && key.nextRotationTime <= now; i++) {
      const at = key.nextRotationTime;
      const version = this.addVersion(key, 'ENABLED', 'automatic-rotation', at);
      key.primary = version.number;
      this.automaticRotations.push({ key: key.path, version: version.number, at: new Date(at) });
      key.nextRotationTime = key.rotationPeriodMs === undefined ? undefined : at + key.rotationPeriodMs;
    }
  }
}
