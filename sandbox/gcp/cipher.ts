// Real authenticated encryption, so a ciphertext opens only under the version that made it, with the same
// additional authenticated data. The envelope names the version (Decrypt is given the key, not the
// version, as in Cloud KMS) and binds the version's full name into the GCM tag, so a ciphertext moved to
// another key fails authentication instead of decrypting under an unrelated version with the same number.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { invalidArgument } from './errors';

const formatByte = 0x01;
const ivLength = 12;
const tagLength = 16;
const headerLength = 1 + 4 + ivLength + tagLength;

export const newKeyMaterial = (): Buffer => randomBytes(32);

function boundAad(versionName: string, aad: Buffer): Buffer {
  // Resource names never contain NUL, so name + NUL + caller's AAD cannot collide with another pair.
  return Buffer.concat([Buffer.from(versionName, 'utf8'), Buffer.from([0]), aad]);
}

export function seal(
  material: Buffer,
  versionName: string,
  versionNumber: number,
  plaintext: Buffer,
  aad: Buffer,
) {
  const iv = randomBytes(ivLength);
  const cipher = createCipheriv('aes-256-gcm', material, iv);
  cipher.setAAD(boundAad(versionName, aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const header = Buffer.alloc(5);
  header.writeUInt8(formatByte, 0);
  header.writeUInt32BE(versionNumber, 1);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

const invalidCiphertext = () => invalidArgument('Decryption failed: the ciphertext is invalid.');

/** Which version sealed this ciphertext; INVALID_ARGUMENT when it is not one of ours. */
export function versionOfCiphertext(ciphertext: Buffer): number {
  if (ciphertext.length < headerLength || ciphertext.readUInt8(0) !== formatByte) throw invalidCiphertext();
  return ciphertext.readUInt32BE(1);
}

export function open(material: Buffer, versionName: string, ciphertext: Buffer, aad: Buffer): Buffer {
  const iv = ciphertext.subarray(5, 5 + ivLength);
  const tag = ciphertext.subarray(5 + ivLength, headerLength);
  const decipher = createDecipheriv('aes-256-gcm', material, iv);
  decipher.setAAD(boundAad(versionName, aad));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext.subarray(headerLength)), decipher.final()]);
  } catch {
    // Wrong AAD, wrong key or a tampered ciphertext: the real service does not say which either.
    throw invalidCiphertext();
  }
}

// CRC32C (Castagnoli), the checksum Cloud KMS uses for end-to-end integrity of requests and responses.
const crcTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32c(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
