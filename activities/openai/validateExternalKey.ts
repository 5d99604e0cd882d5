// The runbook's "validate via API": one POST /organization/external_keys/{id}/validate, classified.
// Transient answers (429, 5xx, network) fail the attempt so the retry policy tries again — after
// Retry-After when OpenAI gives one; everything else is returned as a verdict, with the evidence.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';
import { AdminApiConfigError, type AdminApi } from './adminApi';
import { classifyValidation, type ValidationOutcome } from './classifyValidation';

export interface ValidationRecord {
  externalKeyId: string;
  outcome: ValidationOutcome;
  why: string;
  httpStatus: number;
  requestId: string | null;
  answeredAt: string;
  /** The answer's body, kept as evidence (it holds no secret: OpenAI echoes none). */
  body: unknown;
}

export function validateExternalKeyActivity(api: AdminApi, revokedMatchers: string[]) {
  return async function validateExternalKey(externalKeyId: string): Promise<ValidationRecord> {
    let answer;
    try {
      answer = await api.validateExternalKey(externalKeyId);
    } catch (err) {
      if (err instanceof AdminApiConfigError) {
        throw ApplicationFailure.create({
          type: EkmError.WorkerMisconfigured,
          message: err.message,
          nonRetryable: true,
        });
      }
      throw err; // network trouble: the retry policy decides
    }
    const verdict = classifyValidation(answer, revokedMatchers);
    if (verdict.outcome === 'unknown' && (answer.status === 429 || answer.status >= 500)) {
      throw ApplicationFailure.create({
        type: EkmError.OpenAiUnavailable,
        message: `validate ${externalKeyId}: ${verdict.why} (request ${answer.requestId ?? 'without id'})`,
        nextRetryDelay: answer.retryAfterSeconds !== null ? `${answer.retryAfterSeconds}s` : undefined,
      });
    }
    return {
      externalKeyId,
      outcome: verdict.outcome,
      why: verdict.why,
      httpStatus: answer.status,
      requestId: answer.requestId,
      answeredAt: new Date().toISOString(),
      body: answer.body,
    };
  };
}
