// Refusals carry the gRPC status code the real service answers with, because callers (the provider, the
// twin) branch on the code, not on the text.
import { status } from '@grpc/grpc-js';

export class FakeGcpError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'FakeGcpError';
  }
}

export const invalidArgument = (message: string) => new FakeGcpError(status.INVALID_ARGUMENT, message);
export const notFound = (message: string) => new FakeGcpError(status.NOT_FOUND, message);
export const alreadyExists = (message: string) => new FakeGcpError(status.ALREADY_EXISTS, message);
export const failedPrecondition = (message: string) => new FakeGcpError(status.FAILED_PRECONDITION, message);
export const permissionDenied = (message: string) => new FakeGcpError(status.PERMISSION_DENIED, message);
export const aborted = (message: string) => new FakeGcpError(status.ABORTED, message);
export const unauthenticated = (message: string) => new FakeGcpError(status.UNAUTHENTICATED, message);

/** Anything that is not a deliberate refusal is a bug in the fake: report it as INTERNAL, with its text. */
export function asFakeGcpError(err: unknown): FakeGcpError {
  if (err instanceof FakeGcpError) return err;
  return new FakeGcpError(
    status.INTERNAL,
    `fake GCP KMS bug: ${err instanceof Error ? err.message : String(err)}`,
  );
}
