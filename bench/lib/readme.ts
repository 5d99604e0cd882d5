// bench/README.md keeps the latest run's figures between two markers; the runner rewrites only that part.
import * as fs from 'node:fs';
import { tableMarkdown, type Table } from './report';

export const resultsStart = '<!-- bench results: written by bench/run.ts -->';
export const resultsEnd = '<!-- end of bench results -->';

export function withResults(readme: string, resultsFile: string, chartFile: string, figures: Table): string {
  const section = [
    resultsStart,
    `Latest run: [${resultsFile}](${resultsFile}).`,
    '',
    `![ratios of the latest run](${chartFile})`,
    '',
    tableMarkdown(figures),
    resultsEnd,
  ].join('\n');
  const start = readme.indexOf(resultsStart);
  const end = readme.indexOf(resultsEnd);
  if (start === -1 || end < start) return `${readme.trimEnd()}\n\n${section}\n`;
  return readme.slice(0, start) + section + readme.slice(end + resultsEnd.length);
}

/** Text as the project's prettier settings write it, so `npm run lint` passes on what the runner wrote. */
export async function formatAs(text: string, file: string, parser: 'markdown' | 'json'): Promise<string> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, parser });
}

export const formatMarkdown = (markdown: string, file: string) => formatAs(markdown, file, 'markdown');

export async function updateReadme(
  file: string,
  resultsFile: string,
  chartFile: string,
  figures: Table,
): Promise<void> {
  const updated = withResults(fs.readFileSync(file, 'utf8'), resultsFile, chartFile, figures);
  fs.writeFileSync(file, await formatMarkdown(updated, file));
}
