// OpenAI's Admin API over plain HTTP (undici): the external-key endpoints are in neither openai-node nor
// the public spec. Only the configured base URL is ever called, with paths built here from validated ids,
// and the admin key is read from the worker's environment at call time — never from a run.
// The HTTP plumbing (`createOpenAiCaller`) is shared with the data-plane client (dataApi.ts), so both keep
// the same origin rule and the same evidence shape.
import type { GcpRegistrationBody } from './gcpRegistration';
import { request } from 'undici';
import { sharedListings } from './sharedListing';

export interface AdminApiSettings {
  baseUrl: string;
  /** Returns the admin key, or undefined when the worker has none. */
  adminKey: () => string | undefined;
  /**
   * Waits for the Admin API writes' budget (worker/quotas.ts `openaiAdminWrites`) before a change: a
   * registration, a project created or archived. Reads and validate are not counted here.
   */
  beforeWrite?: () => Promise<void>;
  /**
   * Waits for the budget of every Admin API call (`openaiAdminCalls`) before each request goes out: each
   * page of a listing, validate, a change, and each one sent again after a 429.
   */
  beforeCall?: () => Promise<void>;
}

/** An HTTP answer as evidence: status, request id, the parsed body (never the request's secrets). */
export interface OpenAiAnswer {
  status: number;
  requestId: string | null;
  retryAfterSeconds: number | null;
  body: unknown;
}
export type AdminAnswer = OpenAiAnswer;

/** Every page of a cursor-paginated list, or the first page that was not a 2xx (as evidence). */
export type AdminListing =
  | { ok: true; items: Record<string, unknown>[]; requestIds: (string | null)[] }
  | { ok: false; answer: AdminAnswer };

/** The worker's OpenAI configuration is missing or wrong (no admin or project key, a foreign origin). */
export class AdminApiConfigError extends Error {}
/** An id that is not of the shape OpenAI gives, refused before it can enter a path. */
export class AdminApiInputError extends Error {}
/** OpenAI answered 2xx with something this client cannot read (e.g. a cursor that does not advance). */
export class AdminApiProtocolError extends Error {}

const ids = {
  externalKey: /^extkey_[A-Za-z0-9_-]{1,128}$/,
  project: /^proj_[A-Za-z0-9_-]{1,128}$/,
};

export function assertExternalKeyId(id: string): void {
  if (typeof id !== 'string' || !ids.externalKey.test(id)) {
    throw new AdminApiInputError(
      `external key id ${JSON.stringify(id)} is not an OpenAI external key id (extkey_…)`,
    );
  }
}

export function assertProjectId(id: string): void {
  if (typeof id !== 'string' || !ids.project.test(id)) {
    throw new AdminApiInputError(`project id ${JSON.stringify(id)} is not an OpenAI project id (proj_…)`);
  }
}

export interface OpenAiRequest {
  method: 'GET' | 'POST';
  /** Relative to the base URL, built by this folder's clients from validated ids. */
  path: string;
  /** The bearer key; resolved by the caller at call time. */
  key: string;
  /** Sent as JSON. */
  body?: unknown;
  /**
   * Drop a 2xx body unread: a data probe only needs to know the object was readable, and its content is
   * the customer's data, which must never reach a run's history.
   */
  discardSuccessBody?: boolean;
}

function retryAfterSeconds(header: (name: string) => string | null): number | null {
  // openai-node honours retry-after-ms first, then Retry-After as seconds or as an HTTP date.
  const ms = Number(header('retry-after-ms'));
  if (header('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const raw = header('retry-after');
  if (raw === null) return null;
  const seconds = Number(raw);
  if (raw.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : null;
}

/** One HTTP call to the configured origin; the only place this folder touches the network. */
export function createOpenAiCaller(baseUrl: string) {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);

  return async function call(req: OpenAiRequest): Promise<OpenAiAnswer> {
    const url = new URL(req.path, base);
    // Paths come from this folder only; this guards against a future caller passing a full URL.
    if (url.origin !== base.origin)
      throw new AdminApiConfigError(`refusing to call ${url.origin}: only ${base.origin} is configured`);
    const res = await request(url, {
      method: req.method,
      headers: {
        authorization: `Bearer ${req.key}`,
        ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const header = (name: string) => {
      const value = res.headers[name];
      return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
    };
    let body: unknown = null;
    if (req.discardSuccessBody && res.statusCode >= 200 && res.statusCode < 300) {
      await res.body.dump();
    } else {
      const text = await res.body.text();
      body = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
    }
    return {
      status: res.statusCode,
      requestId: header('x-request-id'),
      retryAfterSeconds: retryAfterSeconds(header),
      body,
    };
  };
}

/** How long one Admin API call may wait out 429s in place before its attempt fails (activities time out at 30 s). */
const readRetryBudgetMs = 10_000;

/** Beyond this many pages a list is not converging (a cursor loop), whatever `has_more` says. */
const maxPages = 1000;
/** Listings started over because their cursor's item was deleted, before the 400 goes to the caller. */
const maxRestarts = 3;

export function createAdminApi(settings: AdminApiSettings) {
  const send = createOpenAiCaller(settings.baseUrl);

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<AdminAnswer> {
    const key = settings.adminKey();
    if (!key) throw new AdminApiConfigError('the worker has no OpenAI Admin API key in its environment');
    // A call answered 429 is sent again here after its Retry-After, jittered so a fleet's children do not
    // all come back in the same second, within a short budget. A 429 is a refusal before any work, so a
    // change may be sent again too. Failing the attempt instead cost a fleet (bench (a)) three ways: an
    // activity reading several things made its next attempt read them all again (more calls than the
    // work under a shared quota), a child's readTogether failed its ten attempts, and createProjectOnce's
    // single attempt escalated the run to a person. Past the budget the 429 goes back to the caller (a
    // retryable OpenAiUnavailable), as before.
    let waitedMs = 0;
    for (;;) {
      await settings.beforeCall?.();
      const answer = await send({ method, path, key, body });
      if (answer.status !== 429) return answer;
      const waitMs = Math.ceil((answer.retryAfterSeconds ?? 1) * 1000 * (1 + Math.random() / 2));
      if (waitedMs + waitMs > readRetryBudgetMs) return answer;
      await new Promise((r) => setTimeout(r, waitMs));
      waitedMs += waitMs;
    }
  }

  async function change(path: string, body?: unknown): Promise<AdminAnswer> {
    await settings.beforeWrite?.();
    return await call('POST', path, body);
  }

  /** A 400 naming `after`: the cursor's item no longer exists. */
  const cursorGone = (answer: AdminAnswer): boolean =>
    answer.status === 400 &&
    (answer.body as { error?: { param?: unknown } } | null)?.error?.param === 'after';

  /**
   * Follows OpenAI's cursor (`has_more`, `last_id` → `after`) to the end. Whether every admin list takes
   * `limit`/`after` is not public, so the cursor is followed defensively: the last item's id stands in for
   * a missing `last_id`, and a cursor that does not advance is an error rather than a loop.
   */
  async function listAll(path: string, query: Record<string, string>): Promise<AdminListing> {
    const items: Record<string, unknown>[] = [];
    const seen = new Set<string>();
    const requestIds: (string | null)[] = [];
    let after: string | undefined;
    let restarts = 0;
    for (let page = 0; page < maxPages; page++) {
      const params = new URLSearchParams(query);
      if (after) params.set('after', after);
      const qs = params.toString();
      const answer = await call('GET', qs ? `${path}?${qs}` : path);
      if (after && restarts < maxRestarts && cursorGone(answer)) {
        // The item the cursor names was deleted between two pages (another run removed a registration):
        // the listing starts over from the first page, as the list now is, rather than failing the read.
        restarts++;
        after = undefined;
        items.length = 0;
        seen.clear();
        continue;
      }
      if (answer.status < 200 || answer.status >= 300) return { ok: false, answer };
      const b = answer.body as { data?: unknown; has_more?: unknown; last_id?: unknown } | null;
      if (!b || typeof b !== 'object' || !Array.isArray(b.data)) {
        throw new AdminApiProtocolError(
          `GET ${path} answered ${answer.status} without a data list (request ${answer.requestId ?? 'without id'})`,
        );
      }
      requestIds.push(answer.requestId);
      let lastItemId: string | undefined;
      for (const item of b.data as unknown[]) {
        if (!item || typeof item !== 'object') continue;
        const id = (item as { id?: unknown }).id;
        if (typeof id === 'string') {
          lastItemId = id;
          // A list that shifts between pages may repeat an item; keep the first.
          if (seen.has(id)) continue;
          seen.add(id);
        }
        items.push(item as Record<string, unknown>);
      }
      if (b.has_more !== true) return { ok: true, items, requestIds };
      const next = typeof b.last_id === 'string' && b.last_id ? b.last_id : lastItemId;
      if (!next || next === after) {
        throw new AdminApiProtocolError(
          `GET ${path} said has_more but its cursor did not advance (request ${answer.requestId ?? 'without id'})`,
        );
      }
      after = next;
    }
    throw new AdminApiProtocolError(`GET ${path} still had more after ${maxPages} pages`);
  }

  const listShared = sharedListings<AdminListing>();
  /** A whole list, shared with the reads of this worker that ask while another listing of it runs. */
  async function listOrganisation(path: string, query: Record<string, string>): Promise<AdminListing> {
    const key = `${path}?${new URLSearchParams(query).toString()}`;
    const listing = await listShared(key, () => listAll(path, query));
    // Each caller gets its own list (the items are read, never changed, by the views built from them).
    return listing.ok ? { ...listing, items: [...listing.items] } : listing;
  }

  return {
    async validateExternalKey(id: string): Promise<AdminAnswer> {
      assertExternalKeyId(id);
      return await call('POST', `organization/external_keys/${id}/validate`);
    },
    async getExternalKey(id: string): Promise<AdminAnswer> {
      assertExternalKeyId(id);
      return await call('GET', `organization/external_keys/${id}`);
    },
    /** No `limit`: whether this list takes one is not public, so its default page size is followed. */
    async listExternalKeys(): Promise<AdminListing> {
      return await listOrganisation('organization/external_keys', {});
    },
    /** Not idempotent: OpenAI makes a new external key per call. Never retry it blindly. */
    async registerExternalKey(body: RegisterExternalKeyBody | GcpRegistrationBody): Promise<AdminAnswer> {
      return await change('organization/external_keys', body);
    },
    async listProjects(options: { includeArchived: boolean }): Promise<AdminListing> {
      return await listOrganisation('organization/projects', {
        limit: '100',
        include_archived: String(options.includeArchived),
      });
    },
    async getProject(id: string): Promise<AdminAnswer> {
      assertProjectId(id);
      return await call('GET', `organization/projects/${id}`);
    },
    /** Not idempotent: OpenAI makes a new project per call. Never retry it blindly. */
    async createProject(project: { name: string; externalKeyId: string | null }): Promise<AdminAnswer> {
      if (project.externalKeyId !== null) assertExternalKeyId(project.externalKeyId);
      return await change('organization/projects', {
        name: project.name,
        ...(project.externalKeyId === null ? {} : { external_key_id: project.externalKeyId }),
      });
    },
    /** Irreversible. */
    async archiveProject(id: string): Promise<AdminAnswer> {
      assertProjectId(id);
      return await change(`organization/projects/${id}/archive`);
    },
  };
}

/** OpenAI's registration body for an AWS key (GCP and Azure bodies come with their providers). */
export interface RegisterExternalKeyBody {
  type: 'aws';
  name: string;
  role_arn: string;
  kms_arn: string;
  external_id: string;
}

export type AdminApi = ReturnType<typeof createAdminApi>;
