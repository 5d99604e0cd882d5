// google.cloud.kms.v1.KeyManagementService, the calls the EKM runbook makes: key rings, symmetric
// ENCRYPT_DECRYPT keys and their versions (state, primary, destroy/restore, rotation), Encrypt and
// Decrypt. Each call checks its input, then the caller's permission, then the resource — the order the
// real service answers in (a caller without permission learns nothing about existence).
import type * as grpc from '@grpc/grpc-js';
import { crc32c } from './cipher';
import { invalidArgument } from './errors';
import { permissions as P } from './iam';
import { decryptWith, encryptWith } from './keyUse';
import {
  cryptoKeyPath,
  keyRingPath,
  parseCryptoKey,
  parseCryptoKeyVersion,
  parseKeyOrVersion,
  parseKeyRing,
  parseLocation,
  versionPath,
  type CryptoKeyName,
} from './names';
import { unary, type FakeDeps, type MethodSpec } from './rpc';
import { checkRotation, type CryptoKeySpec, type ProtectionLevel } from './state';
import {
  cryptoKeyView,
  fromDuration,
  fromTimestamp,
  keyRingView,
  page,
  versionView,
  type WireDuration,
  type WireTimestamp,
} from './views';

interface Int64Value {
  value?: string | number;
}
interface FieldMask {
  paths?: string[];
}
interface ListRequest {
  parent?: string;
  pageSize?: number;
  pageToken?: string;
  filter?: string;
  orderBy?: string;
}
interface CryptoKeyMessage {
  name?: string;
  purpose?: string;
  nextRotationTime?: WireTimestamp;
  rotationPeriod?: WireDuration;
  versionTemplate?: { protectionLevel?: string; algorithm?: string };
  labels?: Record<string, string>;
  importOnly?: boolean;
  destroyScheduledDuration?: WireDuration;
  cryptoKeyBackend?: string;
}
interface VersionMessage {
  name?: string;
  state?: string;
}
interface CreateKeyRingRequest {
  parent?: string;
  keyRingId?: string;
}
interface NameRequest {
  name?: string;
}
interface CreateCryptoKeyRequest {
  parent?: string;
  cryptoKeyId?: string;
  cryptoKey?: CryptoKeyMessage;
  skipInitialVersionCreation?: boolean;
}
interface UpdateCryptoKeyRequest {
  cryptoKey?: CryptoKeyMessage;
  updateMask?: FieldMask;
}
interface CreateVersionRequest {
  parent?: string;
  cryptoKeyVersion?: VersionMessage;
}
interface UpdateVersionRequest {
  cryptoKeyVersion?: VersionMessage;
  updateMask?: FieldMask;
}
interface UpdatePrimaryRequest {
  name?: string;
  cryptoKeyVersionId?: string;
}
interface EncryptRequest {
  name?: string;
  plaintext?: Buffer;
  additionalAuthenticatedData?: Buffer;
  plaintextCrc32c?: Int64Value;
  additionalAuthenticatedDataCrc32c?: Int64Value;
}
interface DecryptRequest {
  name?: string;
  ciphertext?: Buffer;
  additionalAuthenticatedData?: Buffer;
  ciphertextCrc32c?: Int64Value;
  additionalAuthenticatedDataCrc32c?: Int64Value;
}

const listLimits = { default: 1000, max: 1000 };
const labelKey = /^[a-z][a-z0-9_-]{0,62}$/;
const labelValue = /^[a-z0-9_-]{0,63}$/;

function noListFilter(req: ListRequest): void {
  if (req.filter) throw invalidArgument(`filter '${req.filter}' is not supported by the fake`);
  if (req.orderBy) throw invalidArgument(`order_by '${req.orderBy}' is not supported by the fake`);
}

function checkLabels(labels: Record<string, string> | undefined): Record<string, string> {
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (!labelKey.test(k) || !labelValue.test(v))
      throw invalidArgument(`label ${k}=${v} is not a valid label`);
  }
  return { ...labels };
}

/** The CRC32C the caller sent must match the data, as Cloud KMS verifies it; true when one was sent. */
function verifyCrc(data: Buffer, sent: Int64Value | undefined, field: string, dataField: string): boolean {
  if (sent?.value === undefined) return false;
  if (Number(sent.value) !== crc32c(data)) {
    throw invalidArgument(`The checksum in field ${field} did not match the data in field ${dataField}.`);
  }
  return true;
}

const keyPolicies = (n: CryptoKeyName) => [cryptoKeyPath(n), keyRingPath(n)];

/** Specs of the keys the fake makes: symmetric ENCRYPT_DECRYPT, software or "HSM", nothing imported. */
function keySpecOf(req: CreateCryptoKeyRequest): CryptoKeySpec {
  const k = req.cryptoKey;
  if (!k) throw invalidArgument('crypto_key is required');
  if (!k.purpose || k.purpose === 'CRYPTO_KEY_PURPOSE_UNSPECIFIED')
    throw invalidArgument('purpose is required');
  if (k.purpose !== 'ENCRYPT_DECRYPT') {
    throw invalidArgument(`purpose ${k.purpose} is not supported by the fake (ENCRYPT_DECRYPT only)`);
  }
  const algorithm = k.versionTemplate?.algorithm;
  if (algorithm && algorithm !== 'GOOGLE_SYMMETRIC_ENCRYPTION') {
    throw invalidArgument(`algorithm ${algorithm} does not fit purpose ENCRYPT_DECRYPT in the fake`);
  }
  const level = k.versionTemplate?.protectionLevel;
  if (level && level !== 'SOFTWARE' && level !== 'HSM' && level !== 'PROTECTION_LEVEL_UNSPECIFIED') {
    throw invalidArgument(`protection level ${level} is not supported by the fake`);
  }
  if (k.importOnly) throw invalidArgument('import_only keys are not supported by the fake');
  if (k.cryptoKeyBackend) throw invalidArgument('crypto_key_backend is not supported by the fake');
  return {
    rotationPeriodMs: fromDuration(k.rotationPeriod, 'rotation_period'),
    nextRotationTime: fromTimestamp(k.nextRotationTime, 'next_rotation_time'),
    labels: checkLabels(k.labels),
    destroyScheduledMs: fromDuration(k.destroyScheduledDuration, 'destroy_scheduled_duration'),
    protectionLevel: level === 'HSM' ? 'HSM' : ('SOFTWARE' as ProtectionLevel),
    skipInitialVersion: req.skipInitialVersionCreation ?? false,
  };
}

function requireMask(mask: FieldMask | undefined): string[] {
  const paths = mask?.paths ?? [];
  if (paths.length === 0) throw invalidArgument('update_mask is required and must name at least one field');
  return paths;
}

export function kmsHandlers(deps: FakeDeps): grpc.UntypedServiceImplementation {
  const { store } = deps;
  const def = <Req, Res>(name: string, spec: MethodSpec<Req, Res>) => unary(deps, name, spec);
  const activity = <Req>(requestType: string, resourceOf: (req: Req) => string | undefined) => ({
    kind: 'activity' as const,
    requestType: `google.cloud.kms.v1.${requestType}`,
    resourceOf,
  });

  return {
    CreateKeyRing: def<CreateKeyRingRequest, unknown>('CreateKeyRing', {
      audit: {
        ...activity<CreateKeyRingRequest>(
          'CreateKeyRingRequest',
          (r) => `${r.parent ?? ''}/keyRings/${r.keyRingId ?? ''}`,
        ),
        requestOf: (r) => ({ parent: r.parent, keyRingId: r.keyRingId }),
      },
      handle(req, ctx) {
        const parent = parseLocation(req.parent);
        ctx.authorize(P.keyRingsCreate, `projects/${parent.project}/locations/${parent.location}`, []);
        return keyRingView(store.createKeyRing(parent, req.keyRingId));
      },
    }),

    GetKeyRing: def<NameRequest, unknown>('GetKeyRing', {
      handle(req, ctx) {
        const name = parseKeyRing(req.name);
        ctx.authorize(P.keyRingsGet, keyRingPath(name), [keyRingPath(name)]);
        return keyRingView(store.keyRing(name));
      },
    }),

    ListKeyRings: def<ListRequest, unknown>('ListKeyRings', {
      handle(req, ctx) {
        const parent = parseLocation(req.parent);
        noListFilter(req);
        ctx.authorize(P.keyRingsList, req.parent!, []);
        const all = store.keyRingsIn(parent);
        const { items, nextPageToken } = page(all, req.pageSize, req.pageToken, req.parent!, listLimits);
        return { keyRings: items.map(keyRingView), nextPageToken, totalSize: all.length };
      },
    }),

    CreateCryptoKey: def<CreateCryptoKeyRequest, unknown>('CreateCryptoKey', {
      audit: {
        ...activity<CreateCryptoKeyRequest>(
          'CreateCryptoKeyRequest',
          (r) => `${r.parent ?? ''}/cryptoKeys/${r.cryptoKeyId ?? ''}`,
        ),
        requestOf: (r) => ({
          parent: r.parent,
          cryptoKeyId: r.cryptoKeyId,
          skipInitialVersionCreation: r.skipInitialVersionCreation ?? false,
        }),
      },
      handle(req, ctx) {
        const ring = parseKeyRing(req.parent, 'parent');
        const spec = keySpecOf(req);
        ctx.authorize(P.keysCreate, keyRingPath(ring), [keyRingPath(ring)]);
        return cryptoKeyView(store.createCryptoKey(store.keyRing(ring), req.cryptoKeyId, spec));
      },
    }),

    GetCryptoKey: def<NameRequest, unknown>('GetCryptoKey', {
      handle(req, ctx) {
        const name = parseCryptoKey(req.name);
        ctx.authorize(P.keysGet, cryptoKeyPath(name), keyPolicies(name));
        return cryptoKeyView(store.cryptoKey(name));
      },
    }),

    ListCryptoKeys: def<ListRequest, unknown>('ListCryptoKeys', {
      handle(req, ctx) {
        const ring = parseKeyRing(req.parent, 'parent');
        noListFilter(req);
        ctx.authorize(P.keysList, keyRingPath(ring), [keyRingPath(ring)]);
        const all = [...store.keyRing(ring).keys.values()];
        const { items, nextPageToken } = page(
          all,
          req.pageSize,
          req.pageToken,
          keyRingPath(ring),
          listLimits,
        );
        return { cryptoKeys: items.map(cryptoKeyView), nextPageToken, totalSize: all.length };
      },
    }),

    UpdateCryptoKey: def<UpdateCryptoKeyRequest, unknown>('UpdateCryptoKey', {
      audit: {
        ...activity<UpdateCryptoKeyRequest>('UpdateCryptoKeyRequest', (r) => r.cryptoKey?.name),
        requestOf: (r) => ({
          cryptoKey: { name: r.cryptoKey?.name },
          updateMask: r.updateMask?.paths?.join(','),
        }),
      },
      handle(req, ctx) {
        const name = parseCryptoKey(req.cryptoKey?.name, 'crypto_key.name');
        const paths = requireMask(req.updateMask);
        const k = req.cryptoKey!;
        ctx.authorize(P.keysUpdate, cryptoKeyPath(name), keyPolicies(name));
        const key = store.cryptoKey(name);
        let { rotationPeriodMs, nextRotationTime, labels } = key;
        for (const path of paths) {
          if (path === 'rotation_period')
            rotationPeriodMs = fromDuration(k.rotationPeriod, 'rotation_period');
          else if (path === 'next_rotation_time') {
            nextRotationTime = fromTimestamp(k.nextRotationTime, 'next_rotation_time');
          } else if (path === 'labels') labels = checkLabels(k.labels);
          else
            throw invalidArgument(
              `update_mask path '${path}' is not supported by the fake (rotation_period, next_rotation_time, labels)`,
            );
        }
        checkRotation(rotationPeriodMs, nextRotationTime);
        Object.assign(key, { rotationPeriodMs, nextRotationTime, labels });
        return cryptoKeyView(key);
      },
    }),

    CreateCryptoKeyVersion: def<CreateVersionRequest, unknown>('CreateCryptoKeyVersion', {
      audit: {
        ...activity<CreateVersionRequest>('CreateCryptoKeyVersionRequest', (r) => r.parent),
        requestOf: (r) => ({ parent: r.parent, cryptoKeyVersion: { state: r.cryptoKeyVersion?.state } }),
        responseOf: (v) => ({ name: (v as { name: string }).name }),
      },
      handle(req, ctx) {
        const name = parseCryptoKey(req.parent, 'parent');
        const state = req.cryptoKeyVersion?.state;
        if (
          state &&
          state !== 'ENABLED' &&
          state !== 'DISABLED' &&
          state !== 'CRYPTO_KEY_VERSION_STATE_UNSPECIFIED'
        ) {
          throw invalidArgument(`a new version may be ENABLED or DISABLED, not ${state}`);
        }
        ctx.authorize(P.versionsCreate, cryptoKeyPath(name), keyPolicies(name));
        const key = store.cryptoKey(name);
        return versionView(
          key,
          store.addVersion(key, state === 'DISABLED' ? 'DISABLED' : 'ENABLED', 'request'),
        );
      },
    }),

    GetCryptoKeyVersion: def<NameRequest, unknown>('GetCryptoKeyVersion', {
      handle(req, ctx) {
        const name = parseCryptoKeyVersion(req.name);
        ctx.authorize(P.versionsGet, req.name!, keyPolicies(name));
        const key = store.cryptoKey(name);
        return versionView(key, store.version(key, name.version));
      },
    }),

    ListCryptoKeyVersions: def<ListRequest, unknown>('ListCryptoKeyVersions', {
      handle(req, ctx) {
        const name = parseCryptoKey(req.parent, 'parent');
        noListFilter(req);
        ctx.authorize(P.versionsList, cryptoKeyPath(name), keyPolicies(name));
        const key = store.cryptoKey(name);
        const { items, nextPageToken } = page(
          key.versions,
          req.pageSize,
          req.pageToken,
          key.path,
          listLimits,
        );
        return {
          cryptoKeyVersions: items.map((v) => versionView(key, v)),
          nextPageToken,
          totalSize: key.versions.length,
        };
      },
    }),

    UpdateCryptoKeyVersion: def<UpdateVersionRequest, unknown>('UpdateCryptoKeyVersion', {
      audit: {
        ...activity<UpdateVersionRequest>('UpdateCryptoKeyVersionRequest', (r) => r.cryptoKeyVersion?.name),
        requestOf: (r) => ({
          cryptoKeyVersion: { name: r.cryptoKeyVersion?.name, state: r.cryptoKeyVersion?.state },
          updateMask: r.updateMask?.paths?.join(','),
        }),
      },
      handle(req, ctx) {
        const name = parseCryptoKeyVersion(req.cryptoKeyVersion?.name, 'crypto_key_version.name');
        const paths = requireMask(req.updateMask);
        const unsupported = paths.find((p) => p !== 'state');
        if (unsupported)
          throw invalidArgument(`update_mask path '${unsupported}' is not supported by the fake (state)`);
        const target = req.cryptoKeyVersion?.state;
        if (!target || target === 'CRYPTO_KEY_VERSION_STATE_UNSPECIFIED') {
          throw invalidArgument('crypto_key_version.state is required');
        }
        ctx.authorize(P.versionsUpdate, req.cryptoKeyVersion!.name!, keyPolicies(name));
        const key = store.cryptoKey(name);
        const version = store.version(key, name.version);
        store.setVersionState(key, version, target);
        return versionView(key, version);
      },
    }),

    UpdateCryptoKeyPrimaryVersion: def<UpdatePrimaryRequest, unknown>('UpdateCryptoKeyPrimaryVersion', {
      audit: {
        ...activity<UpdatePrimaryRequest>('UpdateCryptoKeyPrimaryVersionRequest', (r) => r.name),
        requestOf: (r) => ({ name: r.name, cryptoKeyVersionId: r.cryptoKeyVersionId }),
      },
      handle(req, ctx) {
        const name = parseCryptoKey(req.name);
        if (!req.cryptoKeyVersionId) throw invalidArgument('crypto_key_version_id is required');
        ctx.authorize(P.keysUpdate, cryptoKeyPath(name), keyPolicies(name));
        const key = store.cryptoKey(name);
        store.setPrimary(key, store.version(key, req.cryptoKeyVersionId));
        return cryptoKeyView(key);
      },
    }),

    DestroyCryptoKeyVersion: def<NameRequest, unknown>('DestroyCryptoKeyVersion', {
      audit: {
        ...activity<NameRequest>('DestroyCryptoKeyVersionRequest', (r) => r.name),
        requestOf: (r) => ({ name: r.name }),
      },
      handle(req, ctx) {
        const name = parseCryptoKeyVersion(req.name);
        ctx.authorize(P.versionsDestroy, req.name!, keyPolicies(name));
        const key = store.cryptoKey(name);
        const version = store.version(key, name.version);
        store.scheduleDestruction(key, version);
        return versionView(key, version);
      },
    }),

    RestoreCryptoKeyVersion: def<NameRequest, unknown>('RestoreCryptoKeyVersion', {
      audit: {
        ...activity<NameRequest>('RestoreCryptoKeyVersionRequest', (r) => r.name),
        requestOf: (r) => ({ name: r.name }),
      },
      handle(req, ctx) {
        const name = parseCryptoKeyVersion(req.name);
        ctx.authorize(P.versionsRestore, req.name!, keyPolicies(name));
        const key = store.cryptoKey(name);
        const version = store.version(key, name.version);
        store.restore(key, version);
        return versionView(key, version);
      },
    }),

    Encrypt: def<EncryptRequest, unknown>('Encrypt', {
      audit: {
        kind: 'data_access',
        requestType: 'google.cloud.kms.v1.EncryptRequest',
        resourceOf: (r) => r.name,
        requestOf: (r) => ({ name: r.name }),
        responseOf: (res) => ({ name: (res as { name: string }).name }),
      },
      handle(req, ctx) {
        const { key: name, version: versionId } = parseKeyOrVersion(req.name);
        const plaintext = req.plaintext ?? Buffer.alloc(0);
        const aad = req.additionalAuthenticatedData ?? Buffer.alloc(0);
        if (plaintext.length === 0) throw invalidArgument('plaintext is required');
        const verifiedPlaintext = verifyCrc(plaintext, req.plaintextCrc32c, 'plaintext_crc32c', 'plaintext');
        const verifiedAad = verifyCrc(
          aad,
          req.additionalAuthenticatedDataCrc32c,
          'additional_authenticated_data_crc32c',
          'additional_authenticated_data',
        );
        ctx.authorize(P.useToEncrypt, req.name!, keyPolicies(name));
        const key = store.cryptoKey(name);
        const { version, ciphertext } = encryptWith(store, key, versionId, plaintext, aad);
        return {
          name: versionPath(name, version.number),
          ciphertext,
          ciphertextCrc32c: { value: String(crc32c(ciphertext)) },
          verifiedPlaintextCrc32c: verifiedPlaintext,
          verifiedAdditionalAuthenticatedDataCrc32c: verifiedAad,
          protectionLevel: key.protectionLevel,
        };
      },
    }),

    Decrypt: def<DecryptRequest, unknown>('Decrypt', {
      audit: {
        kind: 'data_access',
        requestType: 'google.cloud.kms.v1.DecryptRequest',
        resourceOf: (r) => r.name,
        requestOf: (r) => ({ name: r.name }),
      },
      handle(req, ctx) {
        const name = parseCryptoKey(req.name);
        const ciphertext = req.ciphertext ?? Buffer.alloc(0);
        const aad = req.additionalAuthenticatedData ?? Buffer.alloc(0);
        if (ciphertext.length === 0) throw invalidArgument('ciphertext is required');
        verifyCrc(ciphertext, req.ciphertextCrc32c, 'ciphertext_crc32c', 'ciphertext');
        verifyCrc(
          aad,
          req.additionalAuthenticatedDataCrc32c,
          'additional_authenticated_data_crc32c',
          'additional_authenticated_data',
        );
        ctx.authorize(P.useToDecrypt, cryptoKeyPath(name), keyPolicies(name));
        const key = store.cryptoKey(name);
        const { version, plaintext } = decryptWith(key, ciphertext, aad);
        return {
          plaintext,
          plaintextCrc32c: { value: String(crc32c(plaintext)) },
          usedPrimary: version.number === key.primary,
          protectionLevel: key.protectionLevel,
        };
      },
    }),
  };
}
