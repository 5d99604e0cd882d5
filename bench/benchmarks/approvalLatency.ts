// (b) Approval → the change started: from the revoke gate's accepted vote to the revoke activity's start,
// read from each run's history. Goals (issue 18): p50/p99 at 100 in flight ≤ 2× at 1; ≤ 100 ms at 1 run.
//
// What "N runs in flight" means here (bench/README.md): N runs are started and all wait at their revoke
// gates; the approvals then arrive one at a time, at a steady rate (as people approve), while the other
// runs are open — waiting at their gates, or past their change, validating or parked at the cache wait.
// The goal is that the other runs' presence does not slow an approval. The baseline is the same with one
// run in flight (several, one after another). A burst — N runs approved at the same instant — is measured
// too, on runs of its own, and reported without a goal: it puts N fresh reads (each with a live validate
// through OpenAI) in flight at once by construction.
import type { WorkflowHandle } from '@temporalio/client';
import type { Benchmark, BenchContext } from '../lib/benchmark';
import { metered } from '../lib/benchmark';
import { medianSteps, type Step } from '../lib/breakdown';
import type { Check, Figure, Table } from '../lib/report';
import {
  activitiesBeforeChange,
  approvalToChangeMs,
  approvalToChangeSteps,
  approve,
  changedOnce,
  historyOf,
  inBatches,
  startRevocation,
  stepState,
  terminateAll,
  waitForStatus,
} from '../lib/runs';
import { formatMs, formatRatio, percentile, ratio } from '../lib/stats';
import { benchApprovers, manyRunsSettings } from '../lib/world';
import type { DemoOrganisation } from '../../sandbox/openai/demo';

const sizes = (quick: boolean) => ({ single: quick ? 10 : 20, inFlight: quick ? 20 : 100 });
/** One approval every this many ms in the steady phase: faster than people approve, slower than a burst. */
const steadyIntervalMs = 500;
const minute = 60_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Measured {
  ms: number[];
  between: number[];
  steps: Step[][];
}

/** Starts a run on each key and waits until every one waits at its revoke gate. */
async function startAtGate(ctx: BenchContext, keys: DemoOrganisation[]): Promise<WorkflowHandle[]> {
  const { world } = ctx;
  const handles = await inBatches(keys, 10, (o) => startRevocation(world.client, world.taskQueue, o));
  await inBatches(handles, 10, (h) =>
    waitForStatus(h, (s) => s.openGate?.kind === 'revoke', 'the revoke gate', 10 * minute),
  );
  return handles;
}

/** Waits for each run's change to have started and reads the measurements from its history. */
async function measure(handles: WorkflowHandle[]): Promise<Measured> {
  await inBatches(handles, 10, (h) =>
    waitForStatus(h, (s) => stepState(s, 'revoke') === 'done', 'the revoke', 10 * minute),
  );
  const measured = await inBatches(handles, 10, async (h) => {
    const events = await historyOf(h);
    const value = approvalToChangeMs(events);
    if (value === undefined)
      throw new Error(`${h.workflowId}: no approval or revoke activity in its history`);
    return { ms: value, between: activitiesBeforeChange(events), steps: approvalToChangeSteps(events) };
  });
  return {
    ms: measured.map((m) => m.ms),
    between: measured.map((m) => m.between),
    steps: measured.map((m) => m.steps),
  };
}

const approveRevoke = (h: WorkflowHandle) => approve(h, 'revoke', benchApprovers[0]!, minute);

/** N runs at their gates, approved one every `steadyIntervalMs` (each approval answered before the next). */
async function approveSteadily(ctx: BenchContext, keys: DemoOrganisation[]): Promise<Measured> {
  const handles = await startAtGate(ctx, keys);
  for (const h of handles) {
    const next = pause(steadyIntervalMs);
    await approveRevoke(h);
    await next;
  }
  const measured = await measure(handles);
  await terminateAll(handles);
  return measured;
}

/** N runs at their gates, every approval sent at once. */
async function approveAtOnce(ctx: BenchContext, keys: DemoOrganisation[]): Promise<Measured> {
  const handles = await startAtGate(ctx, keys);
  await Promise.all(handles.map(approveRevoke));
  const measured = await measure(handles);
  await terminateAll(handles);
  return measured;
}

export const approvalLatency: Benchmark = {
  id: 'b',
  title: 'approval → the change started (history timestamps)',
  // One more run warms the worker up first (its first run loads the workflow bundle, opens connections).
  keysNeeded: (quick) => 1 + sizes(quick).single + 2 * sizes(quick).inFlight,
  async run(ctx) {
    const { world, quick } = ctx;
    const n = sizes(quick);
    // The cache wait is long: runs stop there once the change has started, and are ended when measured.
    await world.startWorker({ ...manyRunsSettings, cacheWaitSeconds: 3600 });
    const warmUpKey = world.take(1);
    const singleKeys = world.take(n.single);
    const steadyKeys = world.take(n.inFlight);
    const burstKeys = world.take(n.inFlight);

    ctx.log('(b) a run to warm the worker up (not measured) …');
    await approveSteadily(ctx, warmUpKey);
    ctx.log(`(b) ${n.single} runs, one at a time …`);
    const single = await metered(world, `1 run in flight, ${n.single} one after another`, async () => {
      const all: Measured = { ms: [], between: [], steps: [] };
      for (const key of singleKeys) {
        const one = await approveSteadily(ctx, [key]);
        all.ms.push(...one.ms);
        all.between.push(...one.between);
        all.steps.push(...one.steps);
      }
      return all;
    });
    ctx.log(`(b) ${n.inFlight} runs in flight, approved one every ${steadyIntervalMs} ms …`);
    const steady = await metered(
      world,
      `${n.inFlight} runs in flight, approved one every ${steadyIntervalMs} ms`,
      () => approveSteadily(ctx, steadyKeys),
    );
    ctx.log(`(b) ${n.inFlight} runs approved at once (burst) …`);
    const burst = await metered(world, `${n.inFlight} runs in flight, approved at once`, () =>
      approveAtOnce(ctx, burstKeys),
    );

    const row = (label: string, m: Measured) => [
      label,
      m.ms.length,
      formatMs(percentile(m.ms, 50)),
      formatMs(percentile(m.ms, 99)),
      formatMs(Math.max(...m.ms)),
      percentile(m.between, 50),
    ];
    const p = (ms: number[], q: number) => percentile(ms, q);
    const figures: Figure[] = [
      {
        benchmark: 'b',
        name: `p50 at ${n.inFlight} in flight ÷ at 1`,
        ratio: ratio(p(steady.value.ms, 50), p(single.value.ms, 50)),
        goal: { max: 2 },
      },
      {
        benchmark: 'b',
        name: `p99 at ${n.inFlight} in flight ÷ at 1`,
        ratio: ratio(p(steady.value.ms, 99), p(single.value.ms, 99)),
        goal: { max: 2 },
      },
      {
        benchmark: 'b',
        name: 'p50 at 1 run ÷ 100 ms goal',
        ratio: ratio(p(single.value.ms, 50), 100),
        goal: { max: 1 },
      },
      {
        benchmark: 'b',
        name: `p50, ${n.inFlight} approved at once ÷ at 1`,
        ratio: ratio(p(burst.value.ms, 50), p(single.value.ms, 50)),
      },
    ];
    const latency: Table = {
      title: 'Approval (vote Update accepted) → revoke activity started',
      columns: ['runs in flight', 'samples', 'p50', 'p99', 'max', 'activities in between (median)'],
      rows: [
        row('1', single.value),
        row(`${n.inFlight}, one approval every ${steadyIntervalMs} ms`, steady.value),
        row(`${n.inFlight}, all approved at once (burst)`, burst.value),
      ],
      notes: [
        `At ${n.inFlight} in flight vs 1: p50 ${formatRatio(figures[0]!.ratio)}, p99 ${formatRatio(figures[1]!.ratio)} (goal ≤ 2×). ` +
          `The 1-run p50 is ${formatMs(p(single.value.ms, 50))} against the goal of 100 ms. ` +
          `The burst (no goal): p50 ${formatRatio(figures[3]!.ratio)} the 1-run p50.`,
      ],
    };
    const stepRows = new Map<string, (string | number)[]>();
    const phases = [single.value, steady.value, burst.value];
    phases.forEach((m, i) => {
      for (const s of medianSteps(m.steps)) {
        const cells = stepRows.get(s.label) ?? [s.label, '—', '—', '—'];
        cells[i + 1] = formatMs(s.medianMs);
        stepRows.set(s.label, cells);
      }
    });
    const breakdown: Table = {
      title: 'Where the time goes: each step between the approval and the change, median per run',
      columns: ['from → to (history events)', '1 run', `${n.inFlight} steady`, `${n.inFlight} burst`],
      rows: [...stepRows.values()],
      notes: [
        'A workflow task scheduled → started is the wait for the worker to pick it up; started → completed is ' +
          'the workflow code; an activity scheduled → started is the wait for a slot or poller (0 when ' +
          'dispatched eagerly with the workflow task); started → completed is the activity itself.',
      ],
    };
    const checks: Check[] = [
      changedOnce(world.motoRecording, [...warmUpKey, ...singleKeys, ...steadyKeys, ...burstKeys]),
    ];
    return {
      id: 'b',
      title: this.title,
      tables: [latency, breakdown, single.cpu, steady.cpu, burst.cpu],
      figures,
      checks,
    };
  },
};
