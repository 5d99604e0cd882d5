// Which connection profiles are Temporal Cloud (where `ekm check --fix` prints tcld and calls no operator API).
import assert from 'node:assert/strict';
import { temporalCloudReason } from '../../client/temporalCloud';

describe('temporalCloudReason', function () {
  const selfHosted = { address: 'temporal.internal:7233', namespace: 'default', apiKey: false };

  it('an API key, a Cloud endpoint (mTLS or API-key host) or a Cloud namespace id is Temporal Cloud', function () {
    assert.match(temporalCloudReason({ ...selfHosted, apiKey: true })!, /API key/);
    assert.match(
      temporalCloudReason({ ...selfHosted, address: 'ekm.a1b2c.tmprl.cloud:7233' })!,
      /ekm\.a1b2c\.tmprl\.cloud is a Temporal Cloud endpoint/,
    );
    assert.match(
      temporalCloudReason({ ...selfHosted, address: 'us-east-1.aws.api.temporal.io:7233' })!,
      /Temporal Cloud endpoint/,
    );
    assert.match(temporalCloudReason({ ...selfHosted, namespace: 'ekm.a1b2c' })!, /namespace id/);
  });

  it('a self-hosted address and plain namespaces are not', function () {
    assert.equal(temporalCloudReason(selfHosted), undefined);
    assert.equal(
      temporalCloudReason({ ...selfHosted, address: '127.0.0.1:7233', namespace: 'ekm' }),
      undefined,
    );
    assert.equal(temporalCloudReason({ ...selfHosted, namespace: 'prod.payments-eu' }), undefined);
    assert.equal(temporalCloudReason({ ...selfHosted, address: 'tmprl.cloud.example.com:7233' }), undefined);
  });
});
