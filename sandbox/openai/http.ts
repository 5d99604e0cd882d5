// OpenAI's HTTP conventions, as the twin speaks them: JSON bodies, `{"error":{message,type,param,code}}`
// errors, an `x-request-id` on every answer, and cursor pagination (limit, after → first_id, last_id, has_more).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function newRequestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(
    res,
    err.status,
    { error: { message: err.message, type: err.type, param: err.param, code: err.code } },
    err.headers,
  );
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpError(
    400,
    'We could not parse the JSON body of your request.',
    'invalid_request_error',
    'invalid_json',
  );
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1];
}

export interface Page<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** OpenAI's cursor pagination over items already in answer order. */
export function paginate<T extends { id: string }>(items: T[], query: URLSearchParams): Page<T> {
  const rawLimit = query.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new HttpError(
      400,
      `Invalid 'limit': expected an integer from 1 to 100, got '${rawLimit}'.`,
      'invalid_request_error',
      'invalid_value',
      'limit',
    );
  }
  let start = 0;
  const after = query.get('after');
  if (after) {
    const index = items.findIndex((item) => item.id === after);
    if (index < 0)
      throw new HttpError(
        400,
        `Invalid 'after': no object with id '${after}'.`,
        'invalid_request_error',
        'invalid_value',
        'after',
      );
    start = index + 1;
  }
  const data = items.slice(start, start + limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: start + limit < items.length,
  };
}
