// Fault injection, switched on per run through the twin's control endpoint: 429 with Retry-After, 500 and
// 503, added latency, dropped connections, and apply-then-fail (the change is made, then the answer is a
// 500 or a dropped connection — what makes a create unsafe to retry). By path, for N requests or a rate.
// CloudTrail's LookupEvents (AWS JSON at POST /) is matched as the path /cloudtrail/LookupEvents, and
// every kind but `latency` and `drop` answers it as AWS throttles: HTTP 400, `ThrottlingException`.
import { randomUUID } from 'node:crypto';
import { HttpError } from './http';

export const faultKinds = [
  '429',
  '500',
  '503',
  'latency',
  'drop',
  'apply-then-500',
  'apply-then-drop',
  'throttling',
] as const;

/** The path a fault names to hit CloudTrail's LookupEvents (which arrives as POST / with X-Amz-Target). */
export const lookupEventsPath = '/cloudtrail/LookupEvents';
export type FaultKind = (typeof faultKinds)[number];

export interface FaultRule {
  id: string;
  kind: FaultKind;
  /** A request path with `*` for one path segment, e.g. /v1/organization/external_keys/*\/validate. */
  path: string;
  method?: string;
  /** How many matching requests it hits; unset = every one (subject to `rate`). */
  count?: number;
  /** Probability of hitting a matching request, 0–1; unset = 1. */
  rate?: number;
  /** Matching requests let through before the rule starts hitting (a failure midway through paging). */
  skip?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
}

function pathMatches(pattern: string, path: string): boolean {
  const p = pattern.split('/');
  const a = path.split('/');
  return p.length === a.length && p.every((seg, i) => seg === '*' || seg === a[i]);
}

export class FaultInjector {
  private rules: FaultRule[] = [];

  add(raw: Record<string, unknown>): FaultRule {
    const kind = raw.kind as FaultKind;
    if (!faultKinds.includes(kind)) {
      throw new HttpError(
        400,
        `Invalid 'kind': use one of ${faultKinds.join(', ')}.`,
        'invalid_request_error',
        'invalid_value',
        'kind',
      );
    }
    if (typeof raw.path !== 'string' || !raw.path.startsWith('/')) {
      throw new HttpError(
        400,
        "Invalid 'path': give a request path such as /v1/organization/projects.",
        'invalid_request_error',
        'invalid_value',
        'path',
      );
    }
    for (const field of ['count', 'rate', 'skip', 'retryAfterSeconds', 'latencyMs'] as const) {
      if (raw[field] !== undefined && (typeof raw[field] !== 'number' || (raw[field] as number) < 0)) {
        throw new HttpError(
          400,
          `Invalid '${field}': expected a non-negative number.`,
          'invalid_request_error',
          'invalid_value',
          field,
        );
      }
    }
    const rule: FaultRule = {
      id: `fault_${randomUUID()}`,
      kind,
      path: raw.path,
      method: typeof raw.method === 'string' ? raw.method.toUpperCase() : undefined,
      count: raw.count as number | undefined,
      rate: raw.rate as number | undefined,
      skip: raw.skip as number | undefined,
      retryAfterSeconds: raw.retryAfterSeconds as number | undefined,
      latencyMs: raw.latencyMs as number | undefined,
    };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return [...this.rules];
  }

  clear(): void {
    this.rules = [];
  }

  /** The rule that hits this request, if any (and uses up one of its count). */
  take(method: string, path: string): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.method && rule.method !== method) continue;
      if (!pathMatches(rule.path, path)) continue;
      if (rule.rate !== undefined && Math.random() >= rule.rate) continue;
      if (rule.skip) {
        rule.skip -= 1;
        continue;
      }
      if (rule.count !== undefined) {
        rule.count -= 1;
        if (rule.count <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      return rule;
    }
    return undefined;
  }
}
