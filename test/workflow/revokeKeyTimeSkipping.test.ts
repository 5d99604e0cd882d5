// The revocation's long waits, unshortened, on the time-skipping server: the default one-hour cache wait
// (the worker's configuration does not shorten it) and a gate that nobody answers, which must fail closed
// at its deadline after a reminder. Activities are real: moto and the OpenAI twin (whose own cache TTL is
// 1 s of wall time, since the twin does not see the test server's clock).
import assert from 'node:assert/strict';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import type { WorkflowHandle } from '@temporalio/client';
import { keyWorkflowId, roleLockWorkflowId } from '../../common/workflowIds';
import type { RunStatus } from '../../providers/runStatus';
import { revokeKey } from '../../workflows/revokeKey';
import { timeSkippingEnvironment } from '../fixtures/environments';
import { approvers, awsScenario, sandboxWorker, vote, waitForStatus } from '../fixtures/revoke';
import { call, type TwinWorld } from '../fixtures/twin';
import { startWebhook } from '../fixtures/webhook';
import { withWorker } from '../fixtures/worker';

const HOUR_MS = 3_600_000;

describe('revokeKey on the time-skipping server', function () {
  let world: TwinWorld | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  /** A run left open — or its role lock — would hold the shared clock for every later test. */
  async function endLeftover(handle: WorkflowHandle, roleArn: string): Promise<void> {
    await handle.terminate('test cleanup').catch(() => undefined);
    const env = await timeSkippingEnvironment();
    await env.client.workflow
      .getHandle(roleLockWorkflowId(roleArn))
      .terminate('test cleanup')
      .catch(() => undefined);
  }

  it('waits the default hour for OpenAI’s cache, unshortened, and completes', async function () {
    const w = (world = await awsScenario.world('disable-key', 1));
    const request = awsScenario.request(w, 'disable-key');
    const options = sandboxWorker(w, { revoke: { cacheWaitSeconds: undefined, probeWindowSeconds: 600 } });
    const env = await timeSkippingEnvironment();
    const status = await withWorker(
      env,
      async ({ client, taskQueue, settled }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(request.keyArn),
          args: [request],
        });
        try {
          await vote(handle, 'revoke', approvers[0]!, 'approve', { unsigned: true });
          await waitForStatus(handle, (s) => s.stage === 'cache-wait', 'the cache wait');
          await env.sleep(HOUR_MS + 60_000); // the server's clock moves on; the workflow's timer fires
          await vote(handle, 'archive', approvers[1]!, 'approve', { unsigned: true });
          await settled(handle);
          return (await handle.result()) as RunStatus;
        } finally {
          await endLeftover(handle, request.roleArn);
        }
      },
      options,
    );
    assert.equal(status.endState, 'completed', status.endReason);
    assert.equal(status.settings?.cacheWaitSeconds, 3600);
    const waited = Date.parse(status.cacheWait!.endedAt!) - Date.parse(status.cacheWait!.startedAt);
    assert.ok(waited >= HOUR_MS, `the run saw ${waited} ms pass in its cache wait`);
  });

  it('a gate nobody answers reminds at half-time and fails closed at its deadline: nothing changed', async function () {
    const w = (world = await awsScenario.world('disable-key', 1));
    const request = awsScenario.request(w, 'disable-key');
    const webhook = await startWebhook();
    const options = sandboxWorker(w, { deadlineSeconds: 2 * 86400 });
    options.config!.notifications = { webhookUrl: webhook.url };
    const env = await timeSkippingEnvironment();
    try {
      const status = await withWorker(
        env,
        async ({ client, taskQueue, settled }) => {
          const handle = await client.workflow.start(revokeKey, {
            taskQueue,
            workflowId: keyWorkflowId(request.keyArn),
            args: [request],
          });
          try {
            await waitForStatus(handle, (s) => s.openGate?.kind === 'revoke', 'the revoke gate');
            await settled(handle);
            return (await handle.result()) as RunStatus;
          } finally {
            await endLeftover(handle, request.roleArn);
          }
        },
        options,
      );
      assert.equal(status.endState, 'expired');
      assert.equal(status.gates[0]?.decision, 'expired');
      const kinds = webhook.received.map((n) => n.kind);
      assert.deepEqual(kinds, ['reminder', 'expired']);
      const key = await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }));
      assert.equal(key.KeyMetadata?.KeyState, 'Enabled');
      const validate = await call(
        w.twin.url,
        'POST',
        `/v1/organization/external_keys/${request.externalKeyId}/validate`,
        w.demo.openai.adminKey,
      );
      assert.equal(validate.status, 200);
    } finally {
      await webhook.close();
    }
  });
});
