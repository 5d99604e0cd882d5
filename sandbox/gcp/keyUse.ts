// Encrypt and Decrypt as Cloud KMS decides them: Encrypt uses the primary (or the version named), Decrypt
// uses whichever version sealed the ciphertext, and only an ENABLED version with its material may do
// either — a disabled, destroy-scheduled or destroyed version is FAILED_PRECONDITION, which is what a
// revocation by disabling versions looks like to the vendor.
import { open, seal, versionOfCiphertext } from './cipher';
import { failedPrecondition, invalidArgument } from './errors';
import { versionPath } from './names';
import type { CryptoKeyRecord, KmsStore, VersionRecord } from './state';

/** Cloud KMS's limit for plaintext and additional authenticated data. */
export const maxInputBytes = 64 * 1024;

function usable(key: CryptoKeyRecord, v: VersionRecord): Buffer {
  if (v.state !== 'ENABLED' || !v.material) {
    throw failedPrecondition(
      `${versionPath(key.name, v.number)} is not enabled, current state is: ${v.state}.`,
    );
  }
  return v.material;
}

function checkSize(data: Buffer, field: string): void {
  if (data.length > maxInputBytes) throw invalidArgument(`${field} is larger than ${maxInputBytes} bytes`);
}

export function encryptWith(
  store: KmsStore,
  key: CryptoKeyRecord,
  versionId: string | undefined,
  plaintext: Buffer,
  aad: Buffer,
): { version: VersionRecord; ciphertext: Buffer } {
  checkSize(plaintext, 'plaintext');
  checkSize(aad, 'additional_authenticated_data');
  let version: VersionRecord;
  if (versionId !== undefined) version = store.version(key, versionId);
  else if (key.primary !== undefined) version = key.versions[key.primary - 1]!;
  else throw failedPrecondition(`${key.path} has no primary version to encrypt with.`);
  const material = usable(key, version);
  const ciphertext = seal(material, versionPath(key.name, version.number), version.number, plaintext, aad);
  return { version, ciphertext };
}

export function decryptWith(
  key: CryptoKeyRecord,
  ciphertext: Buffer,
  aad: Buffer,
): { version: VersionRecord; plaintext: Buffer } {
  checkSize(aad, 'additional_authenticated_data');
  const version = key.versions[versionOfCiphertext(ciphertext) - 1];
  if (!version) throw invalidArgument('Decryption failed: the ciphertext is invalid.');
  const material = usable(key, version);
  const plaintext = open(material, versionPath(key.name, version.number), ciphertext, aad);
  return { version, plaintext };
}
