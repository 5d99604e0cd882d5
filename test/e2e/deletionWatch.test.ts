// The scheduled-deletion watchdog on the dev server: the seeded key is scheduled for deletion, OpenAI's
// twin then tries to use it (its cache cold) and is refused by KMS; the refused Decrypt reaches the twin's
// CloudTrail feed, and the watchdog alerts (a webhook) and — when configured — cancels the deletion.
import assert from 'node:assert/strict';
import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { WatchResult } from '../../providers/watchRequests';
import { watchWorkflowId } from '../../common/watchdog';
import { watchKeyDeletion } from '../../workflows';
import type { WorkflowHandle } from '@temporalio/client';
import { devEnvironment } from '../fixtures/environments';
import { recordForReplay } from '../fixtures/replay';
import { sandboxWorker } from '../fixtures/revoke';
import { openAiReadsOldFile, startTwinWorld, type TwinWorld } from '../fixtures/twin';
import { startWebhook, type Webhook } from '../fixtures/webhook';
import { withWorker } from '../fixtures/worker';

async function keyState(w: TwinWorld): Promise<string | undefined> {
  return (await w.kms.send(new DescribeKeyCommand({ KeyId: w.demo.aws.keyId }))).KeyMetadata?.KeyState;
}

describe('the scheduled-deletion watchdog (aws)', function () {
  let world: TwinWorld | undefined;
  let webhook: Webhook | undefined;
  afterEach(async () => {
    await world?.close();
    await webhook?.close();
    world = webhook = undefined;
  });

  async function watch(
    cancelDeletionOnUse: boolean,
    body: (w: TwinWorld, result: () => Promise<WatchResult>, handle: WorkflowHandle) => Promise<void>,
  ): Promise<void> {
    const w = (world = await startTwinWorld());
    const hook = (webhook = await startWebhook());
    const since = new Date().toISOString();
    await w.kms.send(new ScheduleKeyDeletionCommand({ KeyId: w.demo.aws.keyId, PendingWindowInDays: 7 }));
    const options = sandboxWorker(w, { watchdog: { pollSeconds: 1, cancelDeletionOnUse } });
    options.config!.notifications = { webhookUrl: hook.url };
    await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(watchKeyDeletion, {
          taskQueue,
          workflowId: watchWorkflowId(w.demo.aws.keyArn),
          args: [{ provider: 'aws', keyArn: w.demo.aws.keyArn, since }],
        });
        try {
          await body(w, () => handle.result(), handle);
        } finally {
          await handle.terminate('test over').catch(() => undefined);
        }
      },
      options,
    );
  }

  it('a use while pending deletion: alerts, cancels the deletion, and the key stays disabled', async function () {
    await watch(true, async (w, result, handle) => {
      assert.equal(await keyState(w), 'PendingDeletion');
      assert.notEqual(
        await openAiReadsOldFile(w, { coldCache: true }),
        200,
        'KMS refuses a key pending deletion',
      );
      const r = await result();
      assert.equal(r.endState, 'deletion-cancelled', r.reason);
      await recordForReplay(handle, 'watchKeyDeletion-deletion-cancelled');
      assert.equal(r.useCount, 1);
      assert.equal(r.uses[0]?.eventName, 'Decrypt');
      assert.equal(r.uses[0]?.errorCode, 'KMSInvalidStateException');
      assert.equal(r.uses[0]?.principal, w.demo.aws.roleArn);
      assert.equal(await keyState(w), 'Disabled', 'KMS leaves a key whose deletion is cancelled disabled');
      const alert = await webhook!.waitFor('watchdog');
      assert.match(alert.message, /1 use\(s\) of .* while it is pending deletion.*Decrypt/);
    });
  });

  it('alert only when not configured to cancel; a deletion cancelled by someone else ends the watch', async function () {
    await watch(false, async (w, result) => {
      // Quiet polls first: no alert while nobody uses the key.
      await new Promise((r) => setTimeout(r, 3000));
      assert.deepEqual(webhook!.received, []);
      await openAiReadsOldFile(w, { coldCache: true });
      const alert = await webhook!.waitFor('watchdog');
      assert.match(alert.message, /The deletion stays scheduled/);
      assert.equal(await keyState(w), 'PendingDeletion', 'alert only: the deletion stays scheduled');
      await w.kms.send(new CancelKeyDeletionCommand({ KeyId: w.demo.aws.keyId }));
      const r = await result();
      assert.equal(r.endState, 'cancelled-elsewhere', r.reason);
      assert.equal(r.useCount, 1);
    });
  });
});
