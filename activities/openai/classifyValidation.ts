// What a validate answer means for a revocation. Only an answer that the configured matchers recognise as
// the provider's refusal counts as *revoked*; our own key refused, rate limits, server errors and unknown
// ids are *unknown* — retried, then a person decides — and never count as revoked.
import type { AdminAnswer } from './adminApi';

export type ValidationOutcome = 'success' | 'revoked' | 'unknown';

export interface ValidationVerdict {
  outcome: ValidationOutcome;
  /** Why, in a sentence, for the evidence. */
  why: string;
}

function errorText(body: unknown): string {
  if (!body || typeof body !== 'object') return typeof body === 'string' ? body : '';
  const b = body as { error?: unknown; status?: unknown };
  if (b.error && typeof b.error === 'object') {
    const e = b.error as { code?: unknown; message?: unknown };
    return `${String(e.code ?? '')} ${String(e.message ?? '')}`;
  }
  return typeof b.error === 'string' ? b.error : '';
}

export function classifyValidation(answer: AdminAnswer, revokedMatchers: string[]): ValidationVerdict {
  const body = answer.body as { status?: unknown } | undefined;
  if (answer.status === 200 && body?.status === 'success')
    return { outcome: 'success', why: 'validate answered success' };
  if (answer.status === 401 || answer.status === 403) {
    return {
      outcome: 'unknown',
      why: `OpenAI refused our admin key (HTTP ${answer.status}): this says nothing about the customer key`,
    };
  }
  if (answer.status === 404)
    return { outcome: 'unknown', why: 'OpenAI does not know this external key id (HTTP 404)' };
  if (answer.status === 429) return { outcome: 'unknown', why: 'rate limited (HTTP 429)' };
  if (answer.status >= 500) return { outcome: 'unknown', why: `OpenAI server error (HTTP ${answer.status})` };
  const text = errorText(answer.body);
  const matched = revokedMatchers.find((m) => new RegExp(m, 'i').test(text));
  if (matched && (answer.status === 200 ? body?.status === 'failure' : answer.status >= 400)) {
    return {
      outcome: 'revoked',
      why: `validate reported the provider's refusal (HTTP ${answer.status}, matched /${matched}/): ${text.trim()}`,
    };
  }
  return {
    outcome: 'unknown',
    why: `an answer no matcher recognises (HTTP ${answer.status}): ${text.trim() || JSON.stringify(answer.body)}`,
  };
}
