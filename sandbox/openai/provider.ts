// The seam between the twin and a cloud KMS: encrypt and decrypt a data key as OpenAI's principal. AWS
// (sandbox/openai/aws/) and Google Cloud KMS (sandbox/openai/gcp/) plug in here; each registration goes
// to the provider of its type.
import type { ExternalKey, GcpExternalKey, RegisteredExternalKey } from './state';

/** The cloud refused OpenAI's principal; `code` is the cloud's error code (AccessDenied, DisabledException, …). */
export class KeyAccessDenied extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `keyArn` is the key that made a ciphertext: a key ARN for AWS, the CryptoKey's resource name for GCP. */
export interface KeyProvider<Key extends RegisteredExternalKey = ExternalKey> {
  /** Encrypts a fresh data key; returns its ciphertext (base64) and the key that made it. */
  encryptDataKey(key: Key, dataKey: Buffer): Promise<{ ciphertext: string; keyArn: string }>;
  /** Decrypts a data key made by `keyArn`. */
  decryptDataKey(key: Key, ciphertext: string, keyArn: string): Promise<Buffer>;
  /** Lets go of the provider's connections (a gRPC channel for GCP). */
  close?(): Promise<void>;
}

export type KeyType = RegisteredExternalKey['type'];

/** The providers the twin was configured with; a registration's type picks one. */
export class KeyProviders implements KeyProvider<RegisteredExternalKey> {
  constructor(
    private readonly byType: { aws?: KeyProvider<ExternalKey>; gcp?: KeyProvider<GcpExternalKey> },
  ) {}

  /** The types registration accepts: those the twin can reach a KMS for. */
  types(): KeyType[] {
    return (['aws', 'gcp'] as const).filter((type) => this.byType[type] !== undefined);
  }

  encryptDataKey(key: RegisteredExternalKey, dataKey: Buffer) {
    return key.type === 'gcp'
      ? this.of('gcp').encryptDataKey(key, dataKey)
      : this.of('aws').encryptDataKey(key, dataKey);
  }

  decryptDataKey(key: RegisteredExternalKey, ciphertext: string, keyArn: string) {
    return key.type === 'gcp'
      ? this.of('gcp').decryptDataKey(key, ciphertext, keyArn)
      : this.of('aws').decryptDataKey(key, ciphertext, keyArn);
  }

  async close(): Promise<void> {
    for (const provider of Object.values(this.byType)) await provider?.close?.();
  }

  private of<T extends KeyType>(type: T) {
    const provider = this.byType[type];
    // Registration refuses types without a provider, so only a state file from another setup gets here.
    if (!provider) throw new Error(`the twin has no ${type} KMS configured for this external key`);
    return provider;
  }
}
