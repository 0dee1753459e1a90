// The report's charts: Vega-Lite specifications compiled and rendered to SVG by Vega in Node (no browser, no canvas:
// Vega estimates text widths), so the report is static markup that needs no script to show. Vega is loaded on the
// first chart only: a run that writes no report never pays for it.

import type { TopLevelSpec } from 'vega-lite';
import type { ColumnProfile, NumericProfile } from './profile-output.js';
import type { TimelineRate } from './timeline.js';

const WIDTH = 360;
/** Values of a category shown by name; the rest are one `(other)` bar. */
const CHART_VALUES = 15;
const COLORS = { baseline: '#9aa5b1', current: '#2f6fdf', flagged: '#d64545' };

type Row = Record<string, string | number | boolean | null>;

let vegaModules: Promise<[typeof import('vega'), typeof import('vega-lite')]> | undefined;

/** A Vega-Lite chart as an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  vegaModules ??= Promise.all([import('vega'), import('vega-lite')]);
  const [vega, vegaLite] = await vegaModules;
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  config: { font: 'system-ui, sans-serif', view: { stroke: null }, axis: { labelLimit: 180 } },
} as const;

/** Shares of each value, this run beside the baseline's; values whose share drifted are named in red. */
export function shareChart(
  current: ColumnProfile & { kind: 'category' },
  baseline: (ColumnProfile & { kind: 'category' }) | undefined,
  flagged: ReadonlySet<string>,
): TopLevelSpec {
  const rows: Row[] = [];
  const add = (run: string, p: ColumnProfile & { kind: 'category' }) => {
    const total = p.n + p.nulls;
    const shown = p.counts.slice(0, CHART_VALUES);
    const other = p.other + p.counts.slice(CHART_VALUES).reduce((sum, c) => sum + c.count, 0);
    for (const { value, count } of shown) rows.push({ run, value, share: total ? count / total : 0 });
    if (p.nulls > 0) rows.push({ run, value: '(null)', share: p.nulls / total });
    if (other > 0) rows.push({ run, value: '(other)', share: other / total });
  };
  if (baseline) add('baseline', baseline);
  add('this run', current);
  for (const row of rows) row['flagged'] = flagged.has(String(row['value']));
  return {
    ...base,
    width: WIDTH,
    title: current.name,
    data: { values: rows },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: {
        field: 'value',
        type: 'nominal',
        sort: '-x',
        title: null,
      },
      ...(baseline ? { yOffset: { field: 'run', sort: ['baseline', 'this run'] } } : {}),
      x: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: 'share of rows' },
      color: {
        field: 'run',
        type: 'nominal',
        scale: { domain: ['baseline', 'this run'], range: [COLORS.baseline, COLORS.current] },
        legend: baseline ? { orient: 'bottom', title: null } : null,
      },
      stroke: { condition: { test: 'datum.flagged', value: COLORS.flagged }, value: null },
      strokeWidth: { value: 2 },
    },
  };
}

/** A histogram of numbers, string lengths or list sizes as shares of rows (so runs of different sizes compare), the
 * baseline's bars behind this run's, and both means marked. */
export function histogramChart(current: NumericProfile, baseline: NumericProfile | undefined): TopLevelSpec {
  const what = current.kind === 'length' ? 'length (characters)' : current.kind === 'size' ? 'items' : 'value';
  const bars = (p: NumericProfile, run: string): Row[] =>
    p.bins.map((b) => ({ run, from: b.from, to: b.to, share: p.n ? b.count / p.n : 0, rows: b.count }));
  const means: Row[] = [
    ...(baseline ? [{ run: 'baseline mean', mean: baseline.mean }] : []),
    { run: 'mean', mean: current.mean },
  ];
  const histogram = (values: Row[], color: string, opacity: number) => ({
    data: { values },
    mark: { type: 'bar', color, opacity, tooltip: true },
    encoding: {
      x: { field: 'from', type: 'quantitative', bin: { binned: true }, title: what },
      x2: { field: 'to' },
      y: { field: 'share', type: 'quantitative', title: 'share of rows', axis: { format: '%' } },
    },
  });
  return {
    ...base,
    width: WIDTH,
    title: `${current.name}: ${what}`,
    layer: [
      ...(baseline ? [histogram(bars(baseline, 'baseline'), COLORS.baseline, 0.9)] : []),
      histogram(bars(current, 'this run'), COLORS.current, baseline ? 0.7 : 1),
      {
        data: { values: means },
        mark: { type: 'rule', strokeWidth: 2, strokeDash: [4, 3] },
        encoding: {
          x: { field: 'mean', type: 'quantitative' },
          color: {
            field: 'run',
            type: 'nominal',
            scale: baseline
              ? { domain: ['baseline mean', 'mean'], range: [COLORS.baseline, '#111'] }
              : { domain: ['mean'], range: ['#111'] },
            legend: { orient: 'bottom', title: null },
          },
        },
      },
    ],
  } as TopLevelSpec;
}

/** One measure of the run over time (rows per second, mean latency). */
export function timeChart(rates: readonly TimelineRate[], field: keyof TimelineRate, title: string): TopLevelSpec {
  const values = rates.filter((r) => r[field] !== undefined).map((r) => ({ t: r.t, y: r[field] as number }));
  return {
    ...base,
    width: WIDTH,
    height: 160,
    title,
    data: { values },
    mark: { type: 'line', point: values.length < 40, color: COLORS.current, interpolate: 'monotone' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'seconds since start' },
      y: { field: 'y', type: 'quantitative', title: null },
    },
  };
}

/** Rows by status, one bar each. */
export function statusChart(counts: readonly { status: string; rows: number }[]): TopLevelSpec {
  const colors: Record<string, string> = {
    ok: '#2e9e5b',
    failed: COLORS.flagged,
    invalid: '#e08a1e',
    skipped: '#9aa5b1',
  };
  return {
    ...base,
    width: WIDTH,
    height: 24 * Math.max(1, counts.length),
    title: 'rows by status',
    data: { values: counts.map((c) => ({ ...c })) },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'status', type: 'nominal', title: null, sort: '-x' },
      x: { field: 'rows', type: 'quantitative', title: 'rows' },
      color: {
        field: 'status',
        type: 'nominal',
        scale: { domain: Object.keys(colors), range: Object.values(colors) },
        legend: null,
      },
    },
  };
}

/** Estimates with their confidence intervals (eval and compare): a point and a bar per row, coloured by run, and a
 * rule at `reference` (0 for differences). */
export function intervalChart(
  rows: readonly {
    label: string;
    run: string;
    estimate: number;
    low: number | undefined;
    high: number | undefined;
  }[],
  title: string,
  reference?: number,
): TopLevelSpec {
  const values = rows.map((r) => ({ ...r, low: r.low ?? r.estimate, high: r.high ?? r.estimate }));
  const runs = [...new Set(rows.map((r) => r.run))];
  const color = {
    field: 'run',
    type: 'nominal',
    scale: { domain: runs, range: [COLORS.current, '#e08a1e', COLORS.baseline].slice(0, runs.length) },
    legend: runs.length > 1 ? { orient: 'bottom', title: null } : null,
  };
  const y = { field: 'label', type: 'nominal', title: null, sort: null };
  const yOffset = runs.length > 1 ? { yOffset: { field: 'run', sort: runs } } : {};
  return {
    ...base,
    width: WIDTH,
    height: { step: runs.length > 1 ? 34 : 24 },
    title,
    layer: [
      {
        data: { values },
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: {
          y,
          ...yOffset,
          x: { field: 'low', type: 'quantitative', title: null, scale: { zero: false } },
          x2: { field: 'high' },
          color,
        },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 50, tooltip: true },
        encoding: { y, ...yOffset, x: { field: 'estimate', type: 'quantitative' }, color },
      },
      ...(reference === undefined
        ? []
        : [
            {
              data: { values: [{ x: reference }] },
              mark: { type: 'rule', color: '#111', strokeDash: [4, 3] },
              encoding: { x: { field: 'x', type: 'quantitative' } },
            },
          ]),
    ],
  } as TopLevelSpec;
}
