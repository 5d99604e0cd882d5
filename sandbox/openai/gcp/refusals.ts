// Which Cloud KMS answers mean "the customer's key refuses OpenAI": those become KeyAccessDenied, so
// validate reports the provider's error and data reads are denied, as for AWS. Anything else (the fake
// unreachable, a malformed request, a bug) stays an error of the twin: it must never read as a revocation.
import { status } from '@grpc/grpc-js';
import { KeyAccessDenied } from '../provider';

const refusals = new Set<number>([
  status.PERMISSION_DENIED, // OpenAI's principal lost its binding (or never had one)
  status.FAILED_PRECONDITION, // the version is disabled, scheduled for destruction or destroyed; no primary
  status.NOT_FOUND, // the key is gone
]);

/** The KeyAccessDenied for a Cloud KMS refusal, named by its gRPC status (PERMISSION_DENIED, …); else the error. */
export function asKeyAccessDenied(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'number' || !refusals.has(code)) return err;
  const details = (err as { details?: string }).details || (err as Error).message;
  return new KeyAccessDenied(status[code]!, details);
}
