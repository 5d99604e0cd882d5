// Cloud KMS resource names, parsed and checked the way the service checks them: a malformed name is
// INVALID_ARGUMENT, before anything is looked up.
import { invalidArgument } from './errors';

export interface LocationName {
  project: string;
  location: string;
}
export interface KeyRingName extends LocationName {
  keyRing: string;
}
export interface CryptoKeyName extends KeyRingName {
  cryptoKey: string;
}
export interface CryptoKeyVersionName extends CryptoKeyName {
  version: string;
}

/** Key ring and key ids: letters, digits, `_` and `-`, 1 to 63 characters. */
export const resourceIdPattern = /^[a-zA-Z0-9_-]{1,63}$/;
const segment = '([^/]+)';
const locationRe = new RegExp(`^projects/${segment}/locations/${segment}$`);
const keyRingRe = new RegExp(`^projects/${segment}/locations/${segment}/keyRings/${segment}$`);
const cryptoKeyRe = new RegExp(
  `^projects/${segment}/locations/${segment}/keyRings/${segment}/cryptoKeys/${segment}$`,
);
const versionRe = new RegExp(
  `^projects/${segment}/locations/${segment}/keyRings/${segment}/cryptoKeys/${segment}/cryptoKeyVersions/${segment}$`,
);

function required(value: string | undefined, field: string): string {
  if (!value) throw invalidArgument(`${field} is required`);
  return value;
}

export function parseLocation(value: string | undefined, field = 'parent'): LocationName {
  const m = locationRe.exec(required(value, field));
  if (!m) throw invalidArgument(`${field} '${value}' is not a location name (projects/*/locations/*)`);
  return { project: m[1]!, location: m[2]! };
}

export function parseKeyRing(value: string | undefined, field = 'name'): KeyRingName {
  const m = keyRingRe.exec(required(value, field));
  if (!m)
    throw invalidArgument(`${field} '${value}' is not a key ring name (projects/*/locations/*/keyRings/*)`);
  return { project: m[1]!, location: m[2]!, keyRing: m[3]! };
}

export function parseCryptoKey(value: string | undefined, field = 'name'): CryptoKeyName {
  const m = cryptoKeyRe.exec(required(value, field));
  if (!m) {
    throw invalidArgument(
      `${field} '${value}' is not a crypto key name (projects/*/locations/*/keyRings/*/cryptoKeys/*)`,
    );
  }
  return { project: m[1]!, location: m[2]!, keyRing: m[3]!, cryptoKey: m[4]! };
}

export function parseCryptoKeyVersion(value: string | undefined, field = 'name'): CryptoKeyVersionName {
  const m = versionRe.exec(required(value, field));
  if (!m) {
    throw invalidArgument(
      `${field} '${value}' is not a crypto key version name (projects/*/locations/*/keyRings/*/cryptoKeys/*/cryptoKeyVersions/*)`,
    );
  }
  return { project: m[1]!, location: m[2]!, keyRing: m[3]!, cryptoKey: m[4]!, version: m[5]! };
}

/** A key or a version (Encrypt takes either); tells which it was. */
export function parseKeyOrVersion(
  value: string | undefined,
  field = 'name',
): { key: CryptoKeyName; version?: string } {
  if (value && versionRe.test(value)) {
    const v = parseCryptoKeyVersion(value, field);
    return { key: v, version: v.version };
  }
  return { key: parseCryptoKey(value, field) };
}

export const keyRingPath = (n: KeyRingName) =>
  `projects/${n.project}/locations/${n.location}/keyRings/${n.keyRing}`;
export const cryptoKeyPath = (n: CryptoKeyName) => `${keyRingPath(n)}/cryptoKeys/${n.cryptoKey}`;
export const versionPath = (n: CryptoKeyName, version: string | number) =>
  `${cryptoKeyPath(n)}/cryptoKeyVersions/${version}`;
