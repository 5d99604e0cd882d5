// What a benchmark hands back (tables, the ratios it stands on, the exactly-once checks) and how the run's
// results file is written: Markdown tables, the chart beside it, printed as written.
import * as os from 'node:os';
import type { CpuUse } from './cpu';
import type { OrganisationSize } from './twinHost';
import { formatRatio, meets } from './stats';

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

/** A ratio measured side by side in this run, with the goal where it sets one. */
export interface Figure {
  benchmark: string;
  name: string;
  ratio: number;
  goal?: { max?: number; min?: number };
}

/** A world check: each change happened exactly once (moto's recording, the twin's state). */
export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

export interface BenchResult {
  id: string;
  title: string;
  tables: Table[];
  figures: Figure[];
  checks: Check[];
  /** Where and when it ran (bench/run.ts fills them in): one results file may gather several invocations. */
  commit?: string;
  machine?: string;
  startedAt?: string;
  endedAt?: string;
  /** The OpenAI organisations it ran in, as seeded (bench/run.ts fills it in): one, or one per size. */
  organisations?: OrganisationSize[];
}

/** The line under a benchmark's heading: how large the organisation its revocations listed was. */
export function organisationLine(sizes: OrganisationSize[]): string {
  const seeded = sizes.filter((s) => s.externalKeys > 0);
  if (!seeded.length) return 'Ran in an empty OpenAI organisation.';
  const each = seeded.map((s) => `${s.externalKeys} registrations and ${s.projects} projects`);
  return (
    `Ran in an OpenAI organisation holding only its own keys: ${each.join('; then, for the next size, ')} ` +
    'at its start (every revocation lists them all: bench/README.md).'
  );
}

function cell(value: string | number): string {
  const text =
    typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : value;
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function tableMarkdown(table: Table): string {
  const lines = [
    `**${table.title}**`,
    '',
    `| ${table.columns.map(cell).join(' | ')} |`,
    `| ${table.columns.map(() => '---').join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
  for (const note of table.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

/** The CPU table every benchmark carries: which process worked, and which one the run waited on. */
export function cpuTable(phase: string, wallSeconds: number, uses: CpuUse[]): Table {
  const busiest = [...uses].sort((a, b) => b.cpuSeconds - a.cpuSeconds)[0];
  const total = uses.reduce((sum, u) => sum + u.cpuSeconds, 0);
  const notes: string[] = [];
  if (busiest && busiest.cpuSeconds > 0) {
    const share = (100 * busiest.cpuSeconds) / (total || 1);
    notes.push(
      `Busiest: ${busiest.process}, ${busiest.percentOfCore.toFixed(0)}% of one core (${share.toFixed(0)}% of the CPU used).` +
        (busiest.process === 'Temporal dev server' && busiest.percentOfCore >= 70
          ? ' The dev server is the bottleneck here: it used the most CPU, near a whole core of its own.'
          : ''),
    );
  }
  const together = wallSeconds > 0 ? (100 * total) / wallSeconds : 0;
  const cores = os.cpus().length;
  notes.push(
    `Together: ${together.toFixed(0)}% of one core, of the ${cores * 100}% this machine has (load average now ${os.loadavg()[0]!.toFixed(1)}: other work shares it).` +
      (busiest && busiest.percentOfCore < 70
        ? ' No process here was near a whole core: what the runs waited on is the chain of steps (and the machine), not one saturated process.'
        : ''),
  );
  return {
    title: `CPU per process — ${phase} (${wallSeconds.toFixed(1)} s wall)`,
    columns: ['process', 'CPU s', '% of one core', 'share of CPU used'],
    rows: uses.map((u) => [
      u.process,
      u.cpuSeconds.toFixed(2),
      `${u.percentOfCore.toFixed(0)}%`,
      `${((100 * u.cpuSeconds) / (total || 1)).toFixed(0)}%`,
    ]),
    notes,
  };
}

function goalText(goal: Figure['goal']): string {
  if (!goal) return '—';
  return [goal.max !== undefined ? `≤ ${goal.max}` : '', goal.min !== undefined ? `≥ ${goal.min}` : '']
    .filter(Boolean)
    .join(', ');
}

export function figuresTable(figures: Figure[]): Table {
  return {
    title: 'Ratios against their baselines (this run)',
    columns: ['benchmark', 'figure', 'ratio', 'goal', 'met'],
    rows: figures.map((f) => {
      const met = f.goal ? meets(f.ratio, f.goal) : undefined;
      return [
        f.benchmark,
        f.name,
        formatRatio(f.ratio),
        goalText(f.goal),
        met === undefined ? '—' : met ? 'yes' : 'NO',
      ];
    }),
  };
}

export function checksTable(results: BenchResult[]): Table {
  return {
    title: 'Every change exactly once (checked in moto and the twin)',
    columns: ['benchmark', 'check', 'result', 'detail'],
    rows: results.flatMap((r) => r.checks.map((c) => [r.id, c.what, c.ok ? 'ok' : 'FAILED', c.detail])),
  };
}

export interface ResultsFile {
  date: string;
  mode: 'quick' | 'full';
  machine: string;
  commit: string;
  chartFile: string;
  results: BenchResult[];
}

/** HH:MM of an ISO time, UTC. */
const hhmm = (iso: string) => iso.slice(11, 16);

/**
 * The invocations behind the file: one line for a run of every benchmark at once, one per invocation when
 * benchmarks were run apart and gathered (`--continue`), naming which ran where.
 */
function invocationsLine(file: ResultsFile): string {
  const groups = new Map<string, BenchResult[]>();
  for (const r of file.results) {
    const key = JSON.stringify([r.commit ?? file.commit, r.machine ?? file.machine]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  if (groups.size <= 1) return `Commit ${file.commit}. ${file.machine}`;
  return [...groups.entries()]
    .map(([key, rs]) => {
      const [commit, machine] = JSON.parse(key) as [string, string];
      return `${rs.map((r) => r.id).join(', ')}: commit ${commit}. ${machine}`;
    })
    .join('\n\n');
}

export function resultsMarkdown(file: ResultsFile): string {
  const figures = file.results.flatMap((r) => r.figures);
  const parts = [
    `# Benchmarks — ${file.date} (${file.mode})`,
    '',
    invocationsLine(file),
    '',
    `![ratios against their baselines](${file.chartFile})`,
    '',
    tableMarkdown(figuresTable(figures)),
    '',
    tableMarkdown(checksTable(file.results)),
  ];
  for (const result of file.results) {
    parts.push('', `## ${result.id}: ${result.title}`);
    if (result.startedAt && result.endedAt)
      parts.push(
        '',
        `Ran ${hhmm(result.startedAt)}–${hhmm(result.endedAt)} UTC at commit ${result.commit ?? file.commit}.`,
      );
    if (result.organisations) parts.push('', organisationLine(result.organisations));
    for (const table of result.tables) parts.push('', tableMarkdown(table));
  }
  return parts.join('\n') + '\n';
}
