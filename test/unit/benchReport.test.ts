// The benchmarks' arithmetic and writing (bench/lib): percentiles and ratios, the Markdown tables, the
// README's results section, the chart, and what the runner reads from histories and moto's recording.
// Nothing here times anything.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { chartSpec, renderChart } from '../../bench/lib/chart';
import { cpuSecondsOf, processTree } from '../../bench/lib/cpu';
import { withResults } from '../../bench/lib/readme';
import {
  cpuTable,
  figuresTable,
  resultsMarkdown,
  tableMarkdown,
  type BenchResult,
  type Figure,
} from '../../bench/lib/report';
import { medianSteps } from '../../bench/lib/breakdown';
import {
  approvalToChangeMs,
  approvalToChangeSteps,
  countHistory,
  putKeyPolicyCounts,
  recordingChunkBytes,
  resumeAfterWait,
  troubleKinds,
  troubledWorkflowTasks,
} from '../../bench/lib/runs';
import { formatRatio, meets, percentile, ratio } from '../../bench/lib/stats';
import { gathered, readResults, resultsFileOf, writeResults } from '../../bench/lib/resultsFile';
import { recordedRun } from '../../bench/benchmarks/costPerRun';
import { parseOptions } from '../../bench/run';
import { projectRoot } from '../../sandbox/paths';

const figures: Figure[] = [
  { benchmark: 'b', name: 'p99 at 100 ÷ at 1', ratio: 1.5, goal: { max: 2 } },
  { benchmark: 'b', name: 'p50 at 1 ÷ 100 ms', ratio: 3, goal: { max: 1 } },
  { benchmark: 'c', name: 'RSS parked ÷ idle', ratio: 1.2 },
  { benchmark: 'd', name: 'no baseline', ratio: Number.NaN },
];

describe('bench: percentiles and ratios', function () {
  it('takes percentiles by nearest rank, from values that occurred, without sorting the input', function () {
    const values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    assert.equal(percentile(values, 50), 5);
    assert.equal(percentile(values, 99), 10);
    assert.equal(percentile(values, 90), 9);
    assert.equal(percentile(values, 0), 1);
    assert.equal(percentile([42], 99), 42);
    assert.deepEqual(values.slice(0, 2), [10, 1]);
    assert.throws(() => percentile([], 50), /measured nothing/);
    assert.throws(() => percentile([1], 101), /use 0–100/);
  });

  it('divides by the baseline, and never shows a ratio without one', function () {
    assert.equal(ratio(300, 150), 2);
    assert.ok(Number.isNaN(ratio(1, 0)));
    assert.ok(Number.isNaN(ratio(Number.NaN, 1)));
    assert.equal(formatRatio(1.234), '1.23×');
    assert.equal(formatRatio(Number.NaN), 'n/a');
    assert.equal(meets(1.5, { max: 2 }), true);
    assert.equal(meets(3, { max: 1 }), false);
    assert.equal(meets(0.9, { min: 0.9 }), true);
    assert.equal(meets(Number.NaN, { max: 2 }), undefined);
    assert.equal(meets(1, {}), undefined);
  });
});

describe('bench: tables, results file, README section and chart', function () {
  it('writes Markdown tables with their cells escaped and every goal judged', function () {
    const md = tableMarkdown({ title: 'T', columns: ['a', 'b'], rows: [['x|y', 1.5]], notes: ['a note'] });
    assert.equal(md, '**T**\n\n| a | b |\n| --- | --- |\n| x\\|y | 1.50 |\n\na note');
    const judged = figuresTable(figures).rows.map((r) => [r[2], r[3], r[4]]);
    assert.deepEqual(judged, [
      ['1.50×', '≤ 2', 'yes'],
      ['3.00×', '≤ 1', 'NO'],
      ['1.20×', '—', '—'],
      ['n/a', '—', '—'],
    ]);
  });

  it('names the busiest process in the CPU table, and the dev server as the bottleneck when it is', function () {
    const table = cpuTable('phase', 10, [
      { process: 'ekm worker', cpuSeconds: 2, percentOfCore: 20 },
      { process: 'Temporal dev server', cpuSeconds: 9, percentOfCore: 90 },
    ]);
    assert.deepEqual(table.rows[1], ['Temporal dev server', '9.00', '90%', '82%']);
    assert.match(table.notes![0]!, /Busiest: Temporal dev server, 90% of one core .* the bottleneck/);
  });

  it('puts the chart, the ratios, the checks and every benchmark table into the results file', function () {
    const result: BenchResult = {
      id: 'b',
      title: 'approval',
      tables: [{ title: 'Latency', columns: ['p50'], rows: [['12 ms']] }],
      figures,
      checks: [{ what: 'PutKeyPolicy once', ok: false, detail: '1 key changed 2 times' }],
    };
    const md = resultsMarkdown({
      date: '2026-12-07',
      mode: 'quick',
      machine: 'busy',
      commit: 'abc1234',
      chartFile: '2026-12-07-quick.png',
      results: [result],
    });
    assert.ok(md.includes('![ratios against their baselines](2026-12-07-quick.png)'));
    assert.ok(md.includes('| b | PutKeyPolicy once | FAILED | 1 key changed 2 times |'));
    assert.ok(md.includes('## b: approval') && md.includes('**Latency**'));
  });

  it('keeps one results section in the README, replaced on every run', function () {
    const once = withResults(
      '# Benchmarks\n\ntext\n',
      'results/a.md',
      'results/a.png',
      figuresTable(figures),
    );
    const twice = withResults(once, 'results/b.md', 'results/b.png', figuresTable(figures.slice(0, 1)));
    assert.ok(twice.startsWith('# Benchmarks\n\ntext\n'));
    assert.ok(twice.includes('results/b.png') && !twice.includes('results/a.md'));
    assert.equal(twice.split('<!-- bench results').length, 2);
  });

  it('charts every finite ratio with its goal, and renders it to PNG', async function () {
    this.timeout(60_000);
    const values = (chartSpec(figures).data as { values: { figure: string; goal: number | null }[] }).values;
    assert.deepEqual(
      values.map((v) => [v.figure, v.goal]),
      [
        ['b: p99 at 100 ÷ at 1', 2],
        ['b: p50 at 1 ÷ 100 ms', 1],
        ['c: RSS parked ÷ idle', null],
      ],
    );
    const { svg, png } = await renderChart(figures);
    assert.ok(svg.includes('RSS parked'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});

describe('bench: what the runner reads', function () {
  it('counts a recorded completed revocation from its history, and finds its approval and resume', function () {
    const events =
      historyFromJSON(JSON.parse(fs.readFileSync(path.join(projectRoot, recordedRun), 'utf8'))).events ?? [];
    const counts = countHistory(events);
    assert.equal(counts.events, events.length);
    assert.ok(
      counts.activities > 0 && counts.updates === 2 && counts.childWorkflows >= 1,
      JSON.stringify(counts),
    );
    assert.ok((approvalToChangeMs(events) ?? -1) >= 0);
    // The recorded run waited 3 s for the key cache (test/fixtures/revoke.ts sandboxWorkerFor).
    const resume = resumeAfterWait(events, 3);
    assert.ok(resume?.resumedAt !== undefined && resume.resumedAt >= resume.firedAt);
  });

  it('counts failed and timed-out workflow tasks, from a time on, and by kind', function () {
    const at = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });
    const { EventType, TimeoutType, WorkflowTaskFailedCause } = temporal.api.enums.v1;
    const events = [
      { eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, eventTime: at(1_000) },
      {
        eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
        eventTime: at(2_000),
        workflowTaskTimedOutEventAttributes: { timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
      },
      {
        eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
        eventTime: at(3_000),
        workflowTaskFailedEventAttributes: {
          cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
        },
      },
      {
        eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
        eventTime: at(4_000),
        workflowTaskTimedOutEventAttributes: { timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
      },
    ] as unknown as temporal.api.history.v1.IHistoryEvent[];
    assert.equal(troubledWorkflowTasks(events), 3);
    assert.equal(troubledWorkflowTasks(events, 3_000), 2);
    assert.deepEqual(troubleKinds(events), {
      'timed out (START_TO_CLOSE)': 2,
      'failed (UNHANDLED_COMMAND)': 1,
    });
  });

  it('splits approval → change into history steps that add up to it, from the approval to the change', function () {
    const events =
      historyFromJSON(JSON.parse(fs.readFileSync(path.join(projectRoot, recordedRun), 'utf8'))).events ?? [];
    const steps = approvalToChangeSteps(events);
    assert.ok(steps.length > 2, JSON.stringify(steps));
    const total = steps.reduce((sum, s) => sum + s.ms, 0);
    assert.ok(
      Math.abs(total - approvalToChangeMs(events)!) < 0.001,
      `${total} vs ${approvalToChangeMs(events)}`,
    );
    assert.ok(steps.every((s) => s.ms >= 0));
    assert.match(steps[0]!.label, /^WorkflowExecutionUpdateAccepted → /);
    assert.match(steps.at(-1)!.label, / → ActivityTaskStarted \(revokeAwsAccess\)$/);
    assert.ok(steps.some((s) => s.label.includes('ActivityTaskStarted (snapshotAwsAccess)')));
    // The same step twice in a run is one row (summed); a step missing from a run is not counted as 0.
    const rows = medianSteps([
      [
        { label: 'a → b', ms: 1 },
        { label: 'a → b', ms: 2 },
      ],
      [
        { label: 'a → b', ms: 5 },
        { label: 'b → c', ms: 7 },
      ],
    ]);
    assert.deepEqual(rows, [
      { label: 'a → b', medianMs: 3, runs: 2 },
      { label: 'b → c', medianMs: 7, runs: 1 },
    ]);
  });

  it("counts PutKeyPolicy per key in moto's recording, whatever the body's encoding", function () {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-bench-test-')), 'rec.jsonl');
    const entry = (target: string, body: object, encoded: boolean) =>
      JSON.stringify({
        headers: { 'X-Amz-Target': target },
        body: encoded ? Buffer.from(JSON.stringify(body)).toString('base64') : JSON.stringify(body),
        body_encoded: encoded,
      });
    fs.writeFileSync(
      file,
      [
        entry('TrentService.PutKeyPolicy', { KeyId: 'k1', Policy: '{}' }, true),
        entry('TrentService.PutKeyPolicy', { KeyId: 'k1', Policy: '{}' }, false),
        entry('TrentService.PutKeyPolicy', { KeyId: 'k2', Policy: '{}' }, false),
        entry('TrentService.GetKeyPolicy', { KeyId: 'k3', PolicyName: 'PutKeyPolicy' }, false),
      ].join('\n') + '\n',
    );
    assert.deepEqual(
      [...putKeyPolicyCounts(file)],
      [
        ['k1', 2],
        ['k2', 1],
      ],
    );
  });

  it("reads moto's recording a chunk at a time: a line across a chunk's end, a character cut in two", function () {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-bench-')), 'recording.jsonl');
    const put = JSON.stringify({
      headers: { 'X-Amz-Target': 'TrentService.PutKeyPolicy' },
      body: JSON.stringify({ KeyId: 'k-é', Policy: '{}' }),
      body_encoded: false,
    });
    // A filler line (no PutKeyPolicy in it) so long that the chunk ends inside the next line, after the first
    // of the two bytes of its 'é'.
    const cut = Buffer.from(put).indexOf(Buffer.from('é'));
    const first = 'x'.repeat(recordingChunkBytes - cut - 2);
    fs.writeFileSync(file, `${first}\n${put}\n${put}`);
    assert.deepEqual([...putKeyPolicyCounts(file)], [['k-é', 2]]);
  });

  it('reads CPU from /proc: this process is in its own tree, a gone one has used nothing', function () {
    assert.ok(processTree(process.pid).includes(process.pid));
    assert.equal(cpuSecondsOf(2 ** 22 + 1), 0);
  });

  it('takes --quick, --only, --continue and --note, and names the known benchmarks on a wrong one', function () {
    assert.deepEqual(parseOptions(['--quick', '--only', 'b,f', '--note', 'busy']), {
      quick: true,
      only: ['b', 'f'],
      note: 'busy',
    });
    assert.deepEqual(parseOptions(['--only', 'a', '--continue']), {
      quick: false,
      only: ['a'],
      continue: true,
    });
    assert.throws(() => parseOptions(['--only', 'z']), /--only z: the benchmarks are f, b, c, d/);
    assert.throws(() => parseOptions(['--fast']), /unknown option --fast: use --quick/);
  });
});

describe('bench: results gathered across invocations (--continue)', function () {
  const result = (id: string, commit: string, machine: string): BenchResult => ({
    id,
    title: `benchmark ${id}`,
    tables: [],
    figures: [{ benchmark: id, name: 'x', ratio: 1 }],
    checks: [],
    commit,
    machine,
    startedAt: '2026-12-07T15:06:00.000Z',
    endedAt: '2026-12-07T16:30:00.000Z',
  });

  it('keeps the earlier benchmarks, replaces a rerun one, and orders them as the runner does', function () {
    const earlier = [result('f', 'aaa', 'm1'), result('b', 'aaa', 'm1'), result('a', 'aaa', 'm1')];
    const all = gathered(earlier, [result('a', 'bbb', 'm2')], ['f', 'b', 'c', 'a']);
    assert.deepEqual(
      all.map((r) => [r.id, r.commit]),
      [
        ['f', 'aaa'],
        ['b', 'aaa'],
        ['a', 'bbb'],
      ],
    );
    const md = resultsMarkdown({
      date: '2026-12-07',
      mode: 'full',
      machine: 'm2',
      commit: 'bbb',
      chartFile: 'c.png',
      results: all,
    });
    // Each invocation is named with the benchmarks it ran, and each benchmark with its time and commit.
    assert.ok(md.includes('f, b: commit aaa. m1'), md);
    assert.ok(md.includes('a: commit bbb. m2'), md);
    assert.ok(md.includes('Ran 15:06–16:30 UTC at commit bbb.'), md);
  });

  it('writes JSON and Markdown as prettier would (npm run lint checks them), and reads the JSON back', async function () {
    this.timeout(60_000);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-bench-'));
    fs.writeFileSync(path.join(root, 'README.md'), '# Benchmarks\n');
    const file = resultsFileOf(path.join(root, 'results'), '2026-12-07', true);
    const results = [result('f', 'aaa', 'm1'), result('a', 'bbb', 'm2')];
    await writeResults(file, { date: '2026-12-07', mode: 'quick', machine: 'm2', commit: 'bbb', results });
    const prettier = await import('prettier');
    for (const [written, parser] of [
      [file.json, 'json'],
      [file.markdown, 'markdown'],
    ] as const) {
      const text = fs.readFileSync(written, 'utf8');
      assert.ok(await prettier.check(text, { ...(await prettier.resolveConfig(written)), parser }), written);
    }
    assert.deepEqual(readResults(file), results);
    assert.ok(fs.readFileSync(path.join(root, 'README.md'), 'utf8').includes('results/2026-12-07-quick.md'));
  });

  it('reads what an earlier invocation wrote, none when there is no file, and refuses a file that is not results', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-bench-'));
    const file = resultsFileOf(dir, '2026-12-07', false);
    assert.deepEqual(readResults(file), []);
    fs.writeFileSync(file.json, JSON.stringify({ results: [result('e', 'aaa', 'm1')] }));
    assert.deepEqual(
      readResults(file).map((r) => r.id),
      ['e'],
    );
    fs.writeFileSync(file.json, '{"tables": []}');
    assert.throws(() => readResults(file), /holds no results list: move it away, or run without --continue/);
  });
});
