// The runbook's "verify that your KMS key is being used", for AWS: CloudTrail's record of the KMS calls
// made on the key by sessions of the customer role OpenAI assumes, counted per operation, with refused
// attempts kept apart from successful ones. Read-only: a retry resumes at the page its last attempt
// heartbeat (activities/trailPaging.ts).
import { LookupEventsCommand, type CloudTrailClient, type Event } from '@aws-sdk/client-cloudtrail';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import {
  countUse,
  emptyTally,
  heartbeatProgress,
  reportOf,
  resumedProgress,
  withHeartbeats,
  type TrailProgress,
} from '../../../activities/trailPaging';
import { kmsCryptographicOperations, type KeyUsageQuery, type KeyUsageReport } from '../usageReport';
import { toAwsFailure } from './errors';

/** LookupEvents answers at most 50 events a page. */
export const cloudTrailPageSize = 50;
/**
 * 100 pages, 5,000 events: far more than a key's OpenAI use in a day; beyond it the counts are lower
 * bounds. The worker's `usage.cloudTrailMaxPages` sets another.
 */
export const defaultCloudTrailMaxPages = 100;
/** AWS: CloudTrail delivers an event within about 5 minutes on average, without a guarantee. */
const deliveryLagMs = 15 * 60_000;
/** LookupEvents sees the last 90 days only. */
const lookupHorizonMs = 90 * 86_400_000;

/** The fields of a CloudTrail record the count needs; everything else stays in CloudTrail. */
interface TrailRecord {
  errorCode?: string;
  eventTime?: string;
  userIdentity?: { arn?: string; sessionContext?: { sessionIssuer?: { arn?: string } } };
}

const uses: ReadonlySet<string> = new Set(kmsCryptographicOperations);

function recordOf(event: Event): TrailRecord | undefined {
  if (!event.CloudTrailEvent) return undefined;
  try {
    return JSON.parse(event.CloudTrailEvent) as TrailRecord;
  } catch {
    return undefined;
  }
}

/** The caveat of a read that stopped at its page cap with events left: its counts are lower bounds. */
export function stoppedAtCapCaveat(maxPages: number, eventsScanned: number): string {
  return (
    `incomplete: the read stopped at the worker's cap of ${maxPages} page(s) (${eventsScanned} events read) ` +
    'with more events on the key in the window: the counts are lower bounds; narrow the window or raise usage.cloudTrailMaxPages'
  );
}

export function readAwsKeyUsage(
  clients: { cloudTrail?: CloudTrailClient },
  options: { maxPages?: number } = {},
) {
  const maxPages = options.maxPages ?? defaultCloudTrailMaxPages;
  return async function readKeyUsage(query: KeyUsageQuery): Promise<KeyUsageReport> {
    const { cloudTrail } = clients;
    if (!cloudTrail)
      throw ApplicationFailure.create({
        type: EkmError.WorkerMisconfigured,
        message: 'this worker has no CloudTrail client: it cannot read how a key is used',
        nonRetryable: true,
      });
    const what = `read CloudTrail for ${query.keyArn}`;
    const since = new Date(query.since);
    const until = new Date(query.until);
    // Where an earlier attempt of this read stopped (its heartbeat), or the first page.
    const queryKey = JSON.stringify([query.keyArn, query.roleArn ?? null, query.since, query.until]);
    const progress: TrailProgress = resumedProgress(queryKey) ?? {
      query: queryKey,
      pages: 0,
      tally: emptyTally(),
    };
    const { tally } = progress;
    await withHeartbeats(progress, async () => {
      // The first page always; then on while there is one and the cap allows (a resumed read counts the
      // pages its earlier attempts read).
      while (progress.pages === 0 || (progress.cursor && progress.pages < maxPages)) {
        // Paced by the worker's LookupEvents bucket (2 a second per account and region by default).
        let answer;
        try {
          answer = await cloudTrail.send(
            new LookupEventsCommand({
              // One lookup attribute per call (CloudTrail's rule): the key; the role is filtered below.
              LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: query.keyArn }],
              StartTime: since,
              EndTime: until,
              MaxResults: cloudTrailPageSize,
              NextToken: progress.cursor,
            }),
          );
        } catch (err) {
          throw toAwsFailure(err, what);
        }
        for (const event of answer.Events ?? []) {
          tally.eventsScanned++;
          const record = recordOf(event);
          const name = event.EventName ?? 'Unknown';
          if (!record || !uses.has(name)) continue;
          const issuer = record.userIdentity?.sessionContext?.sessionIssuer?.arn;
          if (query.roleArn !== undefined && issuer !== query.roleArn) continue;
          const at = event.EventTime?.getTime() ?? Date.parse(record.eventTime ?? '');
          // The trail answers newest first, so the first samples kept are the newest.
          countUse(
            tally,
            name,
            at,
            {
              eventId: event.EventId ?? '',
              eventTime: Number.isFinite(at) ? new Date(at).toISOString() : '',
              eventName: name,
              principal: issuer ?? record.userIdentity?.arn,
            },
            record.errorCode,
          );
        }
        progress.pages++;
        progress.cursor = answer.NextToken;
        heartbeatProgress(progress);
      }
    });

    const readAt = Date.now();
    const truncated = progress.cursor !== undefined;
    const caveats: string[] = [];
    if (until.getTime() > readAt - deliveryLagMs)
      caveats.push(
        'CloudTrail delivers events about 5 minutes after the call on average, without a guarantee: calls in the last 15 minutes of the window may not be listed yet',
      );
    if (since.getTime() < readAt - lookupHorizonMs)
      caveats.push('CloudTrail LookupEvents covers the last 90 days only: earlier use cannot be seen here');
    if (truncated) caveats.push(stoppedAtCapCaveat(maxPages, tally.eventsScanned));
    return {
      provider: 'aws',
      source: 'cloudtrail:LookupEvents',
      keyArn: query.keyArn,
      roleArn: query.roleArn,
      since: since.toISOString(),
      until: until.toISOString(),
      ...reportOf(tally),
      truncated,
      caveats,
      readAt: new Date(readAt).toISOString(),
    };
  };
}
