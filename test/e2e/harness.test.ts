// The harness on the dev server: a workflow calls activities that create (the harness's own createKey, which
// no product worker registers) and describe (the product's) a key in moto through @aws-sdk/client-kms; the
// dev server registers the ekm search attributes at start.
import assert from 'node:assert/strict';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ekmSearchAttributes } from '../../common/searchAttributes';
import { devEnvironment } from '../fixtures/environments';
import { moto } from '../fixtures/services';
import { withWorker } from '../fixtures/worker';
import { createAndDescribeKey } from '../workflows/harness';

describe('dev server + moto', function () {
  it('runs a workflow whose activities create and describe a KMS key in moto', async function () {
    const env = await devEnvironment();
    const { created, described } = await withWorker(
      env,
      ({ execute }) =>
        execute(createAndDescribeKey, { workflowId: `create-describe-${Date.now()}`, args: [] }),
      { aws: true, harnessActivities: true },
    );
    assert.match(created.keyId, /^arn:aws:kms:us-east-1:\d{12}:key\//);
    assert.deepEqual(described, created);
    assert.equal(described.state, 'Enabled');
    // The key really is in moto, seen by a client of the test's own.
    const kms = new KMSClient({ region: 'us-east-1', endpoint: (await moto()).endpoint });
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: created.keyId }));
    assert.equal(KeyMetadata?.Description, 'ekm harness test key');
  });

  it('has every ekm search attribute registered, with its type', async function () {
    const env = await devEnvironment();
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    for (const key of ekmSearchAttributes) {
      assert.ok(customAttributes?.[key.name] !== undefined, `${key.name} is registered`);
    }
  });
});
