// Every Google Cloud call the worker makes that has a small quota goes through its API's token bucket
// (activities/quotas/limiters.ts): Cloud KMS writes and Cloud Logging reads, wrapped on the client objects.
import type { QuotaLimiter } from '../../../activities/quotas/limiters';
import type { QuotaApi } from '../../../worker/quotas';

/** Cloud KMS's write requests (cloud.google.com/kms/quotas): what counts against `cloudKmsWrites`. */
export const cloudKmsWrites = [
  'setIamPolicy',
  'createCryptoKey',
  'createCryptoKeyVersion',
  'updateCryptoKey',
  'updateCryptoKeyVersion',
  'updateCryptoKeyPrimaryVersion',
  'destroyCryptoKeyVersion',
  'restoreCryptoKeyVersion',
] as const;

/** Makes each named method of `target` wait for a token of `api` before it calls. */
export function limitMethods<T extends object>(
  target: T,
  methods: readonly string[],
  api: QuotaApi,
  limiter: QuotaLimiter,
): T {
  const methodsOf = target as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of methods) {
    const call = methodsOf[name]!.bind(target);
    methodsOf[name] = async (...args: unknown[]) => {
      await limiter.take(api);
      return call(...args);
    };
  }
  return target;
}
