// (b) Approval → the change started: from the revoke gate's accepted vote to the revoke activity's start,
// read from each run's history. One run in flight (several, one after another) is the baseline; N runs
// approved at once are measured against it. Goals (issue 18): p50/p99 at 100 in flight ≤ 2× at 1; ≤ 100 ms
// at 1 run.
import type { WorkflowHandle } from '@temporalio/client';
import type { Benchmark, BenchContext } from '../lib/benchmark';
import { metered } from '../lib/benchmark';
import type { Check, Figure, Table } from '../lib/report';
import {
  activitiesBeforeChange,
  approvalToChangeMs,
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

const sizes = (quick: boolean) => ({ single: quick ? 5 : 20, inFlight: quick ? 20 : 100 });
const minute = 60_000;

/** Starts runs on these keys, waits for their revoke gates, approves them all at once, waits for the change. */
async function approveTogether(
  ctx: BenchContext,
  keys: DemoOrganisation[],
): Promise<{ handles: WorkflowHandle[]; ms: number[]; between: number[] }> {
  const { world } = ctx;
  const handles = await inBatches(keys, 10, (o) => startRevocation(world.client, world.taskQueue, o));
  await inBatches(handles, 10, (h) =>
    waitForStatus(h, (s) => s.openGate?.kind === 'revoke', 'the revoke gate', 10 * minute),
  );
  await Promise.all(handles.map((h) => approve(h, 'revoke', benchApprovers[0]!, minute)));
  await inBatches(handles, 10, (h) =>
    waitForStatus(h, (s) => stepState(s, 'revoke') === 'done', 'the revoke', 10 * minute),
  );
  const measured = await inBatches(handles, 10, async (h) => {
    const events = await historyOf(h);
    const value = approvalToChangeMs(events);
    if (value === undefined)
      throw new Error(`${h.workflowId}: no approval or revoke activity in its history`);
    return { ms: value, between: activitiesBeforeChange(events) };
  });
  return { handles, ms: measured.map((m) => m.ms), between: measured.map((m) => m.between) };
}

export const approvalLatency: Benchmark = {
  id: 'b',
  title: 'approval → the change started (history timestamps)',
  keysNeeded: (quick) => sizes(quick).single + sizes(quick).inFlight,
  async run(ctx) {
    const { world, quick } = ctx;
    const n = sizes(quick);
    // The cache wait is long: runs stop there once the change has started, and are ended when measured.
    await world.startWorker({ ...manyRunsSettings, cacheWaitSeconds: 3600 });
    const singleKeys = world.take(n.single);
    const manyKeys = world.take(n.inFlight);

    ctx.log(`(b) ${n.single} runs, one at a time …`);
    const single = await metered(world, `1 run in flight, ${n.single} one after another`, async () => {
      const ms: number[] = [];
      const between: number[] = [];
      for (const key of singleKeys) {
        const one = await approveTogether(ctx, [key]);
        ms.push(...one.ms);
        between.push(...one.between);
        await terminateAll(one.handles);
      }
      return { ms, between };
    });
    ctx.log(`(b) ${n.inFlight} runs approved at once …`);
    const many = await metered(world, `${n.inFlight} runs in flight, approved at once`, async () => {
      const together = await approveTogether(ctx, manyKeys);
      await terminateAll(together.handles);
      return together;
    });

    const row = (label: string, m: { ms: number[]; between: number[] }) => [
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
        ratio: ratio(p(many.value.ms, 50), p(single.value.ms, 50)),
        goal: { max: 2 },
      },
      {
        benchmark: 'b',
        name: `p99 at ${n.inFlight} in flight ÷ at 1`,
        ratio: ratio(p(many.value.ms, 99), p(single.value.ms, 99)),
        goal: { max: 2 },
      },
      {
        benchmark: 'b',
        name: 'p50 at 1 run ÷ 100 ms goal',
        ratio: ratio(p(single.value.ms, 50), 100),
        goal: { max: 1 },
      },
    ];
    const latency: Table = {
      title: 'Approval (vote Update accepted) → revoke activity started',
      columns: ['runs in flight', 'samples', 'p50', 'p99', 'max', 'activities in between (median)'],
      rows: [row('1', single.value), row(String(n.inFlight), many.value)],
      notes: [
        `At ${n.inFlight} in flight vs 1: p50 ${formatRatio(figures[0]!.ratio)}, p99 ${formatRatio(figures[1]!.ratio)} (goal ≤ 2×). ` +
          `The 1-run p50 is ${formatMs(p(single.value.ms, 50))} against the goal of 100 ms.`,
      ],
    };
    const checks: Check[] = [changedOnce(world.motoRecording, [...singleKeys, ...manyKeys])];
    return { id: 'b', title: this.title, tables: [latency, single.cpu, many.cpu], figures, checks };
  },
};
