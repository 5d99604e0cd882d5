// The inputs of rotateKey, watchKeyDeletion and a scheduled verifyKeyUsage: what a person (or a schedule)
// may ask, and the message that names the field and the fix when they ask wrong.
import assert from 'node:assert/strict';
import { describeIssues } from '../../common/keys';
import { awsRotateKeyInput, type AwsRotateKeyInput } from '../../providers/aws/rotateRequest';
import { verifyKeyUsageInput } from '../../providers/usageRequests';
import { isWatchOf, scheduledWatchWorkflowId, watchWorkflowId } from '../../common/watchdog';
import { watchKeyDeletionInput } from '../../providers/watchRequests';

const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const roleArn = 'arn:aws:iam::111122223333:role/openai-ekm';

const rotation: AwsRotateKeyInput = {
  provider: 'aws',
  keyArn,
  roleArn,
  rotation: { kind: 'now' },
  externalKeyId: 'extkey_abc',
  probes: [{ projectId: 'proj_a', kind: 'file', id: 'file-1' }],
  requester: 'rita@example.com',
  reason: 'yearly',
  changeTicket: 'CHG-1',
};

function refusal(
  schema: { safeParse(v: unknown): { success: boolean; error?: unknown } },
  input: unknown,
): string {
  const parsed = schema.safeParse(input);
  assert.equal(parsed.success, false, `accepted ${JSON.stringify(input)}`);
  return describeIssues(parsed.error as Parameters<typeof describeIssues>[0]);
}

describe('rotateKey input', function () {
  it('accepts rotate now and automatic rotation, and groups probes by project', function () {
    const now = awsRotateKeyInput.parse(rotation);
    assert.deepEqual(now.rotation, { kind: 'now' });
    assert.deepEqual(now.projectIds, ['proj_a']);
    const auto = awsRotateKeyInput.parse({ ...rotation, rotation: { kind: 'automatic', periodDays: 365 } });
    assert.deepEqual(auto.rotation, { kind: 'automatic', periodDays: 365 });
  });

  const cases: [string, Partial<AwsRotateKeyInput> | Record<string, unknown>, RegExp][] = [
    [
      'alias re-pointing',
      { rotation: { kind: 'alias-repoint' } },
      /rotation\.kind: is refused: switching an alias to another key is a key revocation/,
    ],
    ['an unknown kind', { rotation: { kind: 'monthly' } }, /rotation\.kind: must be now .* or automatic/],
    [
      'automatic without a period',
      { rotation: { kind: 'automatic' } },
      /rotation\.periodDays: is required for automatic rotation/,
    ],
    [
      'a period under 90 days',
      { rotation: { kind: 'automatic', periodDays: 30 } },
      /rotation\.periodDays: must be at least 90 days/,
    ],
    [
      'a period over 2560 days',
      { rotation: { kind: 'automatic', periodDays: 3000 } },
      /rotation\.periodDays: must be at most 2560 days/,
    ],
    [
      'a period with rotate now',
      { rotation: { kind: 'now', periodDays: 365 } },
      /rotation\.periodDays: belongs to automatic rotation/,
    ],
    [
      'nothing to prove access with',
      { externalKeyId: undefined, probes: [] },
      /externalKeyId: or probes: name at least one/,
    ],
    [
      'a role in another account',
      { roleArn: 'arn:aws:iam::999999999999:role/x' },
      /roleArn: is in account 999999999999 but the key is in account 111122223333/,
    ],
    [
      'an alias instead of the key ARN',
      { keyArn: 'alias/ekm-demo' },
      /keyArn: must be the key ARN .* `ekm rotate` resolves/,
    ],
    ['no change ticket', { changeTicket: undefined }, /changeTicket/],
  ];
  for (const [what, change, expected] of cases)
    it(`refuses ${what}`, function () {
      assert.match(refusal(awsRotateKeyInput, { ...rotation, ...change }), expected);
    });
});

describe('watchKeyDeletion input', function () {
  it('a watch from an instant, or one pass over a look-back', function () {
    assert.ok(
      watchKeyDeletionInput.safeParse({ provider: 'aws', keyArn, since: '2026-01-01T00:00:00Z' }).success,
    );
    assert.ok(
      watchKeyDeletionInput.safeParse({ provider: 'aws', keyArn, oncePerLookbackSeconds: 3600 }).success,
    );
  });
  it('refuses both, neither, a zone-less instant and a look-back beyond the trail', function () {
    assert.match(
      refusal(watchKeyDeletionInput, {
        provider: 'aws',
        keyArn,
        since: '2026-01-01T00:00:00Z',
        oncePerLookbackSeconds: 3600,
      }),
      /since: give exactly one of since .* and oncePerLookbackSeconds/,
    );
    assert.match(refusal(watchKeyDeletionInput, { provider: 'aws', keyArn }), /since: give exactly one/);
    assert.match(
      refusal(watchKeyDeletionInput, { provider: 'aws', keyArn, since: '2026-01-01T00:00' }),
      /since: must be an ISO 8601 time with a zone/,
    );
    assert.match(
      refusal(watchKeyDeletionInput, { provider: 'aws', keyArn, oncePerLookbackSeconds: 100 * 86400 }),
      /oncePerLookbackSeconds: must be at most 90 days/,
    );
  });
  it('a Cloud KMS key by its name; Cloud Logging keeps 30 days; the other cloud’s field refused', function () {
    const keyName = 'projects/p-1/locations/global/keyRings/ring/cryptoKeys/key';
    assert.ok(
      watchKeyDeletionInput.safeParse({ provider: 'gcp', keyName, since: '2026-01-01T00:00:00Z' }).success,
    );
    assert.match(
      refusal(watchKeyDeletionInput, { provider: 'gcp', keyName, oncePerLookbackSeconds: 31 * 86400 }),
      /oncePerLookbackSeconds: must be at most 30 days \(Cloud Logging/,
    );
    assert.match(
      refusal(watchKeyDeletionInput, { provider: 'gcp', keyName: 'ring/key', oncePerLookbackSeconds: 3600 }),
      /keyName: is not a Cloud KMS key name/,
    );
    assert.match(
      refusal(watchKeyDeletionInput, { provider: 'gcp', keyArn, oncePerLookbackSeconds: 3600 }),
      /keyArn|keyName/,
    );
    assert.match(
      refusal(watchKeyDeletionInput, { provider: 'azure', keyName, oncePerLookbackSeconds: 3600 }),
      /provider: must be aws or gcp/,
    );
  });
});

describe('verifyKeyUsage input for a schedule', function () {
  it('takes a look-back instead of an instant, not both, and no end with it', function () {
    assert.ok(
      verifyKeyUsageInput.safeParse({ provider: 'aws', keyArn, roleArn, lookbackSeconds: 86400 }).success,
    );
    assert.match(
      refusal(verifyKeyUsageInput, {
        provider: 'aws',
        keyArn,
        roleArn,
        lookbackSeconds: 86400,
        since: '2026-01-01T00:00:00Z',
      }),
      /since: give exactly one of since/,
    );
    assert.match(
      refusal(verifyKeyUsageInput, {
        provider: 'aws',
        keyArn,
        roleArn,
        lookbackSeconds: 86400,
        until: '2026-01-01T00:00:00Z',
      }),
      /until: cannot be combined with lookbackSeconds/,
    );
  });
});

describe('isWatchOf: the runs that may cancel a key’s deletion', function () {
  const key = 'arn:aws:kms:us-east-1:123456789012:key/k-1';
  it('the key’s watch and its schedule’s runs, nothing else', function () {
    assert.equal(isWatchOf(watchWorkflowId(key), key), true);
    assert.equal(isWatchOf(`${scheduledWatchWorkflowId(key)}-2026-12-06T23:00:00Z`, key), true);
    assert.equal(isWatchOf(watchWorkflowId(`${key}2`), key), false, 'another key’s watch');
    assert.equal(isWatchOf(`${scheduledWatchWorkflowId(key)}-anything`, key), false);
    assert.equal(isWatchOf(`${scheduledWatchWorkflowId(`${key}2`)}-2026-12-06T23:00:00Z`, key), false);
    assert.equal(isWatchOf(`ekm-key:${key}`, key), false);
  });
});
