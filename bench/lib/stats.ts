// The arithmetic every benchmark reports with: percentiles of a sample and ratios against a baseline
// measured in the same run (absolute times on a shared machine mean little; ratios survive the noise).

/** The p-th percentile (0–100) by nearest rank: a value that occurred, never an interpolation. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values: the benchmark measured nothing');
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile ${p}: use 0–100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** value ÷ baseline; NaN when the baseline is zero or missing (shown as "n/a", never as ∞). */
export function ratio(value: number, baseline: number): number {
  return baseline > 0 && Number.isFinite(baseline) && Number.isFinite(value) ? value / baseline : Number.NaN;
}

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a';
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Whether a figure meets its goal: at most `max` (a ratio or an absolute bound), or at least `min`. */
export function meets(value: number, goal: { max?: number; min?: number }): boolean | undefined {
  if (!Number.isFinite(value)) return undefined;
  if (goal.max !== undefined && value > goal.max) return false;
  if (goal.min !== undefined && value < goal.min) return false;
  return goal.max !== undefined || goal.min !== undefined ? true : undefined;
}
