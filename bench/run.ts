// `npm run bench` (full) and `npm run bench -- --quick` (minutes): starts its own world (bench/lib/world.ts),
// runs each benchmark in an OpenAI organisation seeded with only the keys it asks for, prints every table and writes
// bench/results/<date>[-quick].md with its chart (PNG) and the latest figures into bench/README.md.
// Never part of `npm test`. Options: --quick, --only b,c (benchmark ids), --continue (keep today's results of
// the benchmarks not run now), --note "<text for the results>".
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectRoot } from '../sandbox/paths';
import { benchmarks } from './benchmarks';
import type { Benchmark } from './lib/benchmark';
import { tableMarkdown, type BenchResult } from './lib/report';
import { gathered, readResults, resultsFileOf, writeResults } from './lib/resultsFile';
import { BenchWorld } from './lib/world';

interface Options {
  quick: boolean;
  only?: string[];
  note?: string;
  /** Keep the other benchmarks' results already in today's file (bench/results/<date>[-quick].json). */
  continue?: boolean;
}

export function parseOptions(argv: string[]): Options {
  const options: Options = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only') options.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--note') options.note = argv[++i];
    else if (arg === '--continue') options.continue = true;
    else
      throw new Error(
        `bench: unknown option ${arg}: use --quick, --only <ids, e.g. b,c>, --continue or --note "<text>"`,
      );
  }
  const known = benchmarks.map((b) => b.id);
  const unknown = options.only?.filter((id) => !known.includes(id)) ?? [];
  if (unknown.length)
    throw new Error(`bench: --only ${unknown.join(',')}: the benchmarks are ${known.join(', ')}`);
  return options;
}

function machine(note?: string): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
  return (
    `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
    `load average at the start ${load}.` +
    (note ? ` ${note}` : '')
  );
}

async function runOne(benchmark: Benchmark, world: BenchWorld, quick: boolean): Promise<BenchResult> {
  const started = Date.now();
  const organisationsBefore = world.organisationSizes.length;
  const log = (m: string) => console.log(`bench: ${m}`);
  try {
    // A revocation lists every registration and project of the organisation: the earlier benchmarks' keys
    // would slow this one down, so it gets an organisation of its own.
    const keys = benchmark.keysNeeded(quick);
    log(
      keys
        ? `(${benchmark.id}) seeding ${keys} keys (each its own role, registration and two projects) …`
        : `(${benchmark.id}) emptying the organisation (it seeds its own) …`,
    );
    const { removed } = await world.freshOrganisation(keys);
    if (removed.externalKeys || removed.projects)
      log(
        `(${benchmark.id}) removed the earlier organisation's ${removed.externalKeys} registrations and ${removed.projects} projects first`,
      );
    const result = await benchmark.run({ world, quick, log });
    return { ...result, organisations: world.organisationSizes.slice(organisationsBefore) };
  } catch (err) {
    // One benchmark that fails must not hide the others' figures: it is reported as failed, with why.
    console.error(`bench: (${benchmark.id}) failed: ${(err as Error).stack ?? String(err)}`);
    return notRunToItsEnd(
      benchmark,
      `${String(err)} (after ${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
}

/** A benchmark that failed or was stopped: reported as not run to its end, beside what the others measured. */
function notRunToItsEnd(benchmark: Benchmark, detail: string): BenchResult {
  return {
    id: benchmark.id,
    title: benchmark.title,
    tables: [],
    figures: [],
    checks: [{ what: 'the benchmark ran to its end', ok: false, detail }],
  };
}

/** A benchmark stopped by a signal. */
function stoppedResult(benchmark: Benchmark, signal: string, startedAt: string): BenchResult {
  const seconds = ((Date.now() - Date.parse(startedAt)) / 1000).toFixed(0);
  return {
    ...notRunToItsEnd(benchmark, `stopped by ${signal} after ${seconds} s`),
    startedAt,
    endedAt: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const chosen = benchmarks.filter((b) => !options.only || options.only.includes(b.id));
  const mode = options.quick ? 'quick' : 'full';
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: projectRoot,
    encoding: 'utf8',
  }).trim();
  const description = machine(options.note);
  const date = new Date().toISOString().slice(0, 10);
  const file = resultsFileOf(path.join(projectRoot, 'bench', 'results'), date, options.quick);
  // --continue: the other benchmarks' results already in today's file stay in it (each names its commit).
  const earlier = options.continue ? readResults(file) : [];
  console.log(
    `bench: ${mode} run of ${chosen.map((b) => b.id).join(', ')} at ${commit}; ${description}` +
      (earlier.length
        ? ` Continuing ${path.basename(file.json)}: ${earlier.map((r) => r.id).join(', ')}.`
        : ''),
  );
  const world = await BenchWorld.start({ cacheTtlSeconds: 2 });
  const results: BenchResult[] = [];
  const all = () =>
    gathered(
      earlier,
      results,
      benchmarks.map((b) => b.id),
    );
  const write = () => writeResults(file, { date, mode, machine: description, commit, results: all() });
  let running: { benchmark: Benchmark; startedAt: string } | undefined;
  // Ctrl-C or a SIGTERM writes what the finished benchmarks measured, the running one as stopped, and stops
  // the servers it started (they run in process groups of their own) before it exits.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      console.error(`bench: ${signal}: writing the results so far and stopping the servers …`);
      if (running) results.push(stoppedResult(running.benchmark, signal, running.startedAt));
      void write()
        .catch((err: unknown) => console.error(`bench: could not write the results: ${String(err)}`))
        .finally(() => void world.close().finally(() => process.exit(130)));
    });
  try {
    for (const benchmark of chosen) {
      const startedAt = new Date().toISOString();
      running = { benchmark, startedAt };
      const result = await runOne(benchmark, world, options.quick);
      running = undefined;
      results.push({ ...result, commit, machine: description, startedAt, endedAt: new Date().toISOString() });
      for (const table of result.tables) console.log(`\n${tableMarkdown(table)}\n`);
      // Written as each benchmark ends, so a run stopped later loses none of what it measured.
      await write();
    }
  } finally {
    await world.close();
  }
  const markdown = await write();
  console.log(`\n${markdown}`);
  console.log(`bench: wrote ${path.relative(process.cwd(), file.markdown)} and its chart.`);
  const failed = all()
    .flatMap((r) => r.checks)
    .filter((c) => !c.ok);
  if (failed.length) {
    console.error(`bench: ${failed.length} check(s) failed: ${failed.map((c) => c.what).join('; ')}`);
    process.exitCode = 1;
  }
}

if (require.main === module)
  main().catch((err: unknown) => {
    console.error(`bench: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  });
