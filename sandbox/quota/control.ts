// The quota layer's control surface, served beside what it guards (the moto proxy, the OpenAI twin):
//   GET /_sandbox/calls          every action's calls and throttled answers since the last reset (JSON)
//   DELETE /_sandbox/calls       resets the counts
//   GET /_sandbox/quota          the settings in force
//   POST /_sandbox/quota         changes them: { "enabled"?: bool, "scale"?: number, "rates"?: { quota: perSecond } }
// Loopback only, like the sandbox; no key, since it guards nothing but the rehearsal.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QuotaBook, QuotaSettings } from './quotaBook';

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers a /_sandbox/ request and returns true; false for any other path. */
export async function answerQuotaControl(
  book: QuotaBook,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
  if (!path.startsWith('/_sandbox/')) return false;
  const method = req.method ?? 'GET';
  try {
    if (path === '/_sandbox/calls' && method === 'GET') reply(res, 200, book.calls());
    else if (path === '/_sandbox/calls' && method === 'DELETE') {
      book.reset();
      reply(res, 200, book.calls());
    } else if (path === '/_sandbox/quota' && method === 'GET') reply(res, 200, book.current);
    else if (path === '/_sandbox/quota' && method === 'POST')
      reply(res, 200, book.configure(JSON.parse((await readBody(req)) || '{}') as Partial<QuotaSettings>));
    else
      reply(res, 404, {
        error: `no ${method} ${path}: use GET|DELETE /_sandbox/calls, GET|POST /_sandbox/quota`,
      });
  } catch (err) {
    reply(res, 400, { error: (err as Error).message });
  }
  return true;
}
