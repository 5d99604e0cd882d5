// The runbook's "verify that your KMS key is being used", for AWS: CloudTrail's record of the KMS calls
// made on the key by sessions of the customer role OpenAI assumes, counted per operation, with refused
// attempts kept apart from successful ones. Read-only: a retry simply reads the trail again.
import { LookupEventsCommand, type CloudTrailClient, type Event } from '@aws-sdk/client-cloudtrail';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';
import { usageSampleLimit, type OperationCounts, type UsageSample } from '../../../common/usage';
import { kmsCryptographicOperations, type KeyUsageQuery, type KeyUsageReport } from '../usageReport';
import { toAwsFailure } from './errors';

/** LookupEvents answers at most 50 events a page. */
const pageSize = 50;
/** 5,000 events: far more than a key's OpenAI use in a day; beyond it the counts are lower bounds. */
const maxPages = 100;
/** LookupEvents allows 2 calls a second per account and region; stay under it rather than be throttled. */
const pagePauseMs = 500;
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function readAwsKeyUsage(clients: { cloudTrail?: CloudTrailClient }) {
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
    const operations: Record<string, OperationCounts> = {};
    const refusedByCode: Record<string, number> = {};
    const successfulSamples: UsageSample[] = [];
    const refusedSamples: UsageSample[] = [];
    let eventsScanned = 0;
    let first: number | undefined;
    let last: number | undefined;
    let lastRefused: number | undefined;
    let nextToken: string | undefined;
    let pages = 0;
    do {
      if (pages > 0) await sleep(pagePauseMs);
      let answer;
      try {
        answer = await cloudTrail.send(
          new LookupEventsCommand({
            // One lookup attribute per call (CloudTrail's rule): the key; the role is filtered below.
            LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: query.keyArn }],
            StartTime: since,
            EndTime: until,
            MaxResults: pageSize,
            NextToken: nextToken,
          }),
        );
      } catch (err) {
        throw toAwsFailure(err, what);
      }
      pages++;
      nextToken = answer.NextToken;
      for (const event of answer.Events ?? []) {
        eventsScanned++;
        const record = recordOf(event);
        const name = event.EventName ?? 'Unknown';
        if (!record || !uses.has(name)) continue;
        const issuer = record.userIdentity?.sessionContext?.sessionIssuer?.arn;
        if (query.roleArn !== undefined && issuer !== query.roleArn) continue;
        const at = event.EventTime?.getTime() ?? Date.parse(record.eventTime ?? '');
        const counts = (operations[name] ??= { successful: 0, refused: 0 });
        const sample: UsageSample = {
          eventId: event.EventId ?? '',
          eventTime: Number.isFinite(at) ? new Date(at).toISOString() : '',
          eventName: name,
          principal: issuer ?? record.userIdentity?.arn,
        };
        if (record.errorCode) {
          counts.refused++;
          refusedByCode[record.errorCode] = (refusedByCode[record.errorCode] ?? 0) + 1;
          if (Number.isFinite(at)) lastRefused = Math.max(lastRefused ?? at, at);
          // The trail answers newest first, so the first samples kept are the newest.
          if (refusedSamples.length < usageSampleLimit)
            refusedSamples.push({ ...sample, errorCode: record.errorCode });
        } else {
          counts.successful++;
          if (Number.isFinite(at)) {
            first = Math.min(first ?? at, at);
            last = Math.max(last ?? at, at);
          }
          if (successfulSamples.length < usageSampleLimit) successfulSamples.push(sample);
        }
      }
    } while (nextToken && pages < maxPages);

    const readAt = Date.now();
    const truncated = nextToken !== undefined;
    const counts = Object.values(operations);
    const caveats: string[] = [];
    if (until.getTime() > readAt - deliveryLagMs)
      caveats.push(
        'CloudTrail delivers events about 5 minutes after the call on average, without a guarantee: calls in the last 15 minutes of the window may not be listed yet',
      );
    if (since.getTime() < readAt - lookupHorizonMs)
      caveats.push('CloudTrail LookupEvents covers the last 90 days only: earlier use cannot be seen here');
    if (truncated)
      caveats.push(
        `more than ${maxPages * pageSize} events on the key in the window: the counts are lower bounds; narrow the window`,
      );
    return {
      provider: 'aws',
      source: 'cloudtrail:LookupEvents',
      keyArn: query.keyArn,
      roleArn: query.roleArn,
      since: since.toISOString(),
      until: until.toISOString(),
      operations,
      successful: counts.reduce((n, c) => n + c.successful, 0),
      refused: counts.reduce((n, c) => n + c.refused, 0),
      refusedByCode,
      firstSuccessfulUse: first === undefined ? undefined : new Date(first).toISOString(),
      lastSuccessfulUse: last === undefined ? undefined : new Date(last).toISOString(),
      lastRefusedAttempt: lastRefused === undefined ? undefined : new Date(lastRefused).toISOString(),
      samples: [...successfulSamples, ...refusedSamples],
      eventsScanned,
      truncated,
      caveats,
      readAt: new Date(readAt).toISOString(),
    };
  };
}
