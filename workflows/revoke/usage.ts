// The runbook's "verify that your KMS key is being used", on both sides of a revocation: before it, when
// OpenAI last used the key (what the approvers and the auditor see); after the cache wait, that OpenAI's
// role made no *successful* use since the revocation took effect. Refused attempts after it are expected
// (OpenAI keeps trying) and reported apart. The audit trail lists calls late, so the second read waits
// out the trail's delivery lag past its window.
import { ActivityFailure, ApplicationFailure, patched, sleep } from '@temporalio/workflow';
import { EkmError } from '../../common/errors';
import type { RevokeKeyRequest } from '../../providers/requests';
import { principalOf } from '../../providers/runSubject';
import type { RunSettingsView } from '../../common/runStatus';
import type { UsageCheck, UsageRead } from '../../providers/runStatus';
import { readOptions } from './activities';
import { specOf } from '../../providers';
import { operationsOf } from '../../providers/operations';

/**
 * A busy key's trail takes many pages at CloudTrail's two calls a second: more time than a plain read. The
 * read heartbeats its cursor after every page (and every few seconds while it waits its turn), so a
 * retried attempt resumes where the last one stopped (activities/trailPaging.ts).
 */
export const trailReadOptions = { ...readOptions, startToCloseTimeout: '5m', heartbeatTimeout: '30s' };

/**
 * Inside a revocation the trail is corroboration: a few quick retries, then the run records that it could
 * not be read and goes on — an unavailable CloudTrail must never hold up an incident.
 */
const revocationTrailOptions = {
  ...trailReadOptions,
  retry: { ...readOptions.retry, maximumAttempts: 3, maximumInterval: '5s' },
};

/**
 * Throttling is not unreadability: the quota frees up within seconds. A read throttled past its few
 * attempts is read again after a pause (5 s, doubling to a minute), up to this many rounds.
 */
const throttledRounds = 6;

function isThrottled(err: ActivityFailure): boolean {
  return err.cause instanceof ApplicationFailure && err.cause.type === EkmError.Throttled;
}

/** Settings of runs whose worker predates them: CloudTrail's documented behaviour. */
const defaults = { deliveryLagSeconds: 900, propagationGraceSeconds: 300, lookbackSeconds: 7 * 86400 };

async function read(
  request: RevokeKeyRequest,
  since: string,
  until: string,
  summary: string,
): Promise<UsageRead> {
  // Runs from before this recorded a throttled read as unreadable after three attempts (they replay so).
  const outlastsThrottling = patched('trail-read-retries-throttling');
  for (let round = 1; ; round++) {
    try {
      // Cloud Logging's report counts, dates and samples as CloudTrail's does (what this run reads); it
      // names the key and principal instead of the ARNs. UsageRead still types AWS's report only.
      const report = await operationsOf(request).readUsage(request, since, until, {
        ...revocationTrailOptions,
        summary,
      });
      return { report: report as UsageRead['report'] };
    } catch (err) {
      // The trail is corroboration, not the proof (validate and the probes are): a run never stops
      // because it could not be read, and the record says so.
      if (!(err instanceof ActivityFailure)) throw err;
      const why = err.cause?.message ?? err.message;
      if (!outlastsThrottling || !isThrottled(err)) return { error: why };
      if (round >= throttledRounds)
        return { error: `still throttled after ${round} rounds of retries (${why})` };
      await sleep(Math.min(60_000, 5_000 * 2 ** (round - 1)), {
        summary: `${specOf(request).trailName} throttled the read: wait, then read again`,
      });
    }
  }
}

/** "CloudTrail: arn:aws:iam::…:role/…" / "Cloud Logging: principal://…": whose calls, read where. */
function trailOf(request: RevokeKeyRequest): string {
  return `${specOf(request).trailName}: ${principalOf(request)}`;
}

/** When OpenAI's role last used the key, over the worker's look-back window. */
export function usageBeforeRevocation(
  request: RevokeKeyRequest,
  settings: RunSettingsView,
): Promise<UsageRead> {
  const lookback = (settings.usage ?? defaults).lookbackSeconds;
  const until = new Date();
  const since = new Date(until.getTime() - lookback * 1000);
  return read(
    request,
    since.toISOString(),
    until.toISOString(),
    `${trailOf(request)} on the key, last ${Math.round(lookback / 3600)} h`,
  );
}

/**
 * No successful use by the role from the revocation to the end of the cache wait. Uses within the
 * propagation grace are reported, not held against the revocation.
 */
export async function usageAfterRevocation(
  request: RevokeKeyRequest,
  settings: RunSettingsView,
  revokedAt: string,
  waitEndedAt: string,
): Promise<UsageCheck> {
  const { deliveryLagSeconds, propagationGraceSeconds } = settings.usage ?? defaults;
  const listedBy = Date.parse(waitEndedAt) + deliveryLagSeconds * 1000;
  const lag = listedBy - Date.now();
  if (lag > 0)
    await sleep(lag, {
      summary: `let ${specOf(request).trailName} list the calls up to ${waitEndedAt} (${deliveryLagSeconds} s lag)`,
    });
  const read_ = await read(
    request,
    revokedAt,
    waitEndedAt,
    `${trailOf(request)} on the key since the revocation`,
  );
  const effectiveFrom = new Date(Date.parse(revokedAt) + propagationGraceSeconds * 1000).toISOString();
  const check: UsageCheck = {
    ...read_,
    revokedAt,
    effectiveFrom,
    until: waitEndedAt,
    lateUses: [],
    graceUses: 0,
  };
  // The trail answers newest first and the report keeps the newest successful calls, so a use after
  // `effectiveFrom` — newer than any within the grace — is always among the samples.
  for (const sample of read_.report?.samples ?? []) {
    if (sample.errorCode) continue;
    if (sample.eventTime >= effectiveFrom) check.lateUses.push(sample);
    else check.graceUses++;
  }
  return check;
}
