import assert from 'node:assert/strict';
import { classifyValidation, type ValidationOutcome } from '../../activities/openai/classifyValidation';
import { workerConfigSchema } from '../../worker/config';

// The worker's default matchers (the openai section's defaults): only the provider's access refusals count.
const matchers = workerConfigSchema.shape.openai.parse(undefined).revokedMatchers;
const envelope = (code: string, message: string) => ({
  error: { message, type: 'invalid_request_error', param: null, code },
});

const cases: [string, number, unknown, ValidationOutcome][] = [
  ['success', 200, { status: 'success' }, 'success'],
  [
    'the twin’s refusal as an error status',
    400,
    envelope('external_key_validation_failed', 'An error surfaced from the cloud provider: AccessDenied'),
    'revoked',
  ],
  [
    'a refusal as 200 status:failure',
    200,
    { status: 'failure', error: 'An error surfaced from the cloud provider: DisabledException' },
    'revoked',
  ],
  [
    'the provider throttling the check says nothing about access',
    400,
    envelope(
      'external_key_validation_failed',
      'An error surfaced from the cloud provider: ThrottlingException: Rate exceeded',
    ),
    'unknown',
  ],
  ['our own admin key refused', 401, envelope('invalid_api_key', 'Incorrect API key provided'), 'unknown'],
  [
    'our admin key lacks the scope',
    403,
    envelope('insufficient_scope', 'Missing scope api.external_keys.write'),
    'unknown',
  ],
  [
    'a mistyped external key id',
    404,
    envelope('not_found', 'The external key extkey_x was not found'),
    'unknown',
  ],
  ['rate limited', 429, envelope('rate_limit_exceeded', 'Rate limit reached'), 'unknown'],
  ['server error', 500, envelope('server_error', 'The server had an error'), 'unknown'],
  [
    'unavailable, even if the text mentions the cloud provider',
    503,
    envelope('server_error', 'error surfaced from the cloud provider'),
    'unknown',
  ],
  ['a 400 no matcher recognises', 400, envelope('invalid_value', 'Something else'), 'unknown'],
  ['a 200 without a status', 200, { ok: true }, 'unknown'],
  ['a 200 failure no matcher recognises', 200, { status: 'failure', error: 'maintenance' }, 'unknown'],
];

describe('validate answers, classified', function () {
  for (const [what, status, body, expected] of cases) {
    it(`${what} (HTTP ${status}) → ${expected}`, function () {
      const verdict = classifyValidation(
        { status, requestId: 'req_1', retryAfterSeconds: null, body },
        matchers,
      );
      assert.equal(verdict.outcome, expected, verdict.why);
    });
  }
});
