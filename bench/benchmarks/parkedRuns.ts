// (c) Many runs parked at the cache wait, their timers firing together: no server errors; the worker's
// memory per parked run against the idle worker; the resume p99 (timer fired → next activity started)
// against that of 10 runs parked the same way.
import * as fs from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import type { Benchmark, BenchContext } from '../lib/benchmark';
import { metered } from '../lib/benchmark';
import { rssKiB } from '../lib/cpu';
import type { Figure, Table } from '../lib/report';
import {
  approveGate,
  queryRetries,
  changedOnce,
  inBatches,
  startRevocation,
  stepState,
  terminateAll,
  troubleKinds,
  troubledWorkflowTasks,
  waitForResume,
  waitForStatus,
} from '../lib/runs';
import { formatMs, formatRatio, percentile, ratio } from '../lib/stats';
import { benchApprovers, manyRunsSettings, type BenchWorld } from '../lib/world';
import type { DemoOrganisation } from '../../sandbox/openai/demo';

const sizes = (quick: boolean) => ({ baseline: 10, parked: quick ? 100 : 1000 });
const minute = 60_000;

/** Error lines the dev server logged from `offset` to `end` (it logs at warn and above). */
function serverErrorsSince(world: BenchWorld, offset: number, end?: number): number {
  const log = fs.readFileSync(world.temporal.logFile, 'utf8').slice(offset, end);
  return log.split('\n').filter((l) => /"level":"(error|fatal|panic)"|\blevel=(error|fatal|panic)\b/i.test(l))
    .length;
}

const logSize = (world: BenchWorld) => fs.statSync(world.temporal.logFile).size;

const kindsOf = (kinds: Record<string, number>) =>
  Object.entries(kinds)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ') || 'none';

interface Parked {
  handles: WorkflowHandle[];
  rssParkedKiB: number;
  rssIdleKiB: number;
  parkedWhenMeasured: number;
  resumeMs: number[];
  fireSpreadMs: number;
  /** Failed or timed-out workflow tasks while the runs started and parked, and once the first timer fired. */
  troubledTasks: { parking: number; firing: number };
  /** Those tasks by kind (timeout type or failure cause), over both phases. */
  troubleKinds: Record<string, number>;
  /** Where the dev server's log stood when every run was parked (the timers fire after it). */
  parkedLogOffset: number;
  clientErrors: number;
  /** Status queries the worker did not answer before their deadline, asked again. */
  queryRetries: number;
}

/** Parks runs on these keys at the cache wait (long enough for all to arrive), then lets the timers fire. */
async function park(ctx: BenchContext, keys: DemoOrganisation[]): Promise<Parked> {
  const { world } = ctx;
  // Every run must be parked before the first timer fires: the wait grows with the number of runs.
  const cacheWaitSeconds = Math.max(30, Math.ceil(keys.length * 1.5));
  await world.startWorker({ ...manyRunsSettings, cacheWaitSeconds });
  await new Promise((r) => setTimeout(r, 2000));
  const rssIdleKiB = rssKiB(world.worker!.child.pid!);
  let clientErrors = 0;
  const retriesBefore = queryRetries.count;
  const counted = <T>(p: Promise<T>) =>
    p.catch((err: unknown) => {
      clientErrors++;
      throw err;
    });
  const handles = await inBatches(keys, 10, (o) =>
    counted(startRevocation(world.client, world.taskQueue, o)),
  );
  const atGate = await inBatches(handles, 10, (h) =>
    counted(waitForStatus(h, (s) => s.openGate?.kind === 'revoke', 'the revoke gate', 20 * minute)),
  );
  // Every approval at once, each on the gate its run showed: a thousand status queries at that moment
  // would only measure the queries.
  await Promise.all(handles.map((h, i) => counted(approveGate(h, atGate[i]!.openGate!, benchApprovers[0]!))));
  const arrived = await inBatches(handles, 10, (h) =>
    counted(
      waitForStatus(
        h,
        (s) => ['running', 'done'].includes(stepState(s, 'cache-wait') ?? ''),
        'the cache wait',
        20 * minute,
      ),
    ),
  );
  const rssParkedKiB = rssKiB(world.worker!.child.pid!);
  // The RSS is read once every run has arrived; a run whose wait had already ended by then is not parked.
  const parkedWhenMeasured = arrived.filter((s) => stepState(s, 'cache-wait') === 'running').length;
  const parkedLogOffset = logSize(world);
  ctx.log(`(c) ${keys.length} runs parked; waiting for their timers …`);
  await inBatches(handles, 10, (h) =>
    counted(
      waitForStatus(
        h,
        (s) => stepState(s, 'probes') !== 'pending' && stepState(s, 'probes') !== undefined,
        'the probes',
        cacheWaitSeconds * 1000 + 20 * minute,
      ),
    ),
  );
  const resumes = await inBatches(handles, 10, (h) => waitForResume(h, cacheWaitSeconds, 10 * minute));
  const histories = resumes.map((r) => r.events);
  const fired = resumes.map((r) => r.firedAt);
  const firstFired = Math.min(...fired);
  const troubled = (since?: number) =>
    histories.reduce((sum, events) => sum + troubledWorkflowTasks(events, since), 0);
  return {
    handles,
    rssIdleKiB,
    rssParkedKiB,
    parkedWhenMeasured,
    resumeMs: resumes.map((r) => r.resumedAt - r.firedAt),
    fireSpreadMs: Math.max(...fired) - Math.min(...fired),
    troubledTasks: { parking: troubled() - troubled(firstFired), firing: troubled(firstFired) },
    troubleKinds: histories.reduce<Record<string, number>>(
      (kinds, events) => troubleKinds(events, kinds),
      {},
    ),
    parkedLogOffset,
    clientErrors,
    queryRetries: queryRetries.count - retriesBefore,
  };
}

export const parkedRuns: Benchmark = {
  id: 'c',
  title: 'runs parked at the cache wait, timers firing together',
  keysNeeded: (quick) => sizes(quick).baseline + sizes(quick).parked,
  async run(ctx) {
    const { world, quick } = ctx;
    const n = sizes(quick);
    const baselineKeys = world.take(n.baseline);
    const parkedKeys = world.take(n.parked);
    const logOffset = logSize(world);
    ctx.log(`(c) ${n.baseline} runs parked (baseline) …`);
    const base = await metered(world, `${n.baseline} runs parked and resumed`, () => park(ctx, baselineKeys));
    const baselineErrors = serverErrorsSince(world, logOffset);
    await terminateAll(base.value.handles);
    const parkedOffset = logSize(world);
    ctx.log(`(c) ${n.parked} runs parked …`);
    const many = await metered(world, `${n.parked} runs parked and resumed`, () => park(ctx, parkedKeys));
    // Counted up to here: ending the measured runs is the benchmark's cleanup, not the timers firing.
    const serverErrors = serverErrorsSince(world, parkedOffset);
    const parkingErrors = serverErrorsSince(world, parkedOffset, many.value.parkedLogOffset);
    const firingErrors = serverErrors - parkingErrors;
    const cleanupOffset = logSize(world);
    await terminateAll(many.value.handles);
    const cleanupErrors = serverErrorsSince(world, cleanupOffset);

    const perRunKiB = (p: Parked) => (p.rssParkedKiB - p.rssIdleKiB) / Math.max(1, p.parkedWhenMeasured);
    const figures: Figure[] = [
      {
        benchmark: 'c',
        name: `resume p99, ${n.parked} parked ÷ ${n.baseline} parked`,
        ratio: ratio(percentile(many.value.resumeMs, 99), percentile(base.value.resumeMs, 99)),
      },
      {
        benchmark: 'c',
        name: `worker RSS with ${n.parked} parked ÷ idle`,
        ratio: ratio(many.value.rssParkedKiB, many.value.rssIdleKiB),
      },
    ];
    const row = (label: string, p: Parked, count: number) => [
      label,
      formatMs(percentile(p.resumeMs, 50)),
      formatMs(percentile(p.resumeMs, 99)),
      formatMs(p.fireSpreadMs),
      `${(p.rssIdleKiB / 1024).toFixed(0)} MiB`,
      `${(p.rssParkedKiB / 1024).toFixed(0)} MiB (${p.parkedWhenMeasured}/${count} parked)`,
      `${perRunKiB(p).toFixed(0)} KiB`,
      `${p.troubledTasks.parking}, ${p.troubledTasks.firing}`,
      p.clientErrors,
      p.queryRetries,
    ];
    const table: Table = {
      title: 'Parked at the cache wait: resume (timer fired → next activity started) and worker memory',
      columns: [
        'runs',
        'resume p50',
        'resume p99',
        'timers fired within',
        'worker RSS idle',
        'RSS parked',
        'RSS per parked run',
        'failed/timed-out workflow tasks (while parking, after the timers fired)',
        'client errors',
        'status queries unanswered in 30 s (asked again)',
      ],
      rows: [row(String(n.baseline), base.value, n.baseline), row(String(n.parked), many.value, n.parked)],
      notes: [
        `Dev server error lines while the runs were parked and resumed: ${baselineErrors} with ${n.baseline}, ${serverErrors} with ${n.parked} (goal: 0) — ${parkingErrors} while they started and parked, ${firingErrors} once they were all parked and their timers fired; ` +
          `while the ${n.parked} measured runs were then terminated at once (the benchmark's cleanup, 20 at a time): ${cleanupErrors}. Resume p99 at ${n.parked} vs ${n.baseline}: ${formatRatio(figures[0]!.ratio)}; ` +
          `worker RSS ${formatRatio(figures[1]!.ratio)} of the idle worker (${perRunKiB(many.value).toFixed(0)} KiB per parked run). ` +
          `Failed or timed-out workflow tasks by kind, ${n.parked} runs: ${kindsOf(many.value.troubleKinds)}.`,
      ],
    };
    const { troubledTasks, clientErrors } = many.value;
    const checks = [
      changedOnce(world.motoRecording, [...baselineKeys, ...parkedKeys]),
      {
        what: `no server errors while ${n.parked} runs parked`,
        ok: parkingErrors === 0 && troubledTasks.parking === 0 && clientErrors === 0,
        detail: `${parkingErrors} dev-server error lines, ${troubledTasks.parking} failed/timed-out workflow tasks, ${clientErrors} client errors`,
      },
      {
        what: 'no server errors while the timers fired',
        ok: firingErrors === 0 && troubledTasks.firing === 0,
        detail: `${firingErrors} dev-server error lines, ${troubledTasks.firing} failed/timed-out workflow tasks`,
      },
    ];
    return { id: 'c', title: this.title, tables: [table, base.cpu, many.cpu], figures, checks };
  },
};
