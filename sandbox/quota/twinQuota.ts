// The quota layer in the OpenAI twin: each request is counted under its action — `cloudtrail:LookupEvents`
// for the trail, `openai:admin POST /v1/organization/projects` for the Admin API, `openai:GET /v1/files/*`
// for the data endpoints (ids — segments holding a digit, the version aside — as `*`) — and the trail and the Admin API are refused past their rates.
import type { IncomingMessage } from 'node:http';
import type { Admission, QuotaBook } from './quotaBook';

/** The request's action name: ids (a path segment holding a digit, but not `v1`) become `*`. */
export function twinActionName(req: IncomingMessage): string {
  if (String(req.headers['x-amz-target'] ?? '').startsWith('CloudTrail_20131101.'))
    return `cloudtrail:${String(req.headers['x-amz-target']).split('.').pop()}`;
  const path = new URL(req.url ?? '/', 'http://twin').pathname
    .split('/')
    .map((segment) => (/\d/.test(segment) && !/^v\d+$/.test(segment) ? '*' : segment))
    .join('/');
  const admin = path.startsWith('/v1/organization/') ? 'admin ' : '';
  return `openai:${admin}${req.method ?? 'GET'} ${path}`;
}

/** Counts the request; the refusal when it is past its quota, else undefined. */
export function twinAction(
  book: QuotaBook,
  req: IncomingMessage,
): Extract<Admission, { admitted: false }> | undefined {
  // CloudTrail is per account and Region: the region is in the SigV4 credential scope.
  const region = /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
  const admission = book.admit(twinActionName(req), region ? `aws/${region}` : 'openai');
  return admission.admitted ? undefined : admission;
}
