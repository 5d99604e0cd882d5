// A usage scan of a long trail (benchmark (e)'s product side), on the dev server with the real worker and
// the real CloudTrail client against the OpenAI twin's trail:
// - the worker's page cap (usage.cloudTrailMaxPages): a read stopped at it says so — in the report, the
//   run's record and its evidence — and reads no page past it; raised, the same read counts every event;
// - the worker process killed (-9) halfway through a scan: the retried read resumes from its heartbeated
//   cursor, re-reading only the few pages after the last heartbeat the server got, and counts every
//   event once. Counted in the twin (the pages it served), never timed.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { usageWorkflowId } from '../../common/usage';
import type { VerifyKeyUsageResult } from '../../providers/usageRequests';
import { startOpenAiTwin, type OpenAiTwin } from '../../sandbox/openai/twin';
import type { TrailLookup } from '../../sandbox/openai/trail';
import type { ServiceProcess } from '../../sandbox/process';
import { startWorkerProcess } from '../../sandbox/workerProcess';
import type { WorkerConfigInput } from '../../worker/config';
import { verifyKeyUsage } from '../../workflows';
import { activityEvents, waitFor } from '../fixtures/crash';
import { devEnvironment } from '../fixtures/environments';
import { assertEvidence } from '../fixtures/evidence';
import { devServer } from '../fixtures/services';
import { withWorker } from '../fixtures/worker';

const roleArn = 'arn:aws:iam::123456789012:role/ekm-usage-scan';
const newKey = () => `arn:aws:kms:us-east-1:123456789012:key/${randomUUID()}`;
// A day's window ending an hour ago (past the delivery lag); the events sit strictly inside it.
const until = Date.now() - 3_600_000;
const window = { since: new Date(until - 86_400_000).toISOString(), until: new Date(until).toISOString() };

function seed(twin: OpenAiTwin, keyArn: string, count: number): void {
  twin.trail.seed({ keyArn, roleArn, count, from: until - 86_400_000 + 1000, to: until - 1000 });
}

/** The pages the twin served (throttled answers aside), by the cursor each was asked for. */
const served = (lookups: TrailLookup[]) =>
  lookups.filter((l) => l.answer === 'page').map((l) => l.nextToken ?? 'first');

function assertCountedOnce(usage: VerifyKeyUsageResult['usage'], events: number): void {
  assert.equal(usage.truncated, false, usage.caveats.join('; '));
  assert.equal(usage.eventsScanned, events);
  assert.equal(usage.successful, events);
  assert.deepEqual(usage.operations, {
    Decrypt: { successful: events / 2, refused: 0 },
    Encrypt: { successful: events / 2, refused: 0 },
  });
}

describe('a usage scan of a long trail', function () {
  let twin: OpenAiTwin;
  before(async () => {
    twin = await startOpenAiTwin({});
  });
  after(async () => {
    await twin?.close();
  });

  it('stops at the worker’s page cap and says so in the report, the record and the evidence; raised, reads it all', async function () {
    this.timeout(180_000);
    const keyArn = newKey();
    seed(twin, keyArn, 400); // 8 pages
    const run = async (cloudTrailMaxPages: number) => {
      const from = twin.trail.lookups.length;
      let evidenceDir = '';
      const result = await withWorker(
        await devEnvironment(),
        async (ctx) => {
          evidenceDir = ctx.config.evidence.directory;
          return ctx.execute(verifyKeyUsage, {
            workflowId: usageWorkflowId(keyArn, randomUUID()),
            args: [{ provider: 'aws', keyArn, roleArn, ...window, requester: 'rita@example.com' }],
          });
        },
        { cloudTrailEndpoint: twin.url, config: { usage: { cloudTrailMaxPages } } },
      );
      const [workflowFolder] = fs.readdirSync(evidenceDir).filter((f) => !f.startsWith('.'));
      const [runFolder] = fs.readdirSync(path.join(evidenceDir, workflowFolder!));
      const evidence = assertEvidence(path.join(evidenceDir, workflowFolder!, runFolder!));
      return { result, evidence, pages: served(twin.trail.lookups.slice(from)) };
    };

    const capped = await run(3);
    assert.equal(capped.pages.length, 3, 'no page read past the cap');
    const u = capped.result.usage;
    assert.equal(u.truncated, true);
    assert.equal(u.eventsScanned, 150);
    assert.equal(u.successful, 150);
    assert.ok(
      u.caveats.some((c) =>
        /stopped at the worker's cap of 3 page\(s\) \(150 events read\).*lower bounds/.test(c),
      ),
      u.caveats.join('; '),
    );
    // The record a person reads never looks complete: its step and its end say the read stopped.
    const incomplete =
      /incomplete: the read stopped at its page cap after 150 events; the counts are lower bounds/;
    assert.match(capped.evidence.steps[0]!.summary ?? '', incomplete);
    assert.match(capped.evidence.endReason ?? '', incomplete);
    assert.equal(capped.evidence.usage?.window?.report?.truncated, true);

    const whole = await run(8);
    assert.equal(whole.pages.length, 8);
    assertCountedOnce(whole.result.usage, 400);
    assert.doesNotMatch(whole.evidence.endReason ?? '', /incomplete/);
  });

  it('the worker killed (-9) halfway: the read resumes at its heartbeated cursor and counts every event once', async function () {
    this.timeout(300_000);
    const keyArn = newKey();
    const events = 2_000; // 40 pages: 20 s at CloudTrail's 2 a second
    const pages = events / 50;
    seed(twin, keyArn, events);
    const env = await devEnvironment();
    const taskQueue = `test-usage-scan-${randomUUID()}`;
    const policy = { approvers: ['alice@example.com'], quorum: 1, deadlineSeconds: 3600 };
    const config: WorkerConfigInput = {
      taskQueue,
      sandbox: true,
      aws: { region: 'us-east-1', endpoint: 'http://127.0.0.1:9', cloudTrailEndpoint: twin.url },
      openai: { baseUrl: 'http://127.0.0.1:9/v1' },
      usage: { cloudTrailMaxPages: pages + 10 },
      quotas: { cloudTrailLookupEvents: 2 },
      approvals: {
        gates: { revoke: policy, archive: policy, deletion: policy, restore: policy, rotate: policy },
      },
      evidence: { directory: fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-evidence-')) },
      shutdownGraceSeconds: 5,
    };
    const temporalAddress = (await devServer()).address;
    const workers: ServiceProcess[] = [];
    const start = async (n: number) => {
      const worker = await startWorkerProcess({ temporalAddress, config, logName: `worker-usage-scan-${n}` });
      workers.push(worker);
      return worker;
    };
    try {
      const first = await start(1);
      const from = twin.trail.lookups.length;
      const handle = await env.client.workflow.start(verifyKeyUsage, {
        taskQueue,
        workflowId: usageWorkflowId(keyArn, randomUUID()),
        args: [{ provider: 'aws', keyArn, roleArn, ...window }],
      });
      await waitFor(
        'half the pages read',
        async () => (served(twin.trail.lookups.slice(from)).length >= pages / 2 ? true : undefined),
        { timeoutMs: 120_000, intervalMs: 50 },
      );
      process.kill(-first.child.pid!, 'SIGKILL');
      await first.exited;
      const beforeKill = served(twin.trail.lookups.slice(from)).length;
      // Let the last in-flight answer land before the new worker starts.
      await delay(500);
      await start(2);
      const result = await handle.result();

      assertCountedOnce(result.usage, events);
      const pagesServed = served(twin.trail.lookups.slice(from));
      assert.equal(new Set(pagesServed).size, pages, 'every page read');
      const readTwice = pagesServed.length - pages;
      // The server has the heartbeat of at most a second before the kill (maxHeartbeatThrottleInterval):
      // at 2 pages a second, a few pages. Before, it had the first page's only (24 s throttle): ~all of them.
      assert.ok(
        readTwice <= 5,
        `${readTwice} page(s) read twice of ${beforeKill} read before the kill: the read did not resume at its cursor`,
      );
      const read = await activityEvents(handle, 'readAwsKeyUsage');
      assert.equal(read.completed.length, 1);
      assert.ok(
        Number(read.started[0]?.activityTaskStartedEventAttributes?.attempt) >= 2,
        'a later attempt completed it',
      );
    } finally {
      for (const w of workers) await w.stop().catch(() => undefined);
    }
  });
});
