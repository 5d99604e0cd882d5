// Envelope encryption as OpenAI's EKM does it: each stored object is sealed with AES-256-GCM under a data
// key (DEK); only the DEK encrypted by the customer's KMS is stored. Plain DEKs live in a memory cache
// for a TTL (one hour by default) — which is why a revocation takes up to an hour to bite.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface Sealed {
  iv: string;
  ciphertext: string;
  tag: string;
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}

export function seal(dataKey: Buffer, plaintext: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

export function open(dataKey: Buffer, sealed: Sealed): string {
  const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([
    decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
    decipher.final(),
  ]).toString('utf8');
}

/** Plain data keys by their encrypted form, each forgotten `ttlMs` after it was fetched from the KMS. */
export class DataKeyCache {
  private readonly entries = new Map<string, { key: Buffer; expiresAt: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(encryptedKey: string): Buffer | undefined {
    const entry = this.entries.get(encryptedKey);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(encryptedKey);
      return undefined;
    }
    return entry.key;
  }

  put(encryptedKey: string, key: Buffer): void {
    this.entries.set(encryptedKey, { key, expiresAt: this.now() + this.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }
}
