// A run's results on disk: bench/results/<date>[-quick].json (every benchmark's tables, figures and checks,
// as measured), the Markdown and chart made from it, and the latest figures in bench/README.md. Written
// after each benchmark, so a run stopped later keeps what it measured; `--continue` gathers benchmarks run
// in separate invocations on one day into one file, each naming its commit and time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderChart } from './chart';
import { formatAs, formatMarkdown, updateReadme } from './readme';
import { figuresTable, resultsMarkdown, type BenchResult, type ResultsFile } from './report';

export interface ResultsPaths {
  dir: string;
  base: string;
  json: string;
  markdown: string;
  chart: string;
}

export function resultsFileOf(dir: string, date: string, quick: boolean): ResultsPaths {
  const base = `${date}${quick ? '-quick' : ''}`;
  return {
    dir,
    base,
    json: path.join(dir, `${base}.json`),
    markdown: path.join(dir, `${base}.md`),
    chart: path.join(dir, `${base}.png`),
  };
}

/** The results already in the file, or none when there is no file yet. */
export function readResults(file: ResultsPaths): BenchResult[] {
  if (!fs.existsSync(file.json)) return [];
  const parsed = JSON.parse(fs.readFileSync(file.json, 'utf8')) as { results?: unknown };
  if (!Array.isArray(parsed.results))
    throw new Error(`bench: ${file.json} holds no results list: move it away, or run without --continue`);
  return parsed.results as BenchResult[];
}

/** The earlier results with this run's in place of any of the same id, in the benchmarks' order. */
export function gathered(earlier: BenchResult[], now: BenchResult[], order: string[]): BenchResult[] {
  const ids = new Set(now.map((r) => r.id));
  const rank = (r: BenchResult) => {
    const i = order.indexOf(r.id);
    return i === -1 ? order.length : i;
  };
  return [...earlier.filter((r) => !ids.has(r.id)), ...now].sort((a, b) => rank(a) - rank(b));
}

/** Writes the JSON, the chart, the Markdown and the README's section; returns the Markdown. */
export async function writeResults(file: ResultsPaths, run: Omit<ResultsFile, 'chartFile'>): Promise<string> {
  fs.mkdirSync(file.dir, { recursive: true });
  fs.writeFileSync(file.json, await formatAs(JSON.stringify(run), file.json, 'json'));
  const figures = run.results.flatMap((r) => r.figures);
  const { png } = await renderChart(figures);
  fs.writeFileSync(file.chart, png);
  const markdown = resultsMarkdown({ ...run, chartFile: path.basename(file.chart) });
  fs.writeFileSync(file.markdown, await formatMarkdown(markdown, file.markdown));
  const readme = path.join(file.dir, '..', 'README.md');
  await updateReadme(
    readme,
    `results/${path.basename(file.markdown)}`,
    `results/${path.basename(file.chart)}`,
    figuresTable(figures),
  );
  return markdown;
}
