// A trail read pages through the cloud's audit log (CloudTrail NextToken, Cloud Logging pageToken) and
// counts as it goes. After every page it heartbeats the next page's cursor with what it has counted, so a
// retried attempt (throttled past the SDK's retries, a timeout, a restarted worker) resumes at that page
// instead of reading — and spending quota on — the pages before it again.
import { Context } from '@temporalio/activity';
import { usageSampleLimit, type OperationCounts, type TrailReport, type UsageSample } from '../common/usage';

/** What a trail read has counted so far: enough to resume, and to write the report at the end. */
export interface UsageTally {
  operations: Record<string, OperationCounts>;
  refusedByCode: Record<string, number>;
  successfulSamples: UsageSample[];
  refusedSamples: UsageSample[];
  eventsScanned: number;
  first?: number;
  last?: number;
  lastRefused?: number;
}

/** Where a read stands: the next page's cursor (none: done), pages read, and the tally. */
export interface TrailProgress<T extends UsageTally = UsageTally> {
  /** The query this progress belongs to: a heartbeat of another query is never resumed. */
  query: string;
  cursor?: string;
  pages: number;
  tally: T;
}

export function emptyTally(): UsageTally {
  return { operations: {}, refusedByCode: {}, successfulSamples: [], refusedSamples: [], eventsScanned: 0 };
}

/** Counts one call: per operation, refused apart from successful, the newest samples kept (newest first). */
export function countUse(
  tally: UsageTally,
  name: string,
  at: number,
  sample: UsageSample,
  errorCode: string | undefined,
): void {
  const counts = (tally.operations[name] ??= { successful: 0, refused: 0 });
  if (errorCode) {
    counts.refused++;
    tally.refusedByCode[errorCode] = (tally.refusedByCode[errorCode] ?? 0) + 1;
    if (Number.isFinite(at)) tally.lastRefused = Math.max(tally.lastRefused ?? at, at);
    if (tally.refusedSamples.length < usageSampleLimit) tally.refusedSamples.push({ ...sample, errorCode });
  } else {
    counts.successful++;
    if (Number.isFinite(at)) {
      tally.first = Math.min(tally.first ?? at, at);
      tally.last = Math.max(tally.last ?? at, at);
    }
    if (tally.successfulSamples.length < usageSampleLimit) tally.successfulSamples.push(sample);
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The report's counting fields, from the tally. */
export function reportOf(
  tally: UsageTally,
): Pick<
  TrailReport,
  | 'operations'
  | 'successful'
  | 'refused'
  | 'refusedByCode'
  | 'firstSuccessfulUse'
  | 'lastSuccessfulUse'
  | 'lastRefusedAttempt'
  | 'samples'
  | 'eventsScanned'
> {
  const counts = Object.values(tally.operations);
  return {
    operations: tally.operations,
    successful: counts.reduce((n, c) => n + c.successful, 0),
    refused: counts.reduce((n, c) => n + c.refused, 0),
    refusedByCode: tally.refusedByCode,
    firstSuccessfulUse: iso(tally.first),
    lastSuccessfulUse: iso(tally.last),
    lastRefusedAttempt: iso(tally.lastRefused),
    samples: [...tally.successfulSamples, ...tally.refusedSamples],
    eventsScanned: tally.eventsScanned,
  };
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (a test calling the function itself)
  }
}

/** The progress an earlier attempt of this activity heartbeat for the same query, if any. */
export function resumedProgress<T extends UsageTally>(query: string): TrailProgress<T> | undefined {
  const details = activityContext()?.info.heartbeatDetails as TrailProgress<T> | undefined;
  return details?.query === query && details.cursor ? details : undefined;
}

/** Records where the read stands (a no-op outside an activity). */
export function heartbeatProgress<T extends UsageTally>(progress: TrailProgress<T>): void {
  activityContext()?.heartbeat(progress);
}

/**
 * Runs `read` with a heartbeat every few seconds besides the one after each page: a page waiting its turn
 * in a busy LookupEvents bucket is not a stuck worker. The details are always where the read stands.
 */
export async function withHeartbeats<R>(
  progress: TrailProgress<UsageTally>,
  read: () => Promise<R>,
): Promise<R> {
  const beat = setInterval(() => heartbeatProgress(progress), keepAliveMs);
  try {
    return await read();
  } finally {
    clearInterval(beat);
  }
}

/** Well inside the trail reads' heartbeat timeout (workflows/revoke/usage.ts). */
const keepAliveMs = 10_000;
