// The worker's `quotas` section: the published defaults, bad values refused naming the field; and how AWS
// commands and errors map onto the buckets and onto the retryable Throttled type.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError, finalErrorTypes } from '../../common/errors';
import { toAwsFailure } from '../../providers/aws/activities/errors';
import { quotaApiOf } from '../../providers/aws/activities/quotaMiddleware';
import { toGcpFailure } from '../../providers/gcp/activities/errors';
import { parseWorkerConfig, WorkerConfigError } from '../../worker/config';
import { quotasOf } from '../../worker/quotas';

const readWorker = { role: 'read', mutatingTaskQueue: 'ekm-changes' };

describe('worker configuration: quotas', function () {
  it('defaults to the providers’ published rates (and a conservative one for OpenAI’s Admin API)', function () {
    assert.equal(parseWorkerConfig(readWorker).quotas, undefined, 'absent from the file: left absent');
    assert.deepEqual(quotasOf(parseWorkerConfig(readWorker)), {
      kmsWrites: 5,
      iamWrites: 5,
      cloudTrailLookupEvents: 2,
      cloudLoggingReads: 1,
      cloudKmsWrites: 1,
      openaiAdminWrites: 1,
    });
  });

  it('takes a rate per API and the activity starts a second', function () {
    const config = parseWorkerConfig({
      ...readWorker,
      quotas: { cloudTrailLookupEvents: 0.5, taskQueueActivitiesPerSecond: 20 },
    });
    assert.equal(quotasOf(config).cloudTrailLookupEvents, 0.5);
    assert.equal(quotasOf(config).kmsWrites, 5);
    assert.equal(quotasOf(config).taskQueueActivitiesPerSecond, 20);
  });

  const bad: [string, unknown, RegExp][] = [
    ['zero', { kmsWrites: 0 }, /quotas\.kmsWrites: must be above 0 calls per second/],
    ['negative', { cloudTrailLookupEvents: -2 }, /quotas\.cloudTrailLookupEvents: must be above 0/],
    ['a string', { iamWrites: '5' }, /quotas\.iamWrites: must be a number of calls per second, such as 2/],
    ['too many', { cloudLoggingReads: 1e6 }, /quotas\.cloudLoggingReads: must be at most 10000/],
    ['infinite', { openaiAdminWrites: Infinity }, /quotas\.openaiAdminWrites: must be a number/],
    ['an unknown API', { lookupEvents: 2 }, /quotas: Unrecognized key.*lookupEvents/],
    ['an Admin API budget of 0', { openaiAdminCalls: 0 }, /quotas\.openaiAdminCalls: must be above 0/],
    [
      'activity starts of 0',
      { workerActivitiesPerSecond: 0 },
      /quotas\.workerActivitiesPerSecond: must be above 0/,
    ],
  ];
  for (const [what, quotas, message] of bad)
    it(`refuses ${what}, naming the field`, function () {
      assert.throws(
        () => parseWorkerConfig({ ...readWorker, quotas }),
        (err: Error) => err instanceof WorkerConfigError && message.test(err.message),
      );
    });
});

describe('AWS calls and their buckets', function () {
  it('counts each command against its API: changes, trail reads; reads are free', function () {
    assert.equal(quotaApiOf('kms', 'PutKeyPolicyCommand'), 'kmsWrites');
    assert.equal(quotaApiOf('kms', 'DisableKeyCommand'), 'kmsWrites');
    assert.equal(quotaApiOf('kms', 'RevokeGrantCommand'), 'kmsWrites');
    assert.equal(quotaApiOf('kms', 'DescribeKeyCommand'), undefined);
    assert.equal(quotaApiOf('kms', 'ListGrantsCommand'), undefined);
    assert.equal(quotaApiOf('iam', 'UpdateAssumeRolePolicyCommand'), 'iamWrites');
    assert.equal(quotaApiOf('iam', 'PutRolePolicyCommand'), 'iamWrites');
    assert.equal(quotaApiOf('iam', 'GetRoleCommand'), undefined);
    assert.equal(quotaApiOf('cloudtrail', 'LookupEventsCommand'), 'cloudTrailLookupEvents');
  });

  it('types throttling as Throttled, retryable; refused credentials stay final', function () {
    const throttling = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const t = toAwsFailure(throttling, 'read CloudTrail') as ApplicationFailure;
    assert.ok(t instanceof ApplicationFailure);
    assert.equal(t.type, EkmError.Throttled);
    assert.equal(t.nonRetryable, false);
    assert.ok(!finalErrorTypes.includes(EkmError.Throttled));
    const http429 = Object.assign(new Error('slow down'), {
      name: 'Unknown',
      $metadata: { httpStatusCode: 429 },
    });
    assert.equal((toAwsFailure(http429, 'x') as ApplicationFailure).type, EkmError.Throttled);
    const denied = Object.assign(new Error('no'), { name: 'AccessDeniedException' });
    assert.equal((toAwsFailure(denied, 'x') as ApplicationFailure).type, EkmError.CloudAccessDenied);
  });

  it('types Google’s RESOURCE_EXHAUSTED as Throttled, retryable', function () {
    const f = toGcpFailure(
      { code: 8, details: 'Quota exceeded' },
      'read Cloud Logging',
    ) as ApplicationFailure;
    assert.equal(f.type, EkmError.Throttled);
    assert.equal(f.nonRetryable, false);
  });
});
