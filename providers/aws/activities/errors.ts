// Maps AWS SDK errors to ekm's typed failures: what no retry can fix becomes a final ApplicationFailure;
// throttling a retryable Throttled one (the SDK's own few attempts spent); everything else (5xx, network)
// is rethrown for the activity's retry policy.
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../../common/errors';

function final(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** The error codes AWS throttles with (as the SDK's own classification lists them), and HTTP 429. */
const throttlingCodes = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
]);

export function isAwsThrottling(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return throttlingCodes.has(e.name ?? '') || e.$metadata?.httpStatusCode === 429;
}

export function toAwsFailure(err: unknown, what: string): unknown {
  const name = (err as { name?: string }).name ?? '';
  const message = (err as { message?: string }).message ?? String(err);
  if (isAwsThrottling(err))
    return ApplicationFailure.create({
      type: EkmError.Throttled,
      message: `${what}: AWS throttled the call (${name}: ${message}); retried with backoff`,
      nonRetryable: false,
    });
  switch (name) {
    case 'NotFoundException':
      return final(EkmError.KeyNotFound, `${what}: ${message}`);
    // IAM: the role or policy named does not exist; the run was given, or found, something that is not there.
    case 'NoSuchEntityException':
      return final(EkmError.PreflightFailed, `${what}: IAM has no such entity (${message})`);
    // The CloudTrail ones: LookupEvents refused the window or the filter; the same query cannot succeed later.
    case 'InvalidArnException':
    case 'ValidationException':
    case 'MalformedPolicyDocumentException':
    case 'InvalidTimeRangeException':
    case 'InvalidLookupAttributesException':
    case 'InvalidMaxResultsException':
    case 'InvalidNextTokenException':
      return final(EkmError.InvalidInput, `${what}: ${message}`);
    // IAM: service-linked roles and other AWS-owned entities cannot be edited by anyone.
    case 'UnmodifiableEntityException':
      return final(EkmError.MethodNotApplicable, `${what}: AWS does not allow this change (${message})`);
    // KMS: the key's state or kind does not allow the change (disabled, pending deletion, asymmetric,
    // imported material, the on-demand rotation quota used up): waiting does not change that.
    case 'KMSInvalidStateException':
    case 'DisabledException':
    case 'UnsupportedOperationException':
    case 'LimitExceededException':
      return final(EkmError.MethodNotApplicable, `${what}: KMS refused it (${name}: ${message})`);
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnrecognizedClientException':
    case 'InvalidClientTokenId':
      return final(
        EkmError.CloudAccessDenied,
        `${what}: AWS refused the worker's credentials (${name}: ${message}); check the worker's AWS credentials and policy`,
      );
    default:
      return err;
  }
}
