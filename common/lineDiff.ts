// A line diff a person reads at a gate: `  ` kept, `- ` only in the first text, `+ ` only in the second,
// by the longest common subsequence of lines (policy documents are small: a table is enough). Pure, so
// the workflow can build a plan with it.
export function lineDiff(before: string[], after: string[]): string[] {
  const n = before.length;
  const m = after.length;
  // common[i][j]: length of the longest common subsequence of before[i..] and after[j..].
  const common: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      common[i]![j] =
        before[i] === after[j]
          ? common[i + 1]![j + 1]! + 1
          : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (before[i] === after[j]) {
      lines.push(`  ${before[i]}`);
      i++;
      j++;
    } else if (common[i + 1]![j]! >= common[i]![j + 1]!) lines.push(`- ${before[i++]}`);
    else lines.push(`+ ${after[j++]}`);
  }
  while (i < n) lines.push(`- ${before[i++]}`);
  while (j < m) lines.push(`+ ${after[j++]}`);
  return lines;
}

/** A policy document as lines a person reads: JSON pretty-printed, anything else as it is. */
export function documentLines(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    return JSON.stringify(JSON.parse(text), null, 2).split('\n');
  } catch {
    return text.split('\n');
  }
}
