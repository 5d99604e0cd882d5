import assert from 'node:assert/strict';
import { describeIssues } from '../../common/keys';
import { inspectKeyInput } from '../../providers/inspectKeyInput';

const accepted = [
  'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
  'arn:aws:kms:eu-west-1:123456789012:alias/ekm-demo',
  'alias/ekm-demo',
  '1234abcd-12ab-34cd-56ef-1234567890ab',
  'mrk-1234abcd12ab34cd56ef1234567890ab',
];
const refused: [string, RegExp][] = [
  ['', /^key: is empty/],
  ['   ', /^key: is empty/],
  ['arn:aws:s3:::bucket', /^key: is not an AWS KMS key reference/],
  ['ekm-demo', /^key: is not an AWS KMS key reference/],
  ['arn:aws:kms:us-east-1:1234:key/x', /^key: is not an AWS KMS key reference/],
  ['https://evil.example/key', /^key: is not an AWS KMS key reference/],
];

describe('key references', function () {
  for (const key of accepted) {
    it(`accepts ${key}`, function () {
      assert.equal(inspectKeyInput.parse({ provider: 'aws', key }).key, key);
    });
  }
  for (const [key, message] of refused) {
    it(`refuses ${JSON.stringify(key)}, naming the field and the fix`, function () {
      const parsed = inspectKeyInput.safeParse({ provider: 'aws', key });
      assert.equal(parsed.success, false);
      assert.match(describeIssues(parsed.error!), message);
    });
  }
  it('refuses an unknown provider, naming the ones there are', function () {
    const parsed = inspectKeyInput.safeParse({ provider: 'oracle' });
    assert.equal(parsed.success, false);
    assert.equal(describeIssues(parsed.error!), 'provider: must be one of: aws, gcp');
  });

  it('takes each cloud’s own key names, and refuses the other cloud’s', function () {
    const gcpKey = 'projects/customer-project/locations/us-east1/keyRings/ekm/cryptoKeys/openai';
    assert.equal(inspectKeyInput.safeParse({ provider: 'gcp', key: gcpKey }).success, true);
    const wrongCloud = inspectKeyInput.safeParse({ provider: 'gcp', key: 'alias/ekm-demo' });
    assert.match(describeIssues(wrongCloud.error!), /^key: is not a Cloud KMS key name: give projects\//);
    const awsGiven = inspectKeyInput.safeParse({ provider: 'aws', key: gcpKey });
    assert.match(describeIssues(awsGiven.error!), /^key: is not an AWS KMS key reference/);
  });
});
