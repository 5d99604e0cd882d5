// The quota layer's ledger, shared by the moto proxy, the Cloud KMS fake and the OpenAI twin: a token
// bucket per (scope, quota) at the published rate times `scale`, and a count of every call per action —
// throttled answers included — read and reset through /_sandbox/calls (control.ts).
import { publishedRate, type QuotaRate } from './rates';

export interface QuotaSettings {
  /** Off: every call is admitted (and still counted). */
  enabled: boolean;
  /** Multiplies every rate: 0.1 makes each quota a tenth of the published figure, keeping their ratios. */
  scale: number;
  /** Per quota name (e.g. `kms:PutKeyPolicy`, `cloudtrail:LookupEvents`), a rate replacing the published one before scaling. */
  rates: Record<string, number>;
}

export interface ActionCount {
  calls: number;
  throttled: number;
}

export type Admission = { admitted: true } | { admitted: false; quota: string; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class QuotaBook {
  private settings: QuotaSettings;
  private readonly buckets = new Map<string, Bucket>();
  private counts = new Map<string, ActionCount>();
  private since = new Date();

  constructor(
    settings: Partial<QuotaSettings> = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.settings = { enabled: false, scale: 1, rates: {}, ...settings };
    checkSettings(this.settings);
  }

  get current(): QuotaSettings {
    return { ...this.settings, rates: { ...this.settings.rates } };
  }

  configure(change: Partial<QuotaSettings>): QuotaSettings {
    const next = { ...this.settings, ...change, rates: { ...this.settings.rates, ...change.rates } };
    checkSettings(next);
    this.settings = next;
    this.buckets.clear();
    return this.current;
  }

  /** The rate in force for an action (published, overridden, scaled), or undefined when unlimited. */
  rateOf(action: string): QuotaRate | undefined {
    const published = publishedRate(action);
    if (!published) return undefined;
    const base = this.settings.rates[published.quota] ?? published.perSecond;
    return { quota: published.quota, perSecond: base * this.settings.scale };
  }

  /** Counts the call and, past its quota's rate in `scope` (an account and region, a project), refuses it. */
  admit(action: string, scope: string): Admission {
    const count = this.counts.get(action) ?? { calls: 0, throttled: 0 };
    this.counts.set(action, count);
    count.calls += 1;
    const rate = this.settings.enabled ? this.rateOf(action) : undefined;
    if (!rate) return { admitted: true };
    // One second's worth of burst (at least one call), refilled continuously.
    const capacity = Math.max(1, rate.perSecond);
    const key = `${scope}|${rate.quota}`;
    const now = this.clock();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate.perSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { admitted: true };
    }
    count.throttled += 1;
    return { admitted: false, quota: rate.quota, retryAfterSeconds: (1 - bucket.tokens) / rate.perSecond };
  }

  /** Every action's count since the last reset, sorted by action. */
  calls(): { since: string; settings: QuotaSettings; actions: Record<string, ActionCount> } {
    const actions = Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
    return { since: this.since.toISOString(), settings: this.current, actions };
  }

  reset(): void {
    this.counts = new Map();
    this.since = new Date();
  }
}

function checkSettings(s: QuotaSettings): void {
  if (!(Number.isFinite(s.scale) && s.scale > 0))
    throw new Error(
      `quota scale ${s.scale}: use a positive number, e.g. 0.1 for a tenth of every published rate`,
    );
  for (const [quota, rate] of Object.entries(s.rates))
    if (!(Number.isFinite(rate) && rate > 0))
      throw new Error(`quota rate for ${quota} is ${rate}: use a positive number of calls per second`);
}
