// (e) A usage scan of a long audit trail at the quota layer's rate: `ekm usage`'s workflow (verifyKeyUsage)
// reads 20,000 CloudTrail events of one key (quick: 4,000) from the twin's trail, which answers
// ThrottlingException past the rate of `cloudtrail:LookupEvents`, with the worker's own bucket set to the
// same rate, as a deployment sets it to its account's quota. Against the bound — the rate × 50 events a
// page — it measures events a second; the run's history length against a scan of a tenth of the window;
// and a scan whose worker is killed (-9) midway: the pages read twice once it resumes from its heartbeated
// cursor. Every scan must count every seeded event exactly once.
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { usageWorkflowId } from '../../common/usage';
import { cloudTrailPageSize } from '../../providers/aws/activities/keyUsage';
import type { VerifyKeyUsageInput, VerifyKeyUsageResult } from '../../providers/usageRequests';
import type { TrailLookup } from '../../sandbox/openai/trail';
import type { verifyKeyUsage } from '../../workflows';
import type { Benchmark, BenchContext } from '../lib/benchmark';
import { metered } from '../lib/benchmark';
import type { Check, Figure, Table } from '../lib/report';
import { eventTimeMs } from '../lib/breakdown';
import { historyOf } from '../lib/runs';
import { formatRatio, ratio } from '../lib/stats';
import { testRevokeSettings, type BenchWorld } from '../lib/world';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The events of the long scan: the 20,000 (400 pages); quick, 4,000 (80 pages). */
const eventsOf = (quick: boolean) => (quick ? 4_000 : 20_000);
/**
 * CloudTrail's published LookupEvents quota, 2 a second per account and Region, unscaled: 400 pages take
 * 200 s, a few minutes, so the size needs no scaling (a scale would keep the ratio).
 */
const layerRate = 2;
const minute = 60_000;

interface Scan {
  events: number;
  result: VerifyKeyUsageResult;
  history: HistoryEvent[];
  /** The read's activity: scheduled → completed, from the history's timestamps. */
  readMs: number;
  /** Workflow started → closed. */
  runMs: number;
  /** The attempt that completed the read (1 unless it was retried: after the kill, 2). */
  attempt: number;
  /** LookupEvents calls the twin's trail answered during the scan (the layer's refusals never reach it). */
  lookups: TrailLookup[];
  /** The quota layer's ledger for the scan: every LookupEvents call, and those it refused. */
  layer: { calls: number; throttled: number };
}

/** The twin's quota layer (sandbox/quota/), spoken to at its control surface. */
async function layer(world: BenchWorld, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${world.twinUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** The layer's counts of LookupEvents since its last reset. */
async function layerCounts(world: BenchWorld): Promise<{ calls: number; throttled: number }> {
  const calls = (await layer(world, 'GET', '/_sandbox/calls')) as {
    actions: Record<string, { calls: number; throttled: number }>;
  };
  return calls.actions['cloudtrail:LookupEvents'] ?? { calls: 0, throttled: 0 };
}

/** `count` past Encrypt/Decrypt calls by the role on a key of their own, inside [from, to]. */
async function seedTrail(world: BenchWorld, keyArn: string, roleArn: string, count: number, window: Window) {
  const res = await fetch(`${world.twinUrl}/_twin/trail/seed`, {
    method: 'POST',
    headers: { authorization: `Bearer ${world.adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      keyArn,
      roleArn,
      count,
      // A second inside each end: the scan's window holds exactly these events.
      from: new Date(Date.parse(window.since) + 1000).toISOString(),
      to: new Date(Date.parse(window.until) - 1000).toISOString(),
    }),
  });
  if (!res.ok) throw new Error(`seeding the trail: HTTP ${res.status} ${await res.text()}`);
}

interface Window {
  since: string;
  until: string;
}

function eventOf(events: HistoryEvent[], type: temporal.api.enums.v1.EventType): HistoryEvent | undefined {
  return events.find((e) => e.eventType === type);
}

/** Runs one scan of `count` fresh events on a key of their own; `midway` acts while it pages. */
async function scan(
  ctx: BenchContext,
  roleArn: string,
  count: number,
  midway?: (handle: WorkflowHandle<typeof verifyKeyUsage>, lookupsFrom: number) => Promise<void>,
): Promise<Scan> {
  const { world } = ctx;
  // A key of its own per scan (in the seeded key's account and region): its trail holds exactly what
  // this scan seeds, so the counts can be checked against it. CloudTrail needs no key to exist.
  const keyArn = `arn:aws:kms:us-east-1:${roleArn.split(':')[4]}:key/${randomUUID()}`;
  // A day's window ending an hour ago: past CloudTrail's delivery lag, inside its 90 days.
  const until = Date.now() - 3_600_000;
  const window = { since: new Date(until - 86_400_000).toISOString(), until: new Date(until).toISOString() };
  await seedTrail(world, keyArn, roleArn, count, window);
  const lookupsFrom = (await world.trailLookups()).length;
  await layer(world, 'DELETE', '/_sandbox/calls');
  const input: VerifyKeyUsageInput = {
    provider: 'aws',
    keyArn,
    roleArn,
    ...window,
    requester: 'bench@example.com',
  };
  const started = Date.now();
  const handle = await world.client.workflow.start<typeof verifyKeyUsage>('verifyKeyUsage', {
    taskQueue: world.taskQueue,
    workflowId: usageWorkflowId(keyArn, randomUUID()),
    args: [input],
    workflowExecutionTimeout: '30m',
  });
  if (midway) await midway(handle, lookupsFrom);
  const result = await handle.result();
  const runMs = Date.now() - started;
  const history = await historyOf(handle);
  const scheduled = eventOf(history, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
  const read = history.filter(
    (e) =>
      Number(
        e.activityTaskCompletedEventAttributes?.scheduledEventId ??
          e.activityTaskStartedEventAttributes?.scheduledEventId,
      ) === Number(scheduled?.eventId),
  );
  const completed = read.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
  const startedEvent = read.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED);
  if (!scheduled || !completed) throw new Error(`the scan of ${keyArn} has no completed trail read`);
  return {
    events: count,
    result,
    history,
    readMs: eventTimeMs(completed) - eventTimeMs(scheduled),
    runMs,
    attempt: startedEvent?.activityTaskStartedEventAttributes?.attempt ?? 1,
    lookups: await world.trailLookups(lookupsFrom),
    layer: await layerCounts(world),
  };
}

/** Pages served (throttled answers aside) and how many of them were served before: read twice. */
function pagesOf(lookups: TrailLookup[]): { served: number; distinct: number; throttled: number } {
  const served = lookups.filter((l) => l.answer === 'page').map((l) => l.nextToken ?? 'first');
  return {
    served: served.length,
    distinct: new Set(served).size,
    throttled: lookups.filter((l) => l.answer === 'throttled').length,
  };
}

/** Every seeded event counted once: as many successful uses as seeded, half each operation, read whole. */
function countedOnce(what: string, s: Scan): Check {
  const u = s.result.usage;
  const half = s.events / 2;
  const ok =
    u.successful === s.events &&
    u.refused === 0 &&
    u.eventsScanned === s.events &&
    u.operations.Encrypt?.successful === half &&
    u.operations.Decrypt?.successful === half &&
    !u.truncated;
  return {
    what: `${what}: every one of the ${s.events} seeded events counted once`,
    ok,
    detail:
      `successful ${u.successful}, refused ${u.refused}, scanned ${u.eventsScanned}, ` +
      `Encrypt ${u.operations.Encrypt?.successful ?? 0}, Decrypt ${u.operations.Decrypt?.successful ?? 0}, ` +
      `truncated ${u.truncated}`,
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export const usageScan: Benchmark = {
  id: 'e',
  title: 'usage scan of a long audit trail at the quota layer’s rate',
  keysNeeded: () => 1,
  async run(ctx) {
    const { world, quick } = ctx;
    const events = eventsOf(quick);
    const pages = Math.ceil(events / cloudTrailPageSize);
    const roleArn = world.take(1)[0]!.aws.roleArn;
    // The worker reads at the layer's rate and may read the whole window (its page cap raised past it).
    await world.startWorker(testRevokeSettings, {
      quotas: { cloudTrailLookupEvents: layerRate },
      usage: { cloudTrailMaxPages: pages + 10 },
    });
    await layer(world, 'DELETE', '/_sandbox/calls');
    await layer(world, 'POST', '/_sandbox/quota', {
      enabled: true,
      scale: 1,
      rates: { 'cloudtrail:LookupEvents': layerRate },
    });
    const bound = layerRate * cloudTrailPageSize; // events a second
    const rows: Table['rows'] = [];
    const cpuTables: Table[] = [];
    const checks: Check[] = [];
    const row = (label: string, s: Scan, note = '') => {
      const p = pagesOf(s.lookups);
      rows.push([
        label,
        String(s.events),
        String(p.served),
        String(p.served - p.distinct),
        String(s.layer.throttled + p.throttled),
        seconds(s.readMs),
        `${(s.events / (s.readMs / 1000)).toFixed(1)}`,
        formatRatio(s.events / (s.readMs / 1000) / bound),
        String(s.history.length),
        `${s.attempt}${note}`,
      ]);
    };
    try {
      ctx.log(`(e) a scan of ${events} events (${pages} pages) at ${layerRate} LookupEvents a second …`);
      const long = await metered(world, `scan of ${events} events`, () => scan(ctx, roleArn, events));
      cpuTables.push(long.cpu);
      row('whole window', long.value);
      checks.push(countedOnce('the scan', long.value));

      const short = events / 10;
      ctx.log(`(e) a scan of a tenth of the events (${short}) for the history's length …`);
      const tenth = await scan(ctx, roleArn, short);
      row('a tenth of the window', tenth);
      checks.push(countedOnce('the short scan', tenth));

      ctx.log(`(e) a scan of ${events} events whose worker is killed (-9) halfway …`);
      let killedAt = 0;
      let pagesBeforeKill = 0;
      const killed = await metered(world, `scan of ${events} events, worker killed halfway`, () =>
        scan(ctx, roleArn, events, async (_handle, from) => {
          const deadline = Date.now() + 10 * minute;
          for (;;) {
            const served = pagesOf(await world.trailLookups(from)).served;
            if (served >= pages / 2) break;
            if (Date.now() > deadline) throw new Error(`the scan read ${served} pages in 10 minutes`);
            await new Promise((r) => setTimeout(r, 200));
          }
          await world.killWorker();
          killedAt = Date.now();
          pagesBeforeKill = pagesOf(await world.trailLookups(from)).served;
          await world.startWorker(testRevokeSettings, {
            quotas: { cloudTrailLookupEvents: layerRate },
            usage: { cloudTrailMaxPages: pages + 10 },
          });
        }),
      );
      cpuTables.push(killed.cpu);
      const afterKill = killed.value.lookups.filter((l) => l.at > killedAt && l.answer === 'page');
      const resumedAfterMs = afterKill.length ? afterKill[0]!.at - killedAt : Number.NaN;
      row('worker killed (-9) halfway', killed.value, ` (resumed ${seconds(resumedAfterMs)} after the kill)`);
      checks.push(countedOnce('the scan whose worker was killed', killed.value));
      const twice = pagesOf(killed.value.lookups);
      checks.push({
        what: 'the killed scan resumed from its heartbeated cursor (a later attempt completed it)',
        ok: killed.value.attempt > 1 && twice.distinct === pages,
        detail: `attempt ${killed.value.attempt}; ${twice.distinct} distinct pages of ${pages}; ${pagesBeforeKill} read before the kill`,
      });

      // The layer's own ledger: it was on, and every call it admitted reached the trail (it is in the path).
      const quota = (await layer(world, 'GET', '/_sandbox/quota')) as { enabled: boolean; scale: number };
      const scans = [long.value, tenth, killed.value];
      const sum = (f: (s: Scan) => number) => scans.reduce((n, s) => n + f(s), 0);
      const layerCalls = sum((s) => s.layer.calls);
      const layerThrottled = sum((s) => s.layer.throttled);
      checks.push({
        what: `the quota layer was on at ${layerRate} LookupEvents a second, in the path of every page`,
        ok: quota.enabled && layerCalls - layerThrottled === sum((s) => s.lookups.length),
        detail: `enabled ${quota.enabled}, scale ${quota.scale}; cloudtrail:LookupEvents ${layerCalls} calls, ${layerThrottled} throttled; the trail answered ${sum((s) => s.lookups.length)}`,
      });
      const figures: Figure[] = [
        {
          benchmark: 'e',
          name: `events/s ÷ the bound (${layerRate} pages/s × ${cloudTrailPageSize}), ${events} events`,
          ratio: ratio(events / (long.value.readMs / 1000), bound),
          goal: { min: 0.9 },
        },
        {
          benchmark: 'e',
          name: `history events, ${events}-event window ÷ a tenth of it`,
          ratio: ratio(long.value.history.length, tenth.history.length),
          goal: { max: 1 },
        },
        {
          benchmark: 'e',
          name: 'pages read twice after kill -9 ÷ pages read before it',
          ratio: ratio(twice.served - twice.distinct, pagesBeforeKill),
          goal: { max: 0.1 },
        },
      ];
      const table: Table = {
        title: `Usage scan (ekm usage, verifyKeyUsage) at ${layerRate} LookupEvents a second: the bound is ${bound} events/s`,
        columns: [
          'scan',
          'events',
          'pages served',
          'read twice',
          'throttled',
          'trail read',
          'events/s',
          '÷ bound',
          'history events',
          'attempt',
        ],
        rows,
        notes: [
          `The trail read: its activity's ActivityTaskScheduled → ActivityTaskCompleted in the run's history; the whole run took ${seconds(long.value.runMs)} for the whole window. ` +
            `Bound: the quota layer's ${layerRate} LookupEvents a second × ${cloudTrailPageSize} events a page (the twin throttles past it; the worker's bucket, quotas.cloudTrailLookupEvents, is set to the same rate). ` +
            `Throttled: ThrottlingException answers (the layer's ledger; the SDK retried each). Read twice: pages the twin served more than once. ` +
            `After the kill the server retries the read once its heartbeat timeout (30 s) passes; ${pagesBeforeKill} pages had been read before it.`,
          figures.map((f) => `${f.name}: ${formatRatio(f.ratio)}`).join('; ') + '.',
        ],
      };
      return { id: 'e', title: this.title, tables: [table, ...cpuTables], figures, checks };
    } finally {
      // The other benchmarks run with the layer counting only.
      await layer(world, 'POST', '/_sandbox/quota', { enabled: false });
    }
  },
};
