// The usage trail: every KMS call the twin makes (or is refused) on OpenAI's behalf, served to the real
// @aws-sdk/client-cloudtrail through a LookupEvents endpoint (AWS JSON 1.1), since moto has none.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson, sendJson } from './http';

export interface TrailEvent {
  eventId: string;
  eventTime: number; // epoch milliseconds
  eventName: 'Encrypt' | 'Decrypt';
  keyArn: string;
  roleArn: string;
  sessionName: string;
  errorCode?: string;
  errorMessage?: string;
}

/** One LookupEvents call as the twin answered it: which page was asked for, and whether it was served. */
export interface TrailLookup {
  at: number; // epoch milliseconds
  nextToken?: string;
  answer: 'page' | 'throttled';
}

/** What `seed` makes: `count` successful calls by OpenAI's role on a key, spread evenly over a window. */
export interface TrailSeed {
  keyArn: string;
  roleArn: string;
  count: number;
  /** Epoch milliseconds; default: a day before `to`. */
  from?: number;
  /** Epoch milliseconds; default: now. */
  to?: number;
  sessionName?: string;
}

/**
 * Every call in time order, with an index per key, so a page of LookupEvents costs the events it returns
 * (and the ones it skips inside the time range), not the whole trail: `examined` counts them.
 */
export class UsageTrail {
  /** Oldest first (by eventTime; equal times in arrival order). */
  readonly events: TrailEvent[] = [];
  /** Every LookupEvents call, in order: what a test counts to see the quota kept and no page read twice. */
  readonly lookups: TrailLookup[] = [];
  private readonly byKey = new Map<string, TrailEvent[]>();
  /** Events LookupEvents has looked at since the twin started: what answering cost. */
  examined = 0;

  record(event: Omit<TrailEvent, 'eventId' | 'eventTime'>): void {
    this.add([{ eventId: randomUUID(), eventTime: Date.now(), ...event }]);
  }

  /** Adds `count` past calls at once (sorted in once, whatever their times); returns how many. */
  seed(seed: TrailSeed): number {
    const to = seed.to ?? Date.now();
    const from = seed.from ?? to - 86_400_000;
    const step = seed.count > 1 ? (to - from) / (seed.count - 1) : 0;
    const made: TrailEvent[] = Array.from({ length: seed.count }, (_, i) => ({
      eventId: randomUUID(),
      eventTime: Math.round(from + i * step),
      eventName: i % 2 === 0 ? 'Encrypt' : 'Decrypt',
      keyArn: seed.keyArn,
      roleArn: seed.roleArn,
      sessionName: seed.sessionName ?? 'openai-ekm-seeded',
    }));
    this.add(made);
    return made.length;
  }

  /** The events a lookup walks: one key's when it names one, else all; oldest first. */
  listFor(keyArn?: string): readonly TrailEvent[] {
    return keyArn === undefined ? this.events : (this.byKey.get(keyArn) ?? []);
  }

  private add(events: TrailEvent[]): void {
    appendInOrder(this.events, events);
    const perKey = new Map<string, TrailEvent[]>();
    for (const e of events) {
      const list = perKey.get(e.keyArn);
      if (list) list.push(e);
      else perKey.set(e.keyArn, [e]);
    }
    for (const [keyArn, added] of perKey) appendInOrder(this.keyList(keyArn), added);
  }

  private keyList(keyArn: string): TrailEvent[] {
    let list = this.byKey.get(keyArn);
    if (!list) this.byKey.set(keyArn, (list = []));
    return list;
  }
}

/** Appends keep a list in time order; seeding the past sorts once (stable: equal times keep arrival order). */
function appendInOrder(list: TrailEvent[], added: readonly TrailEvent[]): void {
  let inOrder = true;
  for (const e of added) {
    if (list.length > 0 && e.eventTime < list[list.length - 1]!.eventTime) inOrder = false;
    list.push(e);
  }
  if (!inOrder) list.sort((x, y) => x.eventTime - y.eventTime);
}

function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/** The CloudTrail record fields a filter needs, in CloudTrail's shapes. */
function cloudTrailRecord(e: TrailEvent) {
  const roleName = e.roleArn.split('/').pop()!;
  const account = accountOf(e.roleArn);
  return {
    eventVersion: '1.08',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROA${account}:${e.sessionName}`,
      arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${e.sessionName}`,
      accountId: account,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: `AROA${account}`,
          arn: e.roleArn,
          accountId: account,
          userName: roleName,
        },
      },
    },
    eventTime: new Date(e.eventTime).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'kms.amazonaws.com',
    eventName: e.eventName,
    awsRegion: e.keyArn.split(':')[3],
    sourceIPAddress: 'openai-twin.sandbox',
    requestParameters: { keyId: e.keyArn, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
    responseElements: null,
    ...(e.errorCode ? { errorCode: e.errorCode, errorMessage: e.errorMessage } : {}),
    resources: [{ accountId: accountOf(e.keyArn), type: 'AWS::KMS::Key', ARN: e.keyArn }],
    eventID: e.eventId,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: accountOf(e.keyArn),
    eventCategory: 'Management',
  };
}

interface LookupAttribute {
  AttributeKey?: string;
  AttributeValue?: string;
}

function matches(e: TrailEvent, attribute: LookupAttribute | undefined): boolean {
  if (!attribute?.AttributeKey) return true;
  const value = attribute.AttributeValue ?? '';
  switch (attribute.AttributeKey) {
    case 'EventName':
      return e.eventName === value;
    case 'EventSource':
      return value === 'kms.amazonaws.com';
    case 'ResourceName':
      return e.keyArn === value;
    case 'ResourceType':
      return value === 'AWS::KMS::Key';
    case 'Username':
      return e.sessionName === value;
    case 'ReadOnly':
      return value === 'true';
    case 'EventId':
      return e.eventId === value;
    default:
      return false;
  }
}

/** Answers a LookupEvents call as CloudTrail does past its rate: the SDK reads it as throttling. */
export async function throttleLookup(trail: UsageTrail, req: IncomingMessage, res: ServerResponse) {
  const body = (await readJson(req)) as { NextToken?: string };
  trail.lookups.push({ at: Date.now(), nextToken: body.NextToken, answer: 'throttled' });
  sendJson(
    res,
    400,
    { __type: 'ThrottlingException', message: 'Rate exceeded' },
    { 'content-type': 'application/x-amz-json-1.1' },
  );
}

/** The index of the last event at or before `time` in a list oldest first (-1 when none): a binary search. */
function lastAtOrBefore(list: readonly TrailEvent[], time: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.eventTime <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Answers `CloudTrail_20131101.LookupEvents`: newest first, one lookup attribute, time range, paging. */
export async function lookupEvents(
  trail: UsageTrail,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = (await readJson(req)) as {
    LookupAttributes?: LookupAttribute[];
    StartTime?: number;
    EndTime?: number;
    MaxResults?: number;
    NextToken?: string;
  };
  if ((body.LookupAttributes?.length ?? 0) > 1) {
    sendJson(
      res,
      400,
      { __type: 'InvalidLookupAttributesException', message: 'Only one lookup attribute is allowed.' },
      {
        'content-type': 'application/x-amz-json-1.1',
      },
    );
    return;
  }
  const start = body.StartTime !== undefined ? body.StartTime * 1000 : -Infinity;
  const end = body.EndTime !== undefined ? body.EndTime * 1000 : Infinity;
  const attribute = body.LookupAttributes?.[0];
  const list = trail.listFor(
    attribute?.AttributeKey === 'ResourceName' ? (attribute.AttributeValue ?? '') : undefined,
  );
  // Newest first: from the last event at or before EndTime (or where the previous page stopped) down to
  // StartTime. The token is the index to go on from, so each page costs what it walks. (Live events are
  // appended, so a scan's token stays good; seeding the past while a scan pages may shift it.)
  let i = body.NextToken !== undefined ? Number(body.NextToken) : lastAtOrBefore(list, end);
  if (!Number.isInteger(i) || i >= list.length) {
    sendJson(
      res,
      400,
      { __type: 'InvalidNextTokenException', message: 'Invalid NextToken.' },
      { 'content-type': 'application/x-amz-json-1.1' },
    );
    return;
  }
  trail.lookups.push({ at: Date.now(), nextToken: body.NextToken, answer: 'page' });
  const max = Math.min(Math.max(body.MaxResults ?? 50, 1), 50);
  const page: TrailEvent[] = [];
  for (; i >= 0 && page.length < max && list[i]!.eventTime >= start; i--) {
    trail.examined += 1;
    if (matches(list[i]!, attribute)) page.push(list[i]!);
  }
  const more = i >= 0 && list[i]!.eventTime >= start;
  sendJson(
    res,
    200,
    {
      Events: page.map((e) => ({
        EventId: e.eventId,
        EventName: e.eventName,
        ReadOnly: 'true',
        EventTime: e.eventTime / 1000,
        EventSource: 'kms.amazonaws.com',
        Username: e.sessionName,
        Resources: [{ ResourceType: 'AWS::KMS::Key', ResourceName: e.keyArn }],
        CloudTrailEvent: JSON.stringify(cloudTrailRecord(e)),
      })),
      ...(more ? { NextToken: String(i) } : {}),
    },
    { 'content-type': 'application/x-amz-json-1.1' },
  );
}
