// (f) What one completed revocation costs in Temporal's terms — events, activities, workflow tasks,
// timers, child workflows (and actions, by docs/actions.md's rule once its counter is plugged in) — on
// today's code, against a recorded completed run of the same method (test/replay), counted the same way.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { Benchmark } from '../lib/benchmark';
import { metered } from '../lib/benchmark';
import { actionsOf } from '../lib/actions';
import type { Check, Figure, Table } from '../lib/report';
import {
  approve,
  changedOnce,
  countHistory,
  historyOf,
  startRevocation,
  type HistoryCounts,
} from '../lib/runs';
import { formatRatio, percentile, ratio } from '../lib/stats';
import { benchApprovers, testRevokeSettings } from '../lib/world';
import { projectRoot } from '../../sandbox/paths';
import type { RunStatus } from '../../providers/runStatus';

const runs = (quick: boolean) => (quick ? 3 : 10);
const minute = 60_000;
/** The recorded completed run of the same method the benchmarks revoke with (key-policy-deny). */
export const recordedRun = 'test/replay/revokeKey-completed-key-policy-deny.json';

export const costPerRun: Benchmark = {
  id: 'f',
  title: 'events, activities (and actions) per completed revocation',
  keysNeeded: runs,
  async run(ctx) {
    const { world, quick } = ctx;
    const keys = world.take(runs(quick));
    await world.startWorker(testRevokeSettings);
    ctx.log(`(f) ${keys.length} revocations to their end, one after another …`);
    const measured = await metered(
      world,
      `${keys.length} completed revocations, one after another`,
      async () => {
        const done: { counts: HistoryCounts; actions?: number; status: RunStatus }[] = [];
        for (const key of keys) {
          const handle = await startRevocation(world.client, world.taskQueue, key);
          await approve(handle, 'revoke', benchApprovers[0]!, 5 * minute);
          await approve(handle, 'archive', benchApprovers[1]!, 5 * minute);
          const status = (await handle.result()) as RunStatus;
          const events = await historyOf(handle);
          done.push({ counts: countHistory(events), actions: actionsOf(events), status });
        }
        return done;
      },
    );
    const recordedEvents =
      historyFromJSON(JSON.parse(fs.readFileSync(path.join(projectRoot, recordedRun), 'utf8'))).events ?? [];
    const recorded = countHistory(recordedEvents);
    const median = (pick: (c: HistoryCounts) => number) =>
      percentile(
        measured.value.map((d) => pick(d.counts)),
        50,
      );
    const kinds: [string, (c: HistoryCounts) => number][] = [
      ['events', (c) => c.events],
      ['activities', (c) => c.activities],
      ['workflow tasks', (c) => c.workflowTasks],
      ['timers', (c) => c.timers],
      ['child workflows', (c) => c.childWorkflows],
      ['updates', (c) => c.updates],
    ];
    const actions = measured.value.map((d) => d.actions);
    const actionsToday = actions.every((a) => a !== undefined)
      ? percentile(actions as number[], 50)
      : undefined;
    const actionsRecorded = actionsOf(recordedEvents);
    const table: Table = {
      title: `Per completed revocation (key-policy-deny; median of ${keys.length}) vs the recorded run ${path.basename(recordedRun)}`,
      columns: ['count', 'today', 'recorded', 'today ÷ recorded'],
      rows: [
        ...kinds.map(([name, pick]) => [
          name,
          median(pick),
          pick(recorded),
          formatRatio(ratio(median(pick), pick(recorded))),
        ]),
        [
          'actions',
          actionsToday ?? 'not counted',
          actionsRecorded ?? 'not counted',
          actionsToday !== undefined && actionsRecorded
            ? formatRatio(ratio(actionsToday, actionsRecorded))
            : '—',
        ],
      ],
      notes: [
        'Actions follow the counting rule in docs/actions.md (bench/actions.ts). ' +
          'Goal (issue 18, item 4): actions cut by ≥ 40% against the code before cheaper-runs, i.e. today ÷ recorded ≤ 0.6.',
      ],
    };
    const figures: Figure[] = [
      ...kinds.slice(0, 2).map(([name, pick]) => ({
        benchmark: 'f',
        name: `${name} per revocation, today ÷ recorded`,
        ratio: ratio(median(pick), pick(recorded)),
      })),
      ...(actionsToday !== undefined && actionsRecorded
        ? [
            {
              benchmark: 'f',
              name: 'actions per revocation, today ÷ recorded',
              ratio: ratio(actionsToday, actionsRecorded),
              goal: { max: 0.6 },
            },
          ]
        : []),
    ];
    const projects = await world.projects();
    const archived = keys
      .flatMap((k) => k.openai.projects)
      .filter((p) => projects.find((q) => q.id === p.id)?.status === 'archived').length;
    const replacementCounts = measured.value.map(
      (d) =>
        projects.filter(
          (p) => p.externalKeyId === d.status.replacement?.externalKeyId && p.status === 'active',
        ).length,
    );
    const checks: Check[] = [
      changedOnce(world.motoRecording, keys),
      {
        what: `every run completed, its projects archived once and replaced once (the twin), ${keys.length} runs`,
        ok:
          measured.value.every((d) => d.status.endState === 'completed') &&
          archived === keys.length * 2 &&
          replacementCounts.every((n) => n === 2),
        detail: `end states ${[...new Set(measured.value.map((d) => d.status.endState))].join('/')}; ${archived}/${keys.length * 2} projects archived; replacement projects per run: ${replacementCounts.join(', ')}`,
      },
    ];
    return { id: 'f', title: this.title, tables: [table, measured.cpu], figures, checks };
  },
};
