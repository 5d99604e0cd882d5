// The OpenAI twin: a local stand-in for OpenAI's Admin API and the data endpoints the runbook probes,
// whose data really depends on the customer's key (through moto's KMS, decided as AWS would decide it, or
// through the Cloud KMS fake, which decides for itself).
// Part of the rehearsal sandbox: `npm start` runs it; tests start their own.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { createAwsKeyProvider, SeedingWindow } from './aws/provider';
import { EkmEngine } from './ekm';
import { FaultInjector, lookupEventsPath } from './faults';
import { createGcpKeyProvider } from './gcp/provider';
import { bearerToken, HttpError, newRequestId, readJson, sendError, sendJson } from './http';
import { KeyProviders } from './provider';
import { routes, type Reply, type RouteContext, type TwinBehaviour } from './routes';
import { TwinStore } from './state';
import { lookupEvents, throttleLookup, UsageTrail } from './trail';
import { answerQuotaControl } from '../quota/control';
import type { QuotaBook } from '../quota/quotaBook';
import { twinAction } from '../quota/twinQuota';

export interface TwinOptions {
  port?: number;
  /** JSON file that keeps the organisation across restarts; omit to keep it in memory. */
  stateFile?: string;
  /** How long plain data keys stay cached (OpenAI: one hour). */
  cacheTtlSeconds?: number;
  /** moto's address: AWS registrations are checked and used there. Omit for a twin without AWS. */
  aws?: { endpoint: string; region: string };
  /**
   * The Cloud KMS fake's host:port: GCP registrations are used there as OpenAI's workload-identity
   * principal (for OpenAI's token subject, `openAiSubject`, by default the reference's). Omit for a twin
   * without Google Cloud: it refuses GCP registrations.
   */
  gcp?: { endpoint: string; openAiSubject?: string };
  behaviour?: Partial<TwinBehaviour>;
  /** The cache's clock (tests move it past the TTL instead of waiting). */
  clock?: () => number;
  /**
   * The sandbox's quota layer (sandbox/quota/): counts every call, and past the quotas answers the trail's
   * LookupEvents with ThrottlingException and the Admin API with 429 and Retry-After; /_sandbox/calls
   * reads the counts.
   */
  quota?: QuotaBook;
}

export interface OpenAiTwin {
  url: string;
  store: TwinStore;
  ekm: EkmEngine;
  trail: UsageTrail;
  faults: FaultInjector;
  /** Runs the sandbox's seeding, during which each AWS role and key's access state is read once (aws/provider.ts). */
  whileSeeding<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function startOpenAiTwin(options: TwinOptions): Promise<OpenAiTwin> {
  const store = new TwinStore(options.stateFile);
  const trail = new UsageTrail();
  const seeding = new SeedingWindow();
  const provider = new KeyProviders({
    aws: options.aws
      ? createAwsKeyProvider({ endpoint: options.aws.endpoint, region: options.aws.region, trail, seeding })
      : undefined,
    gcp: options.gcp ? createGcpKeyProvider(options.gcp) : undefined,
  });
  const ekm = new EkmEngine(store, provider, (options.cacheTtlSeconds ?? 3600) * 1000, options.clock);
  const faults = new FaultInjector();
  const behaviour: TwinBehaviour = {
    validateFailure: 'error',
    duplicateRegistration: 'refuse',
    ...options.behaviour,
  };

  async function handle(req: http.IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://twin');
    const method = req.method ?? 'GET';
    let matched = false;
    for (const route of routes) {
      const m = url.pathname.match(route.pattern);
      if (!m) continue;
      matched = true;
      if (route.method !== method) continue;
      const token = bearerToken(req);
      const ctx: RouteContext = {
        method,
        params: m.slice(1),
        query: url.searchParams,
        body: () => readJson(req),
        store,
        ekm,
        faults,
        behaviour,
        trail,
      };
      if (route.auth === 'admin') {
        if (token !== store.data.adminKey) throw invalidKey(token, 'an admin API key');
      } else {
        const apiKey = store.data.projectApiKeys.find((k) => k.value === token);
        const project = store.data.projects.find((p) => p.id === apiKey?.projectId);
        if (!apiKey || !project) throw invalidKey(token, "a project's API key");
        if (project.status === 'archived') {
          throw new HttpError(
            401,
            `Project ${project.id} is archived; its API keys cannot be used.`,
            'invalid_request_error',
            'project_archived',
          );
        }
        ctx.project = project;
      }
      return route.handler(ctx);
    }
    if (matched)
      throw new HttpError(
        405,
        `Method ${method} is not allowed on ${url.pathname}.`,
        'invalid_request_error',
        'method_not_allowed',
      );
    throw new HttpError(
      404,
      `Invalid URL (${method} ${url.pathname})`,
      'invalid_request_error',
      'unknown_url',
    );
  }

  const server = http.createServer((req, res) => {
    const requestId = newRequestId();
    res.setHeader('x-request-id', requestId);
    void (async () => {
      if (options.quota && (await answerQuotaControl(options.quota, req, res))) return;
      const quotaRefusal = options.quota ? twinAction(options.quota, req) : undefined;
      // CloudTrail's API arrives as AWS JSON 1.1 (POST / with X-Amz-Target), on the same port.
      if (String(req.headers['x-amz-target'] ?? '').startsWith('CloudTrail_20131101.LookupEvents')) {
        if (quotaRefusal)
          return sendJson(
            res,
            400,
            { __type: 'ThrottlingException', message: 'Rate exceeded' },
            { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException' },
          );
        const fault = faults.take('POST', lookupEventsPath);
        if (fault?.kind === 'latency') await delay(fault.latencyMs ?? 1000);
        if (fault?.kind === 'drop') return void req.socket.destroy();
        if (fault && fault.kind !== 'latency') return void (await throttleLookup(trail, req, res));
        await lookupEvents(trail, req, res);
        return;
      }
      if (quotaRefusal)
        return sendError(
          res,
          rateLimited(Math.max(1, Math.ceil(quotaRefusal.retryAfterSeconds)), "the sandbox's quota layer"),
        );
      const path = new URL(req.url ?? '/', 'http://twin').pathname;
      const fault = path.startsWith('/_twin/') ? undefined : faults.take(req.method ?? 'GET', path);
      if (fault?.kind === 'latency') await delay(fault.latencyMs ?? 1000);
      if (fault?.kind === 'drop') return void req.socket.destroy();
      if (fault?.kind === '429' || fault?.kind === '500' || fault?.kind === '503') {
        const status = Number(fault.kind);
        if (status === 429)
          return sendError(res, rateLimited(fault.retryAfterSeconds ?? 1, 'injected by the sandbox'));
        return sendError(
          res,
          new HttpError(
            status,
            'The server had an error (injected by the sandbox).',
            'server_error',
            'server_error',
          ),
        );
      }
      let reply: Reply;
      try {
        reply = await handle(req);
      } catch (err) {
        if (err instanceof HttpError) {
          if (fault?.kind !== 'apply-then-500' && fault?.kind !== 'apply-then-drop')
            return sendError(res, err);
          reply = { status: err.status, body: null };
        } else {
          console.error(`openai twin: ${req.method} ${path}: ${(err as Error).stack ?? String(err)}`);
          return sendError(
            res,
            new HttpError(
              500,
              'The server had an error while processing your request.',
              'server_error',
              'server_error',
            ),
          );
        }
      }
      // Apply-then-fail: the change above is made; the caller never learns it.
      if (fault?.kind === 'apply-then-drop') return void req.socket.destroy();
      if (fault?.kind === 'apply-then-500') {
        return sendError(
          res,
          new HttpError(
            500,
            'The server had an error (injected by the sandbox, after applying the request).',
            'server_error',
            'server_error',
          ),
        );
      }
      if (typeof reply.body === 'string') {
        res.writeHead(reply.status, { 'content-length': Buffer.byteLength(reply.body), ...reply.headers });
        res.end(reply.body);
      } else {
        sendJson(res, reply.status, reply.body, reply.headers);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    ekm,
    trail,
    faults,
    whileSeeding: (work) => seeding.during(work),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await provider.close();
    },
  };
}

/** OpenAI's request limit: type `requests`, code `rate_limit_exceeded`, Retry-After and its x-ratelimit-* headers. */
function rateLimited(waitSeconds: number, by: string): HttpError {
  return new HttpError(
    429,
    `Rate limit reached for requests (${by}).`,
    'requests',
    'rate_limit_exceeded',
    null,
    {
      'retry-after': String(waitSeconds),
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': `${waitSeconds}s`,
    },
  );
}

function invalidKey(token: string | undefined, what: string): HttpError {
  const shown = token ? `${token.slice(0, 8)}…${token.slice(-4)}` : undefined;
  return new HttpError(
    401,
    shown
      ? `Incorrect API key provided: ${shown}. This endpoint needs ${what}.`
      : `You didn't provide an API key. This endpoint needs ${what} in the Authorization header (Bearer).`,
    'invalid_request_error',
    'invalid_api_key',
  );
}
