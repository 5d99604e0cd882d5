// Temporal's codec server protocol over the payload codec, so the Web UI and `temporal … --codec-endpoint`
// can show decrypted payloads to the people allowed to see them: POST /encode and /decode (also under a
// /{namespace}/ prefix, as the CLI's endpoint template produces) with a proto3-JSON body
// {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}. The browser calls it from the
// UI's origin, so CORS allows that origin and no other; in production every call carries the user's OIDC
// access token (the UI forwards it with codec.passAccessToken).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { TokenRejected, type OidcVerifier, type TokenClaims } from './oidc';

export interface CodecServerOptions {
  codec: PayloadCodec;
  host: string;
  port: number;
  /** The Web UI's origin (scheme://host[:port]); browsers on any other origin are refused. */
  uiOrigin?: string;
  /** Refuse /encode: the UI and CLI may read runs, not write encrypted input. */
  readOnly?: boolean;
  /** Production: the caller's bearer token must verify. Absent only in sandbox mode, on loopback. */
  verifier?: OidcVerifier;
  /** One line per request that decoded or encoded something (who, what, how many); default: console.log. */
  log?: (line: string) => void;
  maxBodyBytes?: number;
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

const loopbackHosts = new Set(['127.0.0.1', '::1', 'localhost']);
export const isLoopbackHost = (host: string): boolean => loopbackHosts.has(host);

/** `https://ui.example.com/` → `https://ui.example.com`; anything but a bare http(s) origin is refused. */
export function normaliseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${value} is not a URL: give the Web UI's origin, e.g. http://127.0.0.1:8233`);
  }
  if (!/^https?:$/.test(url.protocol) || (url.pathname !== '/' && url.pathname !== '') || url.search)
    throw new Error(`${value} is not an origin: give scheme, host and port only, e.g. http://127.0.0.1:8233`);
  return url.origin;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;
function bytes(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !base64.test(value))
    throw new HttpError(400, `${where} must be a base64 string`);
  return Buffer.from(value, 'base64');
}

/** proto3 JSON → Payload: every bytes field (data, each metadata value) is base64. */
export function payloadsFromJson(body: unknown): Payload[] {
  const payloads = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new HttpError(400, 'body must be {"payloads": [...]}');
  return payloads.map((p: unknown, i) => {
    if (!p || typeof p !== 'object') throw new HttpError(400, `payloads[${i}] must be an object`);
    const { metadata, data } = p as { metadata?: unknown; data?: unknown };
    if (metadata !== undefined && (metadata === null || typeof metadata !== 'object'))
      throw new HttpError(400, `payloads[${i}].metadata must be an object`);
    return {
      metadata: Object.fromEntries(
        Object.entries((metadata ?? {}) as Record<string, unknown>).map(([k, v]) => [
          k,
          bytes(v, `payloads[${i}].metadata.${k}`),
        ]),
      ),
      data: data === undefined ? new Uint8Array() : bytes(data, `payloads[${i}].data`),
    };
  });
}

export function payloadsToJson(payloads: Payload[]): { payloads: JsonPayload[] } {
  const b64 = (value: Uint8Array) =>
    Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return {
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data ?? new Uint8Array()),
    })),
  };
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `body larger than ${limit} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function codecRequestHandler(options: CodecServerOptions): http.RequestListener {
  const uiOrigin = options.uiOrigin === undefined ? undefined : normaliseOrigin(options.uiOrigin);
  const log = options.log ?? ((line: string) => console.log(line));
  const limit = options.maxBodyBytes ?? 16 * 1024 * 1024;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      // A browser on another origin gets no CORS headers and no answer: it cannot read, nor make us work.
      if (origin !== uiOrigin) throw new HttpError(403, `origin ${origin} is not allowed`);
      res.setHeader('Access-Control-Allow-Origin', uiOrigin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://codec').pathname;
    const operation = /^(?:\/[^/]+)?\/(encode|decode)\/?$/.exec(path)?.[1];
    if (!operation) throw new HttpError(404, 'not found: POST /encode or /decode');
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} ${path}: use POST`);

    let who = 'anonymous (sandbox mode)';
    if (options.verifier) {
      const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (!auth)
        throw new HttpError(401, 'a bearer token is required (Authorization: Bearer <access token>)');
      let claims: TokenClaims;
      try {
        claims = await options.verifier.verify(auth);
      } catch (err) {
        if (err instanceof TokenRejected) throw new HttpError(401, err.message);
        throw err;
      }
      who = String(claims.email ?? claims.sub ?? 'unknown subject');
    }
    if (operation === 'encode' && options.readOnly)
      throw new HttpError(403, 'this codec server is read-only: /encode is refused');
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      throw new HttpError(415, 'Content-Type must be application/json');
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, limit)).toString('utf8'));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, 'body is not JSON');
    }
    const payloads = payloadsFromJson(body);
    let result: Payload[];
    try {
      result = await (operation === 'encode'
        ? options.codec.encode(payloads)
        : options.codec.decode(payloads));
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
    const namespace = req.headers['x-namespace'] ?? '(no namespace)';
    log(
      `codec server: ${operation} ${payloads.length} payload(s) for ${who}, namespace ${String(namespace)}`,
    );
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(payloadsToJson(result)));
  };

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : 'internal error';
      if (status === 500) console.error(`codec server: ${(err as Error).stack ?? String(err)}`);
      if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: message }));
    });
  };
}

/** Starts the server; without a verifier it refuses any address but loopback (sandbox mode). */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  if (!options.verifier && !isLoopbackHost(options.host))
    throw new Error(
      `without an OIDC issuer the codec server authenticates no one, so it binds to loopback only, not ${options.host}: give --oidc-issuer and --oidc-audience to serve other hosts`,
    );
  const server = http.createServer(codecRequestHandler(options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
