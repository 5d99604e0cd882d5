// One token bucket per rate-limited API (worker/quotas.ts), shared by every call this worker process makes
// to it: every activity, every page of a trail read, every attempt of the SDK's own retries.
import { quotaFields, type QuotaApi, type QuotasConfig } from '../../worker/quotas';
import { TokenBucket, wallClock, type BucketClock } from './tokenBucket';

export interface QuotaLimiter {
  /** Resolves when a call to `api` fits its budget (at once, or after its turn comes). */
  take(api: QuotaApi): Promise<void>;
}

export function createQuotaLimiter(quotas: QuotasConfig, clock: BucketClock = wallClock): QuotaLimiter {
  const buckets = Object.fromEntries(
    (Object.keys(quotaFields) as QuotaApi[]).flatMap((api) => {
      const rate = quotas[api];
      // An API whose budget is left unset (one without a published quota) is not limited.
      if (rate === undefined) return [];
      // A second's worth at once (at least one call): what the providers' per-second quotas allow.
      return [[api, new TokenBucket(rate, Math.max(1, Math.floor(rate)), clock)]];
    }),
  ) as Partial<Record<QuotaApi, TokenBucket>>;
  return { take: async (api) => buckets[api]?.take() };
}

const perProcess = new Map<string, QuotaLimiter>();

/**
 * The worker process's limiter for these quotas: workers of one process with the same quotas (a read and
 * a mutating worker side by side) share the buckets, as they share the account's quota.
 */
export function processQuotaLimiter(quotas: QuotasConfig, scope = ''): QuotaLimiter {
  const key = JSON.stringify([
    scope,
    (Object.keys(quotaFields) as QuotaApi[]).map((api) => [api, quotas[api]]),
  ]);
  let limiter = perProcess.get(key);
  if (!limiter) perProcess.set(key, (limiter = createQuotaLimiter(quotas)));
  return limiter;
}
