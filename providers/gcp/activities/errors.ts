// Maps Google Cloud (gRPC) errors to ekm's typed failures: what no retry can fix becomes a final
// ApplicationFailure; RESOURCE_EXHAUSTED a retryable Throttled one; UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED
// (a lost etag race) and INTERNAL are rethrown for the activity's retry policy.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';

const final = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

export function toGcpFailure(err: unknown, what: string): unknown {
  const code = (err as { code?: number }).code;
  const details =
    (err as { details?: string; message?: string }).details ?? (err as Error).message ?? String(err);
  switch (code) {
    case 3: // INVALID_ARGUMENT
    case 11: // OUT_OF_RANGE
      return final(EkmError.InvalidInput, `${what}: ${details}`);
    case 5: // NOT_FOUND
      return final(EkmError.KeyNotFound, `${what}: ${details}`);
    case 7: // PERMISSION_DENIED
    case 16: // UNAUTHENTICATED
      return final(
        EkmError.CloudAccessDenied,
        `${what}: Google refused the worker's credentials (${details}); check the worker's service account and its roles`,
      );
    case 8: // RESOURCE_EXHAUSTED: a quota; retried with backoff, never read as unreadable
      return ApplicationFailure.create({
        type: EkmError.Throttled,
        message: `${what}: Google throttled the call (RESOURCE_EXHAUSTED: ${details}); retried with backoff`,
        nonRetryable: false,
      });
    case 9: // FAILED_PRECONDITION: a version's state does not allow it
      return final(EkmError.MethodNotApplicable, `${what}: Cloud KMS refused it (${details})`);
    default:
      return err;
  }
}
