// The scheduled-deletion watchdog on the dev server, on each cloud: the key's deletion is scheduled (AWS:
// ScheduleKeyDeletion; Google Cloud: every version DESTROY_SCHEDULED), OpenAI's twin then tries to open an
// old data key (its cache cold) and the cloud refuses it; the refused Decrypt reaches the cloud's log of
// key use (the twin's CloudTrail feed; Cloud Logging's Data Access log), and the watchdog alerts (a
// webhook) and — when configured — cancels the deletion. Per-cloud facts: test/fixtures/providers/
// deletionWatch.ts. Google Cloud alone: the destroy time passing (the fake's clock moves, moto's does
// not), and the revocation runbook's own deletion step (the AWS one is in revokeKey.test.ts).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { folderFor } from '../../activities/evidence/store';
import { keyWorkflowId } from '../../common/workflowIds';
import type { RunStatus } from '../../providers/runStatus';
import { watchWorkflowId } from '../../common/watchdog';
import { type WatchResult } from '../../providers/watchRequests';
import { revokeKey } from '../../workflows/revokeKey';
import { watchKeyDeletion } from '../../workflows';
import { devEnvironment } from '../fixtures/environments';
import { assertEvidence } from '../fixtures/evidence';
import {
  deletionWatchProviders,
  gcpDeletionWatch,
  versionStates,
  type DeletionWatchProvider,
  type WatchedKeyWorld,
} from '../fixtures/providers/deletionWatch';
import { recordForReplay } from '../fixtures/replay';
import {
  approvers,
  gcpRevocation,
  startGcpRevocationWorld,
  vote,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
import { startWebhook, type Webhook } from '../fixtures/webhook';
import { withWorker } from '../fixtures/worker';

for (const p of deletionWatchProviders)
  describe(`the scheduled-deletion watchdog (${p.provider})`, function () {
    const watch = watchOn(p);
    afterEach(() => watch.close());

    it('a use while pending deletion: alerts, cancels the deletion, and the key stays out of use', async function () {
      await watch.run({ cancelDeletionOnUse: true, logUse: true }, async (w, webhook, result, handle) => {
        assert.deepEqual(await w.deletionState(), p.pending);
        assert.notEqual(await w.openAiReadsOldFile(), 200, 'the cloud refuses a key pending deletion');
        const r = await result();
        assert.equal(r.endState, 'deletion-cancelled', r.reason);
        await recordForReplay(handle, p.replayName);
        assert.equal(r.provider, p.provider);
        assert.ok(r.useCount >= p.uses.min && r.useCount <= p.uses.max, `${r.useCount} use(s)`);
        assert.equal(r.uses[0]?.eventName, 'Decrypt');
        assert.equal(r.uses[0]?.errorCode, p.refusal);
        assert.equal(r.uses[0]?.principal, w.principal);
        assert.ok(r.deletionDate && Date.parse(r.deletionDate) > Date.now() + 86_400_000, r.deletionDate);
        assert.deepEqual(await w.deletionState(), p.cancelledOnUse, 'the key comes back out of use');
        const alert = await webhook.waitFor('watchdog');
        assert.match(alert.message, p.useAlert);
        assert.match(alert.message, /Cancelling the deletion/);
      });
    });

    it('alert only when not configured to cancel; a deletion cancelled by someone else ends the watch', async function () {
      // With the log of use off where the cloud has one to turn off (Google Cloud's Data Access logs).
      await watch.run({ cancelDeletionOnUse: false, logUse: false }, async (w, webhook, result) => {
        // Quiet polls first: no alert while nobody uses the key, but for a log that cannot show use —
        // said once, not once per poll.
        await delay(4000);
        const quiet = p.quietAlertsWithLogOff;
        assert.equal(
          webhook.received.length,
          quiet.length,
          JSON.stringify(webhook.received.map((n) => n.message)),
        );
        quiet.forEach((pattern, i) => assert.match(webhook.received[i]!.message, pattern));
        w.logUse();
        await w.openAiReadsOldFile();
        const alert = await waitForMessage(webhook, /while it is pending deletion/);
        assert.match(alert, new RegExp(`The deletion stays scheduled: ${p.manualCancel}`));
        assert.deepEqual(await w.deletionState(), p.pending, 'alert only: the deletion stays scheduled');
        await w.cancelDeletionElsewhere();
        const r = await result();
        assert.equal(r.endState, 'cancelled-elsewhere', r.reason);
        assert.match(r.reason, p.cancelledElsewhere);
        assert.ok(r.useCount >= p.uses.min && r.useCount <= p.uses.max, `${r.useCount} use(s)`);
      });
    });
  });

// What only Google Cloud has here: a destroy time the test can pass (moto's clock cannot move), and the
// runbook's GCP deletion step.
describe('the scheduled-deletion watchdog (gcp only)', function () {
  const watch = watchOn(gcpDeletionWatch);
  let world: GcpRevocationWorld | undefined;
  afterEach(async () => {
    await watch.close();
    await world?.close();
    world = undefined;
  });

  it('the destroy time passes: the versions are DESTROYED and the watch ends "deleted"', async function () {
    await watch.run({ cancelDeletionOnUse: false, logUse: true }, async (w, _webhook, result) => {
      // Cloud KMS keeps versions DESTROY_SCHEDULED for the key's duration (30 days by default).
      w.seeded.gcp.fake.advance(31 * 86400);
      const r = await result();
      assert.equal(r.endState, 'deleted', r.reason);
      assert.match(r.reason, /DESTROYED/);
      assert.deepEqual(await versionStates(w.seeded), ['DESTROYED']);
    });
  });

  it('the runbook’s deletion step: every version scheduled behind the deletion gate, and watched', async function () {
    const w = (world = await startGcpRevocationWorld(2));
    const request = { ...gcpRevocation.request(w, 'remove-binding'), deleteAfterDays: 30 };
    const worker = w.worker();
    const status = await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(revokeKey, {
          taskQueue,
          workflowId: keyWorkflowId(w.keyName),
          args: [request],
        });
        await vote(handle, 'revoke', approvers[0]!);
        await vote(handle, 'archive', approvers[1]!);
        const gate = await vote(handle, 'deletion', approvers[0]!);
        assert.match(JSON.stringify(gate), /deletion/);
        const result = (await handle.result()) as RunStatus;
        await recordForReplay(handle, 'revokeKey-completed-gcp-deletion-watched');
        const watched = client.workflow.getHandle(watchWorkflowId(w.keyName));
        try {
          const described = await watched.describe();
          assert.equal(described.status.name, 'RUNNING', 'the watch outlives the revocation');
          assert.equal(described.type, 'watchKeyDeletion');
        } finally {
          await watched.terminate('test cleanup').catch(() => undefined);
        }
        return result;
      },
      worker,
    );
    assert.equal(status.endState, 'completed', status.endReason);
    const deletion = status.steps.find((s) => s.step === 'deletion')!;
    assert.equal(deletion.state, 'done', deletion.summary);
    assert.match(deletion.summary ?? '', /scheduled for destruction/);
    assert.equal(status.deletionWatch?.workflowId, watchWorkflowId(w.keyName));
    assert.ok(status.deletionWatch?.runId, 'the watch started (not an earlier one)');
    // The old key's versions are all waiting for destruction; the replacement's are not touched.
    assert.deepEqual(await versionStates(w), ['DESTROY_SCHEDULED']);
    const folder = path.join(worker.evidenceDir, folderFor(keyWorkflowId(w.keyName)));
    const [runDir] = fs.readdirSync(folder);
    const evidence = assertEvidence(path.join(folder, runDir!));
    assert.equal(evidence.deletionWatch?.workflowId, watchWorkflowId(w.keyName));
  });
});

/**
 * A watch of one cloud's key: a fresh world and webhook per test, the key's deletion scheduled after the
 * watch's `since`, and the watch terminated when the body is done (`close` after each test ends the world).
 */
function watchOn<W extends WatchedKeyWorld>(p: DeletionWatchProvider<W>) {
  let world: W | undefined;
  let webhook: Webhook | undefined;
  return {
    async run(
      options: { cancelDeletionOnUse: boolean; logUse: boolean },
      body: (
        w: W,
        webhook: Webhook,
        result: () => Promise<WatchResult>,
        handle: WorkflowHandle,
      ) => Promise<void>,
    ): Promise<void> {
      const w = (world = await p.start({ logUse: options.logUse }));
      const hook = (webhook = await startWebhook());
      const since = new Date().toISOString();
      await w.scheduleDeletion();
      const worker = w.worker({
        watchdog: { pollSeconds: 1, cancelDeletionOnUse: options.cancelDeletionOnUse },
      });
      worker.config!.notifications = { webhookUrl: hook.url };
      await withWorker(
        await devEnvironment(),
        async ({ client, taskQueue }) => {
          const handle = await client.workflow.start(watchKeyDeletion, {
            taskQueue,
            workflowId: w.watchId,
            args: [w.watchInput(since)],
          });
          try {
            await body(w, hook, () => handle.result(), handle);
          } finally {
            await handle.terminate('test over').catch(() => undefined);
          }
        },
        worker,
      );
    },
    async close(): Promise<void> {
      await world?.close();
      await webhook?.close();
      world = webhook = undefined;
    },
  };
}

async function waitForMessage(hook: Webhook, pattern: RegExp, timeoutMs = 60_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = hook.received.find((n) => pattern.test(n.message));
    if (found) return found.message;
    if (Date.now() > until)
      throw new Error(`no notification matching ${pattern} (got ${JSON.stringify(hook.received)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
