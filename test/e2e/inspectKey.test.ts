// inspectKey on the dev server against moto, through the real @aws-sdk/client-kms.
import assert from 'node:assert/strict';
import { CreateKeyCommand, DisableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { EkmError } from '../../common/errors';
import { inspectKey } from '../../workflows';
import { devEnvironment } from '../fixtures/environments';
import { moto } from '../fixtures/services';
import { withWorker } from '../fixtures/worker';

describe('inspectKey workflow', function () {
  it('reports a key’s real state from AWS KMS (moto)', async function () {
    const kms = new KMSClient({ region: 'us-east-1', endpoint: (await moto()).endpoint });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'inspect me' }));
    // moto answers 500 to DisableKey given an ARN; the bare id works (reference/cloud-kms.md).
    await kms.send(new DisableKeyCommand({ KeyId: KeyMetadata!.KeyId! }));
    const env = await devEnvironment();
    const key = await withWorker(
      env,
      ({ client, taskQueue }) =>
        client.workflow.execute(inspectKey, {
          taskQueue,
          workflowId: `inspect-${Date.now()}`,
          args: [{ provider: 'aws', key: KeyMetadata!.Arn! }],
        }),
      { aws: true },
    );
    assert.equal(key.keyId, KeyMetadata!.Arn);
    assert.equal(key.state, 'Disabled');
    assert.equal(key.enabled, false);
    assert.equal(key.manager, 'CUSTOMER');
    assert.equal(key.description, 'inspect me');
  });

  for (const [what, input, field] of [
    ['a malformed key reference', { provider: 'aws', key: 'arn:aws:s3:::bucket' }, 'key'],
    ['an unknown provider', { provider: 'oracle', key: 'alias/x' }, 'provider'],
  ] as const) {
    it(`fails at once, naming the field, on ${what}`, async function () {
      const env = await devEnvironment();
      await withWorker(env, async ({ client, taskQueue }) => {
        const run = client.workflow.execute(inspectKey, {
          taskQueue,
          workflowId: `inspect-bad-${Date.now()}`,
          args: [input as never],
        });
        await assert.rejects(run, (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError);
          assert.ok(err.cause instanceof ApplicationFailure);
          assert.equal(err.cause.type, EkmError.InvalidInput);
          assert.match(err.cause.message, new RegExp(`^${field}: `));
          return true;
        });
      });
    });
  }

  it('fails without retrying when the key does not exist', async function () {
    const env = await devEnvironment();
    await withWorker(
      env,
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(inspectKey, {
          taskQueue,
          workflowId: `inspect-missing-${Date.now()}`,
          args: [{ provider: 'aws', key: 'alias/does-not-exist' }],
        });
        await assert.rejects(handle.result(), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError);
          assert.equal((err.cause?.cause as ApplicationFailure | undefined)?.type, EkmError.KeyNotFound);
          return true;
        });
        const history = await handle.fetchHistory();
        const started = history.events!.filter((e) => e.activityTaskStartedEventAttributes);
        assert.equal(started[0]?.activityTaskStartedEventAttributes?.attempt, 1, 'one attempt, no retries');
      },
      { aws: true },
    );
  });
});
