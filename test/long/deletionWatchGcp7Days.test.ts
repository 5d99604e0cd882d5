// The deletion watchdog across a whole Cloud KMS destruction window on the time-skipping server, with the
// production defaults: an hourly poll, 15 minutes' delivery lag, alert only. The key is made with a 7-day
// destroy_scheduled_duration (Cloud KMS allows 1–120 days, fixed at creation; the fake enforces the same),
// its one version is scheduled for destruction, and the watch runs to the destroy time, continuing as new.
//
// The clock. The test server's clock is years ahead of the wall clock and skips an hour per poll in
// milliseconds; the Cloud KMS fake has a clock of its own (wall time plus an offset). Rather than a shim
// around the activities (as fixtures/deletionWatch.ts needs for moto, whose clock cannot be moved), the
// fake's clock is set once to the server's — read from a workflow's history just before, without letting
// the server's clock run (serverClock) — and only then is the 7-day key made, its destruction scheduled,
// the watch's `since` taken and the twin's use made. From then on the activities are the real ones,
// unwrapped, and the watch starts on the server seconds after `since` (the test checks it):
// - the destroy time Cloud KMS reports is on the server's clock already (scheduled at server time + 7 days),
//   so the deletion date the watch reads up to is the real one;
// - the world's seeding is stamped years before `since` (wall time), the 7-day key's Encrypt a second
//   before it; the twin's refused Decrypt a second or two after it, before the watch starts;
// - the watch's windows are plain server times and need no mapping: every entry this test makes is
//   written before the watch begins, so whichever window covers it finds it there. What the one alignment
//   cannot do is a use in the middle of the window: the fake then runs at wall speed, minutes behind the
//   server after the first skipped hour, and would stamp such a use into a window already read. Neither
//   test makes one, and nothing else uses the key while the watch runs (the watch's own Get and List
//   calls are not the Encrypt or Decrypt it counts);
// - the fake never reaches the destroy time (only minutes of wall time pass), so the versions still read
//   DESTROY_SCHEDULED at the end: the watch ends `deletion-date-passed` once it has read up to the date.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { watchWorkflowId } from '../../common/watchdog';
import { type WatchResult } from '../../providers/watchRequests';
import { watchKeyDeletion } from '../../workflows';
import { timeSkippingEnvironment } from '../fixtures/environments';
import { startGcpRevocationWorld, type GcpRevocationWorld } from '../fixtures/revoke';
import { rememberSecret } from '../fixtures/secrets';
import { call, gcpWorkloadIdentity, openAiEkmRole } from '../fixtures/twin';
import { startWebhook, type Webhook } from '../fixtures/webhook';
import { withWorker } from '../fixtures/worker';
import { durableTimer } from '../workflows/harness';

const DAY_MS = 86_400_000;
/** The twin forgets data keys after a second: an old file's read then goes to Cloud KMS. */
const ttlSeconds = 1;

/** A key OpenAI uses for one project of the world's twin: its name, the project's API key and a file. */
interface ProjectKey {
  keyName: string;
  apiKey: string;
  fileId: string;
}

/**
 * A second key in the world's ring, made with `days` of destroy_scheduled_duration (the world's own key has
 * the 30-day default, and the duration cannot change after creation), set up as the world's key is: OpenAI's
 * principal bound, registered with the twin as an external key, and a project whose batch output is sealed
 * under it.
 */
async function keyDestroyedAfter(w: GcpRevocationWorld, days: number): Promise<ProjectKey> {
  const ring = w.keyName.slice(0, w.keyName.indexOf('/cryptoKeys/'));
  const [key] = await w.gcp.kms.createCryptoKey({
    parent: ring,
    cryptoKeyId: `ekm-key-${days}d`,
    cryptoKey: { purpose: 'ENCRYPT_DECRYPT', destroyScheduledDuration: { seconds: days * 86_400 } },
  });
  const keyName = key.name!;
  const [policy] = await w.gcp.iam.getIamPolicy({ resource: keyName });
  await w.gcp.iam.setIamPolicy({
    resource: keyName,
    policy: {
      bindings: [...(policy.bindings ?? []), { role: openAiEkmRole, members: [w.principal] }],
      etag: policy.etag,
    },
  });
  const admin = async <T>(path: string, body: unknown): Promise<T> => {
    const answer = await call(w.twin.url, 'POST', path, w.adminKey, body);
    if (answer.status >= 300)
      throw new Error(`POST ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body as T;
  };
  const [, project, , location, , ringId, , keyId] = keyName.split('/');
  const external = await admin<{ id: string }>('/v1/organization/external_keys', {
    type: 'gcp',
    name: `gcp-ekm-${ringId}-${days}d`,
    workload_identity_project_number: gcpWorkloadIdentity.projectNumber,
    workload_identity_pool_id: gcpWorkloadIdentity.poolId,
    workload_identity_provider_id: gcpWorkloadIdentity.providerId,
    audience: w.twin.store.data.orgId,
    kms_project_id: project,
    kms_key_ring_name: ringId,
    kms_key_name: keyId,
    kms_key_location: location,
  });
  const created = await admin<{ id: string }>('/v1/organization/projects', {
    name: `ekm-gcp-${days}d-${ringId}`,
    external_key_id: external.id,
  });
  const account = await admin<{ api_key: { value: string } }>(
    `/v1/organization/projects/${created.id}/service_accounts`,
    { name: 'ekm-probe' },
  );
  rememberSecret(account.api_key.value);
  const file = await w.twin.ekm.storeObject(
    created.id,
    'file',
    '{"custom_id":"request-1","response":{"status_code":200,"body":{"output":"sealed under a 7-day key"}}}\n',
    { filename: 'batch_output.jsonl', purpose: 'batch_output' },
  );
  return { keyName, apiKey: account.api_key.value, fileId: file.id };
}

async function versionStates(w: GcpRevocationWorld, keyName: string): Promise<string[]> {
  const [versions] = await w.gcp.kms.listCryptoKeyVersions({ parent: keyName });
  return versions.map((v) => String(v.state)).sort();
}

function msOf(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(ts?.seconds) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);
}

/**
 * The server's clock as its workflows see it (the environment's currentTimeMs does not say): the time of a
 * workflow task, read from its history. Read without waiting for a result: while a client waits, the clock
 * runs free, and between a timer workflow's result and the next start it was seen to jump 50 hours, once 7
 * days (in the second test of this file: a timer an earlier watch left behind, presumably).
 */
async function serverClock(
  client: Client,
  taskQueue: string,
  settled: (handle: WorkflowHandle) => Promise<void>,
): Promise<number> {
  const handle = await client.workflow.start(durableTimer, {
    taskQueue,
    workflowId: `server-clock-${randomUUID()}`,
    args: ['1 day'],
  });
  try {
    await settled(handle);
    const { events } = await handle.fetchHistory();
    return msOf(events?.at(-1)?.eventTime);
  } finally {
    await handle.terminate('the clock is read').catch(() => undefined);
  }
}

interface Watched {
  result: WatchResult;
  keyName: string;
  /** When the watch's window began, on the server's (and the aligned fake's) clock. */
  since: string;
  /** How much later, on the server's clock, the watch started: seconds, unless the clock ran off in between. */
  startedAfterMs: number;
  /** The twin's answer to OpenAI's read of the old file, when the test made one. */
  readStatus?: number;
  wallMs: number;
}

/** Aligns the fake with the server, schedules the key's destruction, optionally lets OpenAI try it, watches to the end. */
async function watchDestruction(
  w: GcpRevocationWorld,
  hook: Webhook,
  days: number,
  useInWindow: boolean,
): Promise<Watched> {
  const startedAt = Date.now();
  // The production defaults: poll hourly, read what Cloud Logging has delivered (15 minutes' lag), alert only.
  const options = w.worker({
    usage: { deliveryLagSeconds: 900 },
    watchdog: { pollSeconds: 3600, cancelDeletionOnUse: false },
  });
  options.config!.notifications = { webhookUrl: hook.url };
  return withWorker(
    await timeSkippingEnvironment(),
    async ({ client, taskQueue, settled }) => {
      // 1. The fake's clock set to the server's, as its workflows see it.
      const serverNow = await serverClock(client, taskQueue, settled);
      w.gcp.fake.setClockOffset((serverNow - Date.now()) / 1000);
      // 2. The key, on that clock; its one version scheduled for destruction `days` from now.
      const key = await keyDestroyedAfter(w, days);
      const [versions] = await w.gcp.kms.listCryptoKeyVersions({ parent: key.keyName });
      for (const v of versions) await w.gcp.kms.destroyCryptoKeyVersion({ name: v.name! });
      // The seeding's Encrypt is before the watch.
      await new Promise((r) => setTimeout(r, 1100));
      const since = w.gcp.fake.now().toISOString();
      // 3. OpenAI reads the old file with its cache expired: the twin asks Cloud KMS, which refuses.
      let readStatus: number | undefined;
      if (useInWindow) {
        await new Promise((r) => setTimeout(r, ttlSeconds * 1000 + 200));
        readStatus = (await call(w.twin.url, 'GET', `/v1/files/${key.fileId}/content`, key.apiKey)).status;
      }
      // 4. The watch, to the end of the window.
      const handle = await client.workflow.start(watchKeyDeletion, {
        taskQueue,
        workflowId: watchWorkflowId(key.keyName),
        args: [{ provider: 'gcp', keyName: key.keyName, since }],
      });
      try {
        await settled(handle);
        const result = await handle.result();
        const [started] =
          (await client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).fetchHistory())
            .events ?? [];
        const startedAfterMs = msOf(started?.eventTime) - Date.parse(since);
        return {
          result,
          keyName: key.keyName,
          since,
          startedAfterMs,
          readStatus,
          wallMs: Date.now() - startedAt,
        };
      } finally {
        await handle.terminate('test cleanup').catch(() => undefined);
      }
    },
    options,
  );
}

/** The figures the long suite reports. */
function report(what: string, { result: r, wallMs, startedAfterMs }: Watched): void {
  console.log(
    `      ${what}: ${r.endState} after ${r.polls} polls in ${r.runs} runs, longest run history ${r.longestRunHistory} events; started ${(startedAfterMs / 1000).toFixed(1)} s after since; ${(wallMs / 1000).toFixed(0)} s wall`,
  );
}

/** What both watches show: the whole window read with hourly polls, continuing as new, the key still scheduled. */
async function assertWholeWindow(w: GcpRevocationWorld, days: number, watched: Watched): Promise<void> {
  const { result: r, since, keyName } = watched;
  // The fake was set to the server's clock: the watch began seconds after `since` on the server too.
  assert.ok(
    watched.startedAfterMs >= 0 && watched.startedAfterMs < 5 * 60_000,
    `the watch started ${watched.startedAfterMs / 1000} s after since on the server's clock`,
  );
  assert.ok(['deletion-date-passed', 'deleted'].includes(r.endState), `${r.endState}: ${r.reason}`);
  assert.equal(r.provider, 'gcp');
  // The deletion date is the version's destroy time: the window's start plus the key's duration.
  const window = Date.parse(r.deletionDate ?? '') - Date.parse(since);
  assert.ok(Math.abs(window - days * DAY_MS) < 60_000, `deletion date ${r.deletionDate}, since ${since}`);
  // An hourly poll over the window (the first window waits out the lag), continuing as new on the way.
  assert.ok(r.polls >= days * 24 - 2 && r.polls <= days * 24 + 2, `${r.polls} polls`);
  // Temporal warns at 10,240 events and stops a run at 51,200; each run here stays near 300.
  assert.ok(r.runs > 1 && r.longestRunHistory <= 400, `${r.runs} runs, ${r.longestRunHistory} events`);
  // Alert only: nothing restored the version.
  assert.deepEqual(await versionStates(w, keyName), ['DESTROY_SCHEDULED']);
}

describe('the deletion watchdog over a Cloud KMS destruction window (time-skipping server)', function () {
  let world: GcpRevocationWorld | undefined;
  let webhook: Webhook | undefined;
  afterEach(async () => {
    await world?.close();
    await webhook?.close();
    world = webhook = undefined;
  });

  it('watches a 7-day destroy-scheduled window to its end, alerting once on the refused use it sees', async function () {
    const w = (world = await startGcpRevocationWorld(ttlSeconds));
    webhook = await startWebhook();
    const watched = await watchDestruction(w, webhook, 7, true);
    report('7-day Cloud KMS watch, one use', watched);
    assert.notEqual(watched.readStatus, 200, 'Cloud KMS refuses a version scheduled for destruction');
    await assertWholeWindow(w, 7, watched);
    const r = watched.result;
    assert.equal(r.useCount, 1, JSON.stringify(r.uses));
    const [use] = r.uses;
    assert.equal(use?.eventName, 'Decrypt');
    assert.equal(use?.errorCode, 'FAILED_PRECONDITION');
    assert.equal(use?.principal, w.principal);
    assert.ok(
      Date.parse(use.eventTime) >= Date.parse(watched.since) &&
        Date.parse(use.eventTime) < Date.parse(r.deletionDate!),
      `${use.eventTime} is in the window`,
    );
    const alerts = webhook.received.filter((n) => n.kind === 'watchdog');
    assert.equal(alerts.length, 1, `one use, one alert: ${JSON.stringify(alerts.map((n) => n.message))}`);
    assert.match(alerts[0]!.message, /1 use\(s\) of projects\/.* while it is pending deletion.*Decrypt/);
    assert.ok(alerts[0]!.message.includes(w.principal), alerts[0]!.message);
    assert.match(
      alerts[0]!.message,
      /The deletion stays scheduled: restore its versions with Cloud KMS RestoreCryptoKeyVersion/,
    );
  });

  it('watches a 7-day window without a use to its end, and says nothing', async function () {
    const w = (world = await startGcpRevocationWorld(ttlSeconds));
    webhook = await startWebhook();
    const watched = await watchDestruction(w, webhook, 7, false);
    report('7-day Cloud KMS watch, no use', watched);
    await assertWholeWindow(w, 7, watched);
    assert.equal(watched.result.useCount, 0, JSON.stringify(watched.result.uses));
    // Data Access logging is on (the seeding's entries show it): no use and no "logging looks off" alert.
    assert.deepEqual(
      webhook.received.filter((n) => n.kind === 'watchdog').map((n) => n.message),
      [],
    );
  });
});
