// Payload encryption: the codec, its keys, and the codec server the Web UI decodes through.
import { AesGcmPayloadCodec, type AesGcmCodecOptions } from './aesGcmCodec';
import { keyringFromEnvironment, type CodecKeySource } from './keys';

export * from './aesGcmCodec';
export * from './keys';

/** The codec the environment configures, or undefined when it configures no keys (nothing is encrypted). */
export function codecFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  source?: CodecKeySource,
  options?: AesGcmCodecOptions,
): AesGcmPayloadCodec | undefined {
  const keyring = keyringFromEnvironment(env, source);
  return keyring && new AesGcmPayloadCodec(keyring, options);
}
