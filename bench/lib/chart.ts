// The results chart: every ratio of the run as a bar, its goal as a tick (vega-lite → vega → SVG → PNG
// with resvg; no browser). vega and vega-lite are ES modules, loaded with import() from this CommonJS code.
import type { Figure } from './report';

/**
 * The vega-lite specification of the chart (exported for the unit test: data in, marks out). The axis is
 * logarithmic: a run's ratios span 0.01× to over 1,000× (bench (c)'s resume p99), and on a linear axis
 * every ratio near the goals became a sliver. A ratio of 0 has no place on it and is left to the tables.
 */
export function chartSpec(figures: Figure[]): Record<string, unknown> {
  const x = { field: 'ratio', type: 'quantitative', scale: { type: 'log' } };
  const values = figures
    .filter((f) => Number.isFinite(f.ratio) && f.ratio > 0)
    .map((f) => ({
      figure: `${f.benchmark}: ${f.name}`,
      ratio: Number(f.ratio.toFixed(3)),
      goal: f.goal?.max ?? f.goal?.min ?? null,
    }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Ratios against baselines measured in the same run (log scale; tick: the goal)',
    width: 520,
    background: 'white',
    data: { values },
    encoding: { y: { field: 'figure', type: 'nominal', sort: null, title: null, axis: { labelLimit: 420 } } },
    layer: [
      {
        // A stem from the baseline (1×) to the ratio: a bar has no base on a log axis.
        mark: { type: 'rule', color: '#4c78a8', strokeWidth: 3 },
        encoding: { x: { ...x, title: 'ratio (×, log scale)' }, x2: { datum: 1 } },
      },
      {
        mark: { type: 'point', filled: true, color: '#4c78a8', size: 60 },
        encoding: { x },
      },
      // The value beside its point, on the side away from its stem.
      {
        transform: [{ filter: 'datum.ratio >= 1' }],
        mark: { type: 'text', align: 'left', dx: 6 },
        encoding: { x, text: { field: 'ratio', format: '.2f' } },
      },
      {
        transform: [{ filter: 'datum.ratio < 1' }],
        mark: { type: 'text', align: 'right', dx: -6 },
        encoding: { x, text: { field: 'ratio', format: '.2f' } },
      },
      {
        transform: [{ filter: 'datum.goal != null' }],
        mark: { type: 'tick', color: '#e45756', thickness: 3 },
        encoding: { x: { field: 'goal', type: 'quantitative' } },
      },
    ],
  };
}

export async function renderChart(figures: Figure[]): Promise<{ svg: string; png: Buffer }> {
  const vegaLite = await import('vega-lite');
  const vega = await import('vega');
  const { spec } = vegaLite.compile(chartSpec(figures) as never);
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const { Resvg } = await import('@resvg/resvg-js');
  const png = new Resvg(svg, { fitTo: { mode: 'width', value: 1200 }, font: { loadSystemFonts: true } })
    .render()
    .asPng();
  return { svg, png };
}
