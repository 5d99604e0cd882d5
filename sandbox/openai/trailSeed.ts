// POST /_twin/trail/seed (admin key): fills the usage trail with past calls by OpenAI's role on a key, for
// the usage-scan benchmark — tens of thousands per key in one request. Body: { keyArn, roleArn, count,
// from?, to? (ISO times; default the last day), sessionName? }.
import { HttpError } from './http';
import type { Handler } from './routes';

const maxSeed = 1_000_000;

function invalid(field: string, fix: string): HttpError {
  return new HttpError(400, `Invalid '${field}': ${fix}.`, 'invalid_request_error', 'invalid_value', field);
}

function timeOf(body: Record<string, unknown>, field: 'from' | 'to'): number | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw invalid(field, 'give an ISO 8601 time such as 2026-12-01T00:00:00Z');
  return ms;
}

export const seedTrail: Handler = async ({ body, trail }) => {
  const b = await body();
  for (const field of ['keyArn', 'roleArn'] as const)
    if (typeof b[field] !== 'string' || !(b[field] as string).startsWith('arn:'))
      throw invalid(field, `give the ${field === 'keyArn' ? 'KMS key' : 'IAM role'} ARN`);
  const count = b.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > maxSeed)
    throw invalid('count', `give a whole number of events from 1 to ${maxSeed}`);
  const from = timeOf(b, 'from');
  const to = timeOf(b, 'to');
  if (from !== undefined && to !== undefined && from > to) throw invalid('from', "must not be after 'to'");
  const seeded = trail.seed({
    keyArn: b.keyArn as string,
    roleArn: b.roleArn as string,
    count,
    from,
    to,
    sessionName: typeof b.sessionName === 'string' ? b.sessionName : undefined,
  });
  return { status: 200, body: { seeded, events: trail.listFor(b.keyArn as string).length } };
};
