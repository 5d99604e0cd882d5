// The runbook's "validate via API": one POST /organization/external_keys/{id}/validate, classified.
// Transient answers (408, 429, 5xx, network) fail the attempt so the retry policy tries again — after
// Retry-After when OpenAI gives one; everything else is returned as a verdict, with the evidence.
import type { AdminApi } from './adminApi';
import { failureForAnswer, isTransient, openAiStep, redactKeys } from './answers';
import { classifyValidation, type ValidationOutcome } from './classifyValidation';

export interface ValidationRecord {
  externalKeyId: string;
  outcome: ValidationOutcome;
  why: string;
  httpStatus: number;
  requestId: string | null;
  answeredAt: string;
  /** The answer's body, kept as evidence; a key OpenAI echoes (masked, in a 401) is redacted. */
  body: unknown;
}

export function validateExternalKeyActivity(api: AdminApi, revokedMatchers: string[]) {
  return async function validateExternalKey(externalKeyId: string): Promise<ValidationRecord> {
    const what = `validate ${externalKeyId}`;
    const answer = await openAiStep(what, () => api.validateExternalKey(externalKeyId));
    const verdict = classifyValidation(answer, revokedMatchers);
    // A transient answer is never a verdict (classifyValidation calls it unknown): fail the attempt.
    if (verdict.outcome === 'unknown' && isTransient(answer.status)) throw failureForAnswer(what, answer);
    return {
      externalKeyId,
      outcome: verdict.outcome,
      why: verdict.why,
      httpStatus: answer.status,
      requestId: answer.requestId,
      answeredAt: new Date().toISOString(),
      body: JSON.parse(redactKeys(JSON.stringify(answer.body ?? null))) as unknown,
    };
  };
}
