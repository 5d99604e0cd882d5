// (d) The worker killed (-9) while runs wait out the key cache, against a graceful restart at the same
// point: how long until each run takes its next step (from the later of the stop and its timer firing, to
// its next activity's start), with 1 run and with N; and every change still made exactly once.
import type { Benchmark, BenchContext } from '../lib/benchmark';
import { metered } from '../lib/benchmark';
import type { Figure, Table } from '../lib/report';
import {
  approveGate,
  changedOnce,
  inBatches,
  startRevocation,
  stepState,
  terminateAll,
  waitForResume,
  waitForStatus,
} from '../lib/runs';
import { formatMs, formatRatio, percentile, ratio } from '../lib/stats';
import { benchApprovers, manyRunsSettings } from '../lib/world';
import type { DemoOrganisation } from '../../sandbox/openai/demo';

const sizes = (quick: boolean) => [1, quick ? 20 : 100];
const minute = 60_000;
type Stop = 'graceful' | 'kill -9';

interface Outcome {
  nextStepMs: number[];
  restartMs: number;
}

/** Parks runs at the cache wait, stops the worker (gracefully or not), starts a new one, times each run's next step. */
async function stopMidWait(ctx: BenchContext, keys: DemoOrganisation[], how: Stop): Promise<Outcome> {
  const { world } = ctx;
  // Long enough for every run to park before the stop; the timers then fire while the new worker runs.
  const cacheWaitSeconds = Math.max(30, Math.ceil(keys.length * 1.5));
  const settings = { ...manyRunsSettings, cacheWaitSeconds };
  await world.startWorker(settings);
  const handles = await inBatches(keys, 10, (o) => startRevocation(world.client, world.taskQueue, o));
  const atGate = await inBatches(handles, 10, (h) =>
    waitForStatus(h, (s) => s.openGate?.kind === 'revoke', 'the revoke gate', 10 * minute),
  );
  await Promise.all(handles.map((h, i) => approveGate(h, atGate[i]!.openGate!, benchApprovers[0]!)));
  await inBatches(handles, 10, (h) =>
    waitForStatus(
      h,
      (s) => ['running', 'done'].includes(stepState(s, 'cache-wait') ?? ''),
      'the cache wait',
      10 * minute,
    ),
  );
  const stoppedAt = Date.now();
  if (how === 'kill -9') await world.killWorker();
  else await world.worker!.stop();
  // startWorker stops the previous worker first: after a kill there is nothing left to stop.
  await world.startWorker(settings);
  const restartMs = Date.now() - stoppedAt;
  await inBatches(handles, 10, (h) =>
    waitForStatus(
      h,
      (s) => !['pending', undefined].includes(stepState(s, 'probes')),
      'the probes',
      cacheWaitSeconds * 1000 + 10 * minute,
    ),
  );
  const nextStepMs = await inBatches(handles, 10, async (h) => {
    const r = await waitForResume(h, cacheWaitSeconds, 10 * minute);
    return r.resumedAt - Math.max(r.firedAt, stoppedAt);
  });
  await terminateAll(handles);
  return { nextStepMs, restartMs };
}

export const workerKill: Benchmark = {
  id: 'd',
  title: 'kill -9 of the worker mid-wait vs a graceful restart',
  keysNeeded: (quick) => 2 * sizes(quick).reduce((a, b) => a + b, 0),
  async run(ctx) {
    const { world, quick } = ctx;
    const rows: Table['rows'] = [];
    const figures: Figure[] = [];
    const cpuTables: Table[] = [];
    const revoked: DemoOrganisation[] = [];
    for (const n of sizes(quick)) {
      const outcome: Partial<Record<Stop, Outcome>> = {};
      for (const how of ['graceful', 'kill -9'] as const) {
        const keys = world.take(n);
        revoked.push(...keys);
        ctx.log(`(d) ${n} run(s), ${how} …`);
        const m = await metered(world, `${n} run(s), worker stopped (${how}) mid-wait`, () =>
          stopMidWait(ctx, keys, how),
        );
        outcome[how] = m.value;
        cpuTables.push(m.cpu);
        rows.push([
          String(n),
          how,
          formatMs(m.value.restartMs),
          formatMs(percentile(m.value.nextStepMs, 50)),
          formatMs(percentile(m.value.nextStepMs, 99)),
        ]);
      }
      figures.push({
        benchmark: 'd',
        name: `next step p99 after kill -9 ÷ graceful, ${n} run(s)`,
        ratio: ratio(
          percentile(outcome['kill -9']!.nextStepMs, 99),
          percentile(outcome.graceful!.nextStepMs, 99),
        ),
      });
    }
    const table: Table = {
      title: 'Worker stopped while runs wait out the key cache: time to each run’s next step',
      columns: ['runs', 'stop', 'stop → new worker polling', 'next step p50', 'next step p99'],
      rows,
      notes: [
        'Next step: from the later of the stop and the run’s timer firing, to its next activity’s start. ' +
          figures.map((f) => `${f.name}: ${formatRatio(f.ratio)}`).join('; ') +
          '.',
      ],
    };
    return {
      id: 'd',
      title: this.title,
      tables: [table, ...cpuTables],
      figures,
      checks: [changedOnce(world.motoRecording, revoked)],
    };
  },
};
