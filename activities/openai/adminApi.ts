// OpenAI's Admin API over plain HTTP (undici): the external-key endpoints are in neither openai-node nor
// the public spec. Only the configured base URL is ever called, with paths built here from validated ids,
// and the admin key is read from the worker's environment at call time — never from a run.
import { request } from 'undici';

export interface AdminApiSettings {
  baseUrl: string;
  /** Returns the admin key, or undefined when the worker has none. */
  adminKey: () => string | undefined;
}

/** An HTTP answer as evidence: status, request id, the parsed body (never the request's secrets). */
export interface AdminAnswer {
  status: number;
  requestId: string | null;
  retryAfterSeconds: number | null;
  body: unknown;
}

export class AdminApiConfigError extends Error {}

const externalKeyId = /^extkey_[A-Za-z0-9_-]{1,128}$/;

export function assertExternalKeyId(id: string): void {
  if (!externalKeyId.test(id)) {
    throw new AdminApiConfigError(
      `external key id ${JSON.stringify(id)} is not an OpenAI external key id (extkey_…)`,
    );
  }
}

export function createAdminApi(settings: AdminApiSettings) {
  const base = new URL(settings.baseUrl.endsWith('/') ? settings.baseUrl : `${settings.baseUrl}/`);

  async function call(method: 'GET' | 'POST', path: string): Promise<AdminAnswer> {
    const url = new URL(path, base);
    // The path comes from this module only; this guards against a future caller passing a full URL.
    if (url.origin !== base.origin)
      throw new AdminApiConfigError(`refusing to call ${url.origin}: only ${base.origin} is configured`);
    const key = settings.adminKey();
    if (!key) throw new AdminApiConfigError('the worker has no OpenAI Admin API key in its environment');
    const res = await request(url, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // kept as text
    }
    const header = (name: string) => {
      const value = res.headers[name];
      return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
    };
    const retryAfter = Number(header('retry-after'));
    return {
      status: res.statusCode,
      requestId: header('x-request-id'),
      retryAfterSeconds: Number.isFinite(retryAfter) && header('retry-after') !== null ? retryAfter : null,
      body,
    };
  }

  return {
    validateExternalKey(id: string): Promise<AdminAnswer> {
      assertExternalKeyId(id);
      return call('POST', `organization/external_keys/${id}/validate`);
    },
  };
}

export type AdminApi = ReturnType<typeof createAdminApi>;
