// Every AWS call the worker makes goes through its API's token bucket (activities/quotas/limiters.ts):
// a middleware on each client, keyed by the command, inside the SDK's retry so each attempt counts.
import type { QuotaLimiter } from '../../../activities/quotas/limiters';
import type { QuotaApi } from '../../../worker/quotas';

export type AwsService = 'kms' | 'iam' | 'cloudtrail';

/** Reads and KMS's cryptographic calls have quotas of their own, far above what a revocation makes. */
const notAWrite =
  /^(Describe|Get|List|Encrypt|Decrypt|ReEncrypt|GenerateDataKey|GenerateRandom|Sign|Verify|Simulate)/;

/** The bucket a command draws from, or none (reads, which no runbook makes often enough to throttle). */
export function quotaApiOf(service: AwsService, command: string): QuotaApi | undefined {
  const name = command.replace(/Command$/, '');
  if (service === 'cloudtrail') return name === 'LookupEvents' ? 'cloudTrailLookupEvents' : undefined;
  if (notAWrite.test(name)) return undefined;
  return service === 'kms' ? 'kmsWrites' : 'iamWrites';
}

interface MiddlewareClient {
  middlewareStack: {
    addRelativeTo(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { name: string; relation: 'after'; toMiddleware: string; override?: boolean },
    ): void;
  };
}

/** Adds the limiter to a client; returns the client. */
export function limitAwsCalls<C>(client: C, service: AwsService, limiter: QuotaLimiter): C {
  (client as unknown as MiddlewareClient).middlewareStack.addRelativeTo(
    (next, context) => async (args) => {
      const api = context.commandName ? quotaApiOf(service, context.commandName) : undefined;
      if (api) await limiter.take(api);
      return next(args);
    },
    // After the retry middleware: the SDK's own retries of a throttled call take a token each.
    { name: 'ekmQuota', relation: 'after', toMiddleware: 'retryMiddleware', override: true },
  );
  return client;
}
