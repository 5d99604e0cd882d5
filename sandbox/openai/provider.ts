// The seam between the twin and a cloud KMS: encrypt and decrypt a data key as OpenAI's principal. AWS is
// the provider today; Google Cloud KMS plugs in here.
import type { ExternalKey } from './state';

/** The cloud refused OpenAI's principal; `code` is the cloud's error code (AccessDenied, DisabledException, …). */
export class KeyAccessDenied extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface KeyProvider {
  /** Encrypts a fresh data key; returns its ciphertext (base64) and the key that made it. */
  encryptDataKey(key: ExternalKey, dataKey: Buffer): Promise<{ ciphertext: string; keyArn: string }>;
  /** Decrypts a data key made by `keyArn`. */
  decryptDataKey(key: ExternalKey, ciphertext: string, keyArn: string): Promise<Buffer>;
}
