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

export class UsageTrail {
  readonly events: TrailEvent[] = [];
  /** Every LookupEvents call, in order: what a test counts to see the quota kept and no page read twice. */
  readonly lookups: TrailLookup[] = [];

  record(event: Omit<TrailEvent, 'eventId' | 'eventTime'>): void {
    this.events.push({ eventId: randomUUID(), eventTime: Date.now(), ...event });
  }
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
  const selected = trail.events
    .filter((e) => e.eventTime >= start && e.eventTime <= end && matches(e, body.LookupAttributes?.[0]))
    .reverse();
  trail.lookups.push({ at: Date.now(), nextToken: body.NextToken, answer: 'page' });
  const offset = body.NextToken ? Number(body.NextToken) : 0;
  const max = Math.min(Math.max(body.MaxResults ?? 50, 1), 50);
  const page = selected.slice(offset, offset + max);
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
      ...(offset + max < selected.length ? { NextToken: String(offset + max) } : {}),
    },
    { 'content-type': 'application/x-amz-json-1.1' },
  );
}
