// AES-256-GCM payload encryption for everything Temporal stores of a run: inputs, results, memos,
// summaries and details, signal/update/query arguments. The whole original payload (its metadata
// included, which names the JSON encoding and so says something about the content) is proto-encoded and
// encrypted; Temporal keeps only `binary/encrypted`, the key id, and IV ‖ ciphertext ‖ tag.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { CodecKeyring } from './keys';

export const encryptedEncoding = 'binary/encrypted';
export const keyIdMetadata = 'encryption-key-id';
export const cipherMetadata = 'encryption-cipher';
const cipherName = 'AES-256-GCM';

const ivBytes = 12; // 96 bits: GCM's native nonce size; random per payload (2^32 payloads per key stay safe)
const tagBytes = 16;
const ProtoPayload = temporal.api.common.v1.Payload;
const utf8 = new TextEncoder();
const text = new TextDecoder();

export class CodecDecodeError extends Error {}

/**
 * What a required codec makes of a payload that arrived in clear: a payload in an encoding no converter
 * knows, whose name says why. Decoding it then fails where Temporal turns a conversion error into the
 * refusal of that one thing — an Update is rejected before it is accepted (its run goes on), a run's input
 * fails the workflow task before any activity is scheduled — instead of failing every task of the run.
 */
export const plaintextRefusedEncoding = 'binary/plaintext-refused';
export function plaintextRefusal(keyId: string): string {
  return `${plaintextRefusedEncoding}: a payload arrived in clear and was refused — payload encryption is required here (codec.required; AES-256-GCM, codec key ${keyId}); start runs and send messages with a client holding the codec keys (EKM_CODEC_KEYS or EKM_CODEC_KEYS_FILE, and EKM_CODEC_KEY_ID)`;
}

/**
 * The key id is bound in as associated data, so a payload re-labelled with another key id fails
 * authentication instead of being tried under the wrong key.
 */
const associatedData = (keyId: string) => Buffer.from(`ekm-codec/v1 ${keyId}`, 'utf8');

export interface AesGcmCodecOptions {
  /**
   * Refuse payloads that arrive in clear (`codec.required`): a run started, or a message sent, by a client
   * without the keys is then never read as if it came from someone who holds them.
   */
  required?: boolean;
  /** Told of each refused clear payload (the worker logs it). */
  onRefused?: (why: string) => void;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(
    private readonly keyring: CodecKeyring,
    private readonly options: AesGcmCodecOptions = {},
  ) {}

  get currentKeyId(): string {
    return this.keyring.currentKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encryptOne(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decryptOne(payload));
  }

  encryptOne(payload: Payload): Payload {
    const keyId = this.keyring.currentKeyId;
    const key = this.keyring.keys.get(keyId)!;
    const plaintext = ProtoPayload.encode({ metadata: payload.metadata, data: payload.data }).finish();
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
    cipher.setAAD(associatedData(keyId));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        encoding: utf8.encode(encryptedEncoding),
        [keyIdMetadata]: utf8.encode(keyId),
        [cipherMetadata]: utf8.encode(cipherName),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  /**
   * Payloads that are not encrypted pass through, so histories written before encryption stay readable —
   * unless the codec is required: then a clear payload is refused.
   */
  decryptOne(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    if (!encoding || text.decode(encoding) !== encryptedEncoding) {
      if (!this.options.required) return payload;
      const why = plaintextRefusal(this.keyring.currentKeyId);
      this.options.onRefused?.(why);
      return { metadata: { encoding: utf8.encode(why) }, data: new Uint8Array() };
    }
    const rawKeyId = payload.metadata?.[keyIdMetadata];
    if (!rawKeyId) throw new CodecDecodeError(`an encrypted payload names no ${keyIdMetadata}`);
    const keyId = text.decode(rawKeyId);
    const key = this.keyring.keys.get(keyId);
    if (!key)
      throw new CodecDecodeError(
        `payload encrypted with codec key "${keyId}", which is not configured (have: ${[...this.keyring.keys.keys()].join(', ')}); add it to the codec keys to read this payload`,
      );
    const data = payload.data ?? new Uint8Array();
    if (data.length < ivBytes + tagBytes)
      throw new CodecDecodeError(`encrypted payload (key "${keyId}") is too short to be one`);
    const iv = data.subarray(0, ivBytes);
    const tag = data.subarray(data.length - tagBytes);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
    decipher.setAAD(associatedData(keyId));
    decipher.setAuthTag(tag);
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([
        decipher.update(data.subarray(ivBytes, data.length - tagBytes)),
        decipher.final(),
      ]);
    } catch {
      throw new CodecDecodeError(
        `encrypted payload (key "${keyId}") failed authentication: it was altered, or key "${keyId}" is not the key it was encrypted with`,
      );
    }
    const decoded = ProtoPayload.decode(plaintext);
    return { metadata: decoded.metadata, data: decoded.data };
  }
}

/**
 * For a process without keys: passes clear payloads through both ways, and on an encrypted one throws
 * the error `missingKey` makes, so "set the codec keys" is said instead of the converter's "unknown
 * encoding".
 */
export function keylessCodec(missingKey: (keyId: string) => Error): PayloadCodec {
  return {
    async encode(payloads) {
      return payloads;
    },
    async decode(payloads) {
      for (const payload of payloads) {
        const encoding = payload.metadata?.encoding;
        if (encoding && text.decode(encoding) === encryptedEncoding) {
          const keyId = payload.metadata?.[keyIdMetadata];
          throw missingKey(keyId ? text.decode(keyId) : 'unknown');
        }
      }
      return payloads;
    },
  };
}
