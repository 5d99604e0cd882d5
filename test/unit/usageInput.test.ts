import assert from 'node:assert/strict';
import { describeIssues } from '../../common/keys';
import { usageWorkflowId } from '../../common/usage';
import { verifyKeyUsageInput, type VerifyKeyUsageInput } from '../../providers/usageRequests';

const account = '111122223333';
const keyArn = `arn:aws:kms:us-east-1:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const roleArn = `arn:aws:iam::${account}:role/openai-ekm`;

/** A complete, valid request: every case below changes one thing. */
const request: VerifyKeyUsageInput = {
  provider: 'aws',
  keyArn,
  roleArn,
  externalKeyId: 'extkey_demo',
  since: '2025-01-30T09:00:00Z',
  until: '2025-01-31T09:00:00.000Z',
};

function issues(input: unknown): string {
  const parsed = verifyKeyUsageInput.safeParse(input);
  assert.ok(!parsed.success, 'expected the input to be refused');
  return describeIssues(parsed.error);
}

describe('verifyKeyUsage input', function () {
  it('accepts a complete request, and one without external key or end (until now)', function () {
    assert.ok(verifyKeyUsageInput.safeParse(request).success);
    const { externalKeyId: _e, until: _u, ...minimal } = request;
    assert.ok(verifyKeyUsageInput.safeParse(minimal).success);
  });

  it('accepts a time with an offset', function () {
    assert.ok(verifyKeyUsageInput.safeParse({ ...request, since: '2025-01-30T10:00:00+01:00' }).success);
  });

  for (const [what, change, field, message] of [
    ['another provider', { provider: 'azure' }, 'provider', /must be aws or gcp/],
    ['a Google Cloud request with an AWS key', { provider: 'gcp' }, 'keyName', /./],
    ['an alias instead of the key ARN', { keyArn: 'alias/ekm-demo' }, 'keyArn', /must be the key ARN/],
    ['a user instead of a role', { roleArn: `arn:aws:iam::${account}:user/x` }, 'roleArn', /IAM role ARN/],
    ['a project id as external key', { externalKeyId: 'proj_abc' }, 'externalKeyId', /extkey_/],
    ['a time without its zone', { since: '2025-01-30T09:00:00' }, 'since', /ISO 8601 time with a zone/],
    ['a duration as since (the CLI turns 24h into a time)', { since: '24h' }, 'since', /ISO 8601/],
    ['a missing since', { since: undefined }, 'since', /./],
    ['an end before the start', { until: '2025-01-29T09:00:00Z' }, 'until', /later than since/],
    [
      'a role in another account',
      { roleArn: 'arn:aws:iam::999988887777:role/openai-ekm' },
      'roleArn',
      /account 999988887777 but the key is in account 111122223333/,
    ],
    ['an unknown field', { window: '24h' }, '(input)', /window/],
  ] as const) {
    it(`refuses ${what}, naming the field`, function () {
      const text = issues({ ...request, ...change });
      assert.match(text, new RegExp(`(^|; )${field.replace(/[()]/g, '\\$&')}: `));
      assert.match(text, message);
    });
  }

  it('names only the malformed role, not a spurious account mismatch', function () {
    const text = issues({ ...request, roleArn: 'arn:aws:iam::1:role/x' });
    assert.match(text, /^roleArn: must be the IAM role ARN/);
    assert.doesNotMatch(text, /account/);
  });

  it('gives every run an id of its own under the key (no lock: runs may overlap)', function () {
    assert.equal(usageWorkflowId(keyArn, 'u1'), `ekm-usage:${keyArn}:u1`);
    assert.notEqual(usageWorkflowId(keyArn, 'u1'), usageWorkflowId(keyArn, 'u2'));
  });
});
