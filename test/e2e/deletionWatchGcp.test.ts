// The scheduled-deletion watchdog for a Cloud KMS key, on the dev server against the Cloud KMS fake and
// the OpenAI twin: every version of the key is scheduled for destruction, OpenAI's twin then tries to open
// an old data key (its cache expired) and Cloud KMS refuses it (FAILED_PRECONDITION); the refused Decrypt
// is in Cloud Logging's Data Access log, and the watchdog alerts (a webhook) and — when configured —
// restores the versions (DISABLED). Also the revocation runbook's own deletion step on Google Cloud: the
// destruction behind its gate, and the watch it leaves running.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
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
import { recordForReplay } from '../fixtures/replay';
import {
  approvers,
  gcpRevocation,
  startGcpRevocationWorld,
  vote,
  type GcpRevocationWorld,
} from '../fixtures/revoke';
import { call } from '../fixtures/twin';
import { startWebhook, type Webhook } from '../fixtures/webhook';
import { withWorker } from '../fixtures/worker';

/** The twin forgets data keys after a second: an old file's read then goes to Cloud KMS. */
const ttlSeconds = 1;

async function versionStates(w: GcpRevocationWorld): Promise<string[]> {
  const [versions] = await w.gcp.kms.listCryptoKeyVersions({ parent: w.keyName });
  return versions.map((v) => String(v.state)).sort();
}

/** What the customer (or a revocation) does: every version DESTROY_SCHEDULED. */
async function scheduleDestruction(w: GcpRevocationWorld): Promise<void> {
  const [versions] = await w.gcp.kms.listCryptoKeyVersions({ parent: w.keyName });
  for (const v of versions) await w.gcp.kms.destroyCryptoKeyVersion({ name: v.name! });
}

/** OpenAI reads the first project's batch output with the project's key, its cache cold: the HTTP status. */
async function openAiReadsOldFile(w: GcpRevocationWorld): Promise<number> {
  await new Promise((r) => setTimeout(r, ttlSeconds * 1000 + 200));
  const [project] = w.projects;
  const answer = await call(w.twin.url, 'GET', `/v1/files/${project!.fileId}/content`, project!.apiKey);
  return answer.status;
}

describe('the scheduled-deletion watchdog (gcp)', function () {
  let world: GcpRevocationWorld | undefined;
  let webhook: Webhook | undefined;
  afterEach(async () => {
    await world?.close();
    await webhook?.close();
    world = webhook = undefined;
  });

  async function watch(
    cancelDeletionOnUse: boolean,
    dataAccessLogging: boolean,
    body: (
      w: GcpRevocationWorld,
      result: () => Promise<WatchResult>,
      handle: WorkflowHandle,
    ) => Promise<void>,
  ): Promise<void> {
    const w = (world = await startGcpRevocationWorld(ttlSeconds, { dataAccessLogging }));
    const hook = (webhook = await startWebhook());
    // The seeding's own Encrypt calls are before the watch.
    await new Promise((r) => setTimeout(r, 1100));
    const since = new Date().toISOString();
    await scheduleDestruction(w);
    const options = w.worker({ watchdog: { pollSeconds: 1, cancelDeletionOnUse } });
    options.config!.notifications = { webhookUrl: hook.url };
    await withWorker(
      await devEnvironment(),
      async ({ client, taskQueue }) => {
        const handle = await client.workflow.start(watchKeyDeletion, {
          taskQueue,
          workflowId: watchWorkflowId(w.keyName),
          args: [{ provider: 'gcp', keyName: w.keyName, since }],
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

  it('a use while the versions are scheduled for destruction: alerts, restores them (DISABLED)', async function () {
    await watch(true, true, async (w, result, handle) => {
      assert.deepEqual(await versionStates(w), ['DESTROY_SCHEDULED']);
      assert.notEqual(
        await openAiReadsOldFile(w),
        200,
        'Cloud KMS refuses a version scheduled for destruction',
      );
      const r = await result();
      assert.equal(r.endState, 'deletion-cancelled', r.reason);
      await recordForReplay(handle, 'watchKeyDeletion-deletion-cancelled-gcp');
      assert.equal(r.provider, 'gcp');
      assert.ok(r.useCount >= 1, `${r.useCount} use(s)`);
      assert.equal(r.uses[0]?.eventName, 'Decrypt');
      assert.equal(r.uses[0]?.errorCode, 'FAILED_PRECONDITION');
      assert.equal(r.uses[0]?.principal, w.principal);
      assert.ok(r.deletionDate && Date.parse(r.deletionDate) > Date.now() + 86_400_000, r.deletionDate);
      assert.deepEqual(await versionStates(w), ['DISABLED'], 'restored versions come back DISABLED');
      const alert = await webhook!.waitFor('watchdog');
      assert.match(alert.message, /use\(s\) of projects\/.* while it is pending deletion.*Decrypt/);
      assert.match(alert.message, /Cancelling the deletion/);
    });
  });

  it('alert only; Data Access logging off is said once; versions restored by someone else end the watch', async function () {
    // Cloud KMS's Data Access logs are off by default: the seeding left no entry in the project.
    await watch(false, false, async (w, result) => {
      // Several polls with logging off: one alert saying the log cannot show use, not one per poll.
      await new Promise((r) => setTimeout(r, 4000));
      const offAlerts = webhook!.received.filter((n) =>
        /Data Access audit logging looks off/.test(n.message),
      );
      assert.equal(offAlerts.length, 1, JSON.stringify(webhook!.received.map((n) => n.message)));
      w.gcp.fake.setDataAccessLogging(true);
      await openAiReadsOldFile(w);
      const alert = await waitForMessage(webhook!, /while it is pending deletion/);
      assert.match(
        alert,
        /The deletion stays scheduled: restore its versions with Cloud KMS RestoreCryptoKeyVersion/,
      );
      assert.deepEqual(await versionStates(w), ['DESTROY_SCHEDULED'], 'alert only: the destruction stays');
      const [version] = (await w.gcp.kms.listCryptoKeyVersions({ parent: w.keyName }))[0];
      await w.gcp.kms.restoreCryptoKeyVersion({ name: version!.name! });
      const r = await result();
      assert.equal(r.endState, 'cancelled-elsewhere', r.reason);
      assert.match(r.reason, /DISABLED/);
      assert.ok(r.useCount >= 1);
    });
  });

  it('the destroy time passes: the versions are DESTROYED and the watch ends "deleted"', async function () {
    await watch(false, true, async (w, result) => {
      // Cloud KMS keeps versions DESTROY_SCHEDULED for the key's duration (30 days by default).
      w.gcp.fake.advance(31 * 86400);
      const r = await result();
      assert.equal(r.endState, 'deleted', r.reason);
      assert.match(r.reason, /DESTROYED/);
      assert.deepEqual(await versionStates(w), ['DESTROYED']);
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
        const watch = client.workflow.getHandle(watchWorkflowId(w.keyName));
        try {
          const described = await watch.describe();
          assert.equal(described.status.name, 'RUNNING', 'the watch outlives the revocation');
          assert.equal(described.type, 'watchKeyDeletion');
        } finally {
          await watch.terminate('test cleanup').catch(() => undefined);
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
