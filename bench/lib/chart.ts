// The results chart: every ratio of the run as a bar, its goal as a tick (vega-lite → vega → SVG → PNG
// with resvg; no browser). vega and vega-lite are ES modules, loaded with import() from this CommonJS code.
import type { Figure } from './report';

/** The vega-lite specification of the chart (exported for the unit test: data in, marks out). */
export function chartSpec(figures: Figure[]): Record<string, unknown> {
  const values = figures
    .filter((f) => Number.isFinite(f.ratio))
    .map((f) => ({
      figure: `${f.benchmark}: ${f.name}`,
      ratio: Number(f.ratio.toFixed(3)),
      goal: f.goal?.max ?? f.goal?.min ?? null,
    }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Ratios against baselines measured in the same run (tick: the goal)',
    width: 520,
    background: 'white',
    data: { values },
    encoding: { y: { field: 'figure', type: 'nominal', sort: null, title: null, axis: { labelLimit: 420 } } },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: { x: { field: 'ratio', type: 'quantitative', title: 'ratio (×)' } },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3 },
        encoding: { x: { field: 'ratio', type: 'quantitative' }, text: { field: 'ratio', format: '.2f' } },
      },
      {
        // 1× is the baseline itself.
        mark: { type: 'rule', color: '#888', strokeDash: [4, 3] },
        encoding: { x: { datum: 1 } },
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
