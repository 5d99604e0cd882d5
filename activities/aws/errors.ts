// Maps AWS SDK errors to ekm's typed failures: what no retry can fix becomes a final ApplicationFailure;
// everything else (throttling, 5xx, network) is rethrown for the activity's retry policy.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';

export function toAwsFailure(err: unknown, what: string): unknown {
  const name = (err as { name?: string }).name ?? '';
  const message = (err as { message?: string }).message ?? String(err);
  switch (name) {
    case 'NotFoundException':
    case 'NoSuchEntityException':
      return ApplicationFailure.create({
        type: EkmError.KeyNotFound,
        message: `${what}: ${message}`,
        nonRetryable: true,
      });
    case 'InvalidArnException':
    case 'ValidationException':
      return ApplicationFailure.create({
        type: EkmError.InvalidInput,
        message: `${what}: ${message}`,
        nonRetryable: true,
      });
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnrecognizedClientException':
    case 'InvalidClientTokenId':
      return ApplicationFailure.create({
        type: EkmError.CloudAccessDenied,
        message: `${what}: AWS refused the worker's credentials (${name}: ${message}); check the worker's AWS credentials and policy`,
        nonRetryable: true,
      });
    default:
      return err;
  }
}
