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
import type { KeyDescription } from '../../common/keys';
import { runCli } from '../fixtures/cli';
import { startGcpWorld } from '../fixtures/gcpKms';

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

  it('reports a Cloud KMS key’s state from its primary version (the GCP fake), through `ekm key inspect`', async function () {
    const gcp = await startGcpWorld();
    try {
      const { key } = await gcp.newKey();
      // A second version made primary, then disabled: what OpenAI would encrypt with is off.
      const [version] = await gcp.kms.createCryptoKeyVersion({ parent: key, cryptoKeyVersion: {} });
      await gcp.kms.updateCryptoKeyPrimaryVersion({
        name: key,
        cryptoKeyVersionId: version.name!.split('/').pop()!,
      });
      await gcp.kms.updateCryptoKeyVersion({
        cryptoKeyVersion: { name: version.name!, state: 'DISABLED' },
        updateMask: { paths: ['state'] },
      });
      const env = await devEnvironment();
      await withWorker(
        env,
        async ({ taskQueue }) => {
          const cli = (args: string[]) =>
            runCli(['key', 'inspect', ...args, '--task-queue', taskQueue, '--json'], {
              TEMPORAL_ADDRESS: env.address,
              TEMPORAL_NAMESPACE: 'default',
            });
          const run = await cli(['--key-name', key]);
          assert.equal(run.code, 0, run.stderr);
          const described = JSON.parse(run.stdout) as KeyDescription & {
            primaryVersion: string;
            enabledVersions: string[];
          };
          assert.equal(described.provider, 'gcp');
          assert.equal(described.keyId, key);
          assert.equal(described.state, 'DISABLED');
          assert.equal(described.enabled, false);
          assert.equal(described.primaryVersion, version.name);
          assert.deepEqual(described.enabledVersions, [`${key}/cryptoKeyVersions/1`]);
          // The other cloud's flag for this cloud's key is refused before Temporal is asked.
          const mixed = await cli(['--provider', 'aws', '--key-name', key]);
          assert.equal(mixed.code, 2);
          assert.match(mixed.stderr, /--provider aws: --key-name names a key of the other cloud/);
          const missing = await cli(['--key-name', `${key}-gone`]);
          assert.equal(missing.code, 1);
          assert.match(missing.stderr, /KeyNotFound|not found/i);
        },
        { config: { gcp: { projectId: gcp.fake.projectId, endpoint: gcp.fake.address } } },
      );
    } finally {
      await gcp.close();
    }
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
