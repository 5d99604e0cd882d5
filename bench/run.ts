// `npm run bench` (full) and `npm run bench -- --quick` (minutes): starts its own world (bench/lib/world.ts),
// runs each benchmark in an OpenAI organisation seeded with only the keys it asks for, prints every table and writes
// bench/results/<date>[-quick].md with its chart (PNG) and the latest figures into bench/README.md.
// Never part of `npm test`. Options: --quick, --only b,c (benchmark ids), --note "<text for the results>".
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectRoot } from '../sandbox/paths';
import { benchmarks } from './benchmarks';
import type { Benchmark } from './lib/benchmark';
import { renderChart } from './lib/chart';
import { figuresTable, resultsMarkdown, tableMarkdown, type BenchResult } from './lib/report';
import { formatMarkdown, updateReadme } from './lib/readme';
import { BenchWorld } from './lib/world';

interface Options {
  quick: boolean;
  only?: string[];
  note?: string;
}

export function parseOptions(argv: string[]): Options {
  const options: Options = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only') options.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--note') options.note = argv[++i];
    else
      throw new Error(`bench: unknown option ${arg}: use --quick, --only <ids, e.g. b,c> or --note "<text>"`);
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
    return {
      id: benchmark.id,
      title: benchmark.title,
      tables: [],
      figures: [],
      checks: [
        {
          what: 'the benchmark ran to its end',
          ok: false,
          detail: `${String(err)} (after ${((Date.now() - started) / 1000).toFixed(0)} s)`,
        },
      ],
    };
  }
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
  console.log(`bench: ${mode} run of ${chosen.map((b) => b.id).join(', ')} at ${commit}; ${description}`);
  const world = await BenchWorld.start({ cacheTtlSeconds: 2 });
  // Ctrl-C stops the servers it started (they run in process groups of their own) before it exits.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      console.error(`bench: ${signal}: stopping the servers …`);
      void world.close().finally(() => process.exit(130));
    });
  const results: BenchResult[] = [];
  const date = new Date().toISOString().slice(0, 10);
  const base = `${date}${options.quick ? '-quick' : ''}`;
  const resultsDir = path.join(projectRoot, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  try {
    for (const benchmark of chosen) {
      const result = await runOne(benchmark, world, options.quick);
      results.push({ ...result, commit });
      for (const table of result.tables) console.log(`\n${tableMarkdown(table)}\n`);
      // Each benchmark's results are kept as it ends, so a run stopped later loses none of them.
      fs.writeFileSync(
        path.join(resultsDir, `${base}.json`),
        JSON.stringify({ date, mode, machine: description, results }, null, 2) + '\n',
      );
    }
  } finally {
    await world.close();
  }

  const figures = results.flatMap((r) => r.figures);
  const { png } = await renderChart(figures);
  fs.writeFileSync(path.join(resultsDir, `${base}.png`), png);
  const markdown = resultsMarkdown({
    date,
    mode,
    machine: description,
    commit,
    chartFile: `${base}.png`,
    results,
  });
  const resultsFile = path.join(resultsDir, `${base}.md`);
  fs.writeFileSync(resultsFile, await formatMarkdown(markdown, resultsFile));
  await updateReadme(
    path.join(projectRoot, 'bench', 'README.md'),
    `results/${base}.md`,
    `results/${base}.png`,
    figuresTable(figures),
  );
  console.log(`\n${markdown}`);
  console.log(
    `bench: wrote ${path.relative(process.cwd(), path.join(resultsDir, `${base}.md`))} and its chart.`,
  );
  const failed = results.flatMap((r) => r.checks).filter((c) => !c.ok);
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
