// aws.accounts (keys in several accounts and regions, one deployment): what is accepted, what is refused
// with the field named, and which client set a key's activity gets.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { AwsAccountClients, placeOfInput } from '../../providers/aws/activities/accountClients';
import { parseWorkerConfig, WorkerConfigError } from '../../worker/config';

const refusal = (aws: unknown, message: RegExp) =>
  assert.throws(
    () => parseWorkerConfig({ role: 'read', mutatingTaskQueue: 'ekm-mutating', aws }, 'cfg.json'),
    (err: Error) => {
      assert.ok(err instanceof WorkerConfigError, String(err));
      assert.match(err.message, message);
      return true;
    },
  );

describe('aws.accounts', function () {
  it('keeps the single-account configuration as it was', function () {
    const config = parseWorkerConfig({
      role: 'read',
      mutatingTaskQueue: 'ekm-mutating',
      aws: { region: 'eu-west-1' },
    });
    assert.equal(config.aws.accounts, undefined);
  });

  it('accepts accounts with regions and each kind of credentials', function () {
    const config = parseWorkerConfig({
      role: 'read',
      mutatingTaskQueue: 'ekm-mutating',
      aws: {
        accounts: {
          '111111111111': { regions: ['us-east-1', 'eu-west-1'], credentials: { profile: 'prod' } },
          '222222222222': { credentials: { roleToAssume: 'arn:aws:iam::222222222222:role/ekm-worker' } },
          '333333333333': { credentials: { accessKeyIdEnv: 'AWS_3_ID', secretAccessKeyEnv: 'AWS_3_SECRET' } },
          '444444444444': {},
        },
      },
    });
    assert.deepEqual(Object.keys(config.aws.accounts!).sort(), [
      '111111111111',
      '222222222222',
      '333333333333',
      '444444444444',
    ]);
  });

  it('refuses a malformed account, region or credentials, naming the field', function () {
    refusal({ accounts: { '1234': {} } }, /aws\.accounts\.1234: must be a 12-digit AWS account id/);
    refusal(
      { accounts: { '111111111111': { regions: ['mars'] } } },
      /aws\.accounts\.111111111111\.regions\.0: must be an AWS region/,
    );
    refusal(
      { accounts: { '111111111111': { credentials: { roleToAssume: 'ekm-worker' } } } },
      /aws\.accounts\.111111111111\.credentials\.roleToAssume: must be an IAM role ARN/,
    );
    refusal(
      { accounts: { '111111111111': { credentials: { accessKeyId: 'AKIA…' } } } },
      /aws\.accounts\.111111111111\.credentials/,
    );
  });

  it("reads the account and region from the key's ARN, the role's, or a snapshot's", function () {
    const keyArn = 'arn:aws:kms:eu-west-1:222222222222:key/k-1';
    assert.deepEqual(placeOfInput(keyArn), { account: '222222222222', region: 'eu-west-1', from: keyArn });
    assert.equal(placeOfInput({ keyArn, roleArn: 'arn:aws:iam::222222222222:role/r' })?.region, 'eu-west-1');
    assert.equal(placeOfInput({ snapshot: { key: { arn: keyArn } } })?.account, '222222222222');
    assert.deepEqual(placeOfInput({ roleArn: 'arn:aws:iam::111111111111:role/r' })?.account, '111111111111');
    assert.equal(placeOfInput('alias/ekm-demo'), undefined);
    assert.equal(placeOfInput({ workflowId: 'w', step: 's' }), undefined);
  });

  it('makes one client set per account and region, and refuses an account or region not configured', function () {
    const config = parseWorkerConfig({
      role: 'read',
      mutatingTaskQueue: 'ekm-mutating',
      aws: { endpoint: 'http://127.0.0.1:9', accounts: { '222222222222': { regions: ['eu-west-1'] } } },
    });
    const router = new AwsAccountClients(config.aws);
    const place = { account: '222222222222', region: 'eu-west-1', from: 'k' };
    assert.equal(router.clientsFor(place), router.clientsFor({ ...place }), 'cached');
    assert.throws(
      () =>
        router.clientsFor({ account: '111111111111', region: 'us-east-1', from: 'arn:…:111111111111:key/x' }),
      (err: ApplicationFailure) => {
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, /account 111111111111, which this worker is not configured for/);
        assert.match(err.message, /add "111111111111" to aws\.accounts/);
        return true;
      },
    );
    assert.throws(
      () => router.clientsFor({ ...place, region: 'us-east-1' }),
      /region us-east-1, which aws\.accounts\."222222222222"\.regions \(eu-west-1\) does not list/,
    );
  });
});
