// The statistics of one scored table: for every score, overall and in each segment, how many rows were scored,
// the mean, and a bootstrap confidence interval (percentile and BCa). A segment with too few rows says so instead
// of printing a tight-looking interval, and a binary score on which every row agrees gets the exact
// (Clopper–Pearson) interval, since resampling identical values can only ever return them.

import { bootstrapMean, type Interval } from './stats/bootstrap.js';
import { betaQuantile } from './stats/distributions.js';
import type { MetricKind } from './metrics/metric.js';
import type { ScoredTable } from './score-table.js';

export interface StatsOptions {
  readonly confidence: number;
  readonly resamples: number;
  readonly seed: number;
  /** Fewer scored rows than this: no interval, and a note saying why. */
  readonly minRows: number;
  /** The interval gates and tables use. */
  readonly interval: 'bca' | 'percentile';
}

export interface ScoreStats {
  readonly score: string;
  /** undefined: all rows. */
  readonly segment: string | undefined;
  readonly kind: MetricKind;
  readonly range: readonly [number, number];
  readonly rows: number;
  /** Rows with a score. */
  readonly n: number;
  readonly mean: number | undefined;
  /** The interval chosen by `--interval` (BCa falls back to percentile when it cannot be computed). */
  readonly interval: Interval | undefined;
  readonly percentile: Interval | undefined;
  readonly bca: Interval | undefined;
  readonly note: string | undefined;
}

/** Every score overall, then by segment (segments in order of first appearance). */
export async function summarise(table: ScoredTable, options: StatsOptions): Promise<ScoreStats[]> {
  const out: ScoreStats[] = [];
  for (const column of table.columns) {
    const scores = table.scores.get(column.name)!;
    const groups = groupScores(scores, table.segments?.codes, table.segments?.labels.length ?? 0);
    out.push(await statsOf(column.name, undefined, column.kind, column.range, groups.all, table.rows, options));
    if (table.segments) {
      for (let s = 0; s < table.segments.labels.length; s++) {
        const label = table.segments.labels[s]!;
        out.push(
          await statsOf(column.name, label, column.kind, column.range, groups.bySegment[s]!, groups.rows[s]!, options),
        );
      }
    }
  }
  return out;
}

export async function statsOf(
  score: string,
  segment: string | undefined,
  kind: MetricKind,
  range: readonly [number, number],
  values: Float64Array,
  rows: number,
  options: StatsOptions,
): Promise<ScoreStats> {
  const n = values.length;
  const base = { score, segment, kind, range, rows, n };
  if (n === 0) {
    return {
      ...base,
      mean: undefined,
      interval: undefined,
      percentile: undefined,
      bca: undefined,
      note: 'no row scored',
    };
  }
  const boot = await bootstrapMean(values, {
    resamples: options.resamples,
    confidence: options.confidence,
    seed: seedFor(options.seed, score, segment),
  });
  if (n < options.minRows) {
    return {
      ...base,
      mean: boot.mean,
      interval: undefined,
      percentile: boot.percentile,
      bca: boot.bca,
      note: `only ${n} scored rows: too few for an interval (--min-rows ${options.minRows})`,
    };
  }
  const allSame = boot.percentile.low === boot.percentile.high;
  if (allSame && kind === 'binary') {
    const exact = clopperPearson(Math.round(boot.mean * n), n, options.confidence);
    return {
      ...base,
      mean: boot.mean,
      interval: exact,
      percentile: boot.percentile,
      bca: boot.bca,
      note: `every row scored ${boot.mean}: exact binomial interval`,
    };
  }
  const interval = options.interval === 'bca' ? (boot.bca ?? boot.percentile) : boot.percentile;
  return { ...base, mean: boot.mean, interval, percentile: boot.percentile, bca: boot.bca, note: undefined };
}

/** The exact (Clopper–Pearson) interval for k successes in n trials. */
export function clopperPearson(k: number, n: number, confidence: number): Interval {
  const alpha = 1 - confidence;
  return {
    low: k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1),
    high: k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k),
  };
}

/** The scored (non-NaN) values, all together and per segment. */
export function groupScores(
  scores: Float64Array,
  codes: Int32Array | undefined,
  segments: number,
): { all: Float64Array; bySegment: Float64Array[]; rows: number[] } {
  let n = 0;
  const counts = new Array<number>(segments).fill(0);
  const rows = new Array<number>(segments).fill(0);
  for (let i = 0; i < scores.length; i++) {
    if (codes) rows[codes[i]!]!++;
    if (Number.isNaN(scores[i]!)) continue;
    n++;
    if (codes) counts[codes[i]!]!++;
  }
  const all = new Float64Array(n);
  const bySegment = counts.map((count) => new Float64Array(count));
  const filled = new Array<number>(segments).fill(0);
  let j = 0;
  for (let i = 0; i < scores.length; i++) {
    const value = scores[i]!;
    if (Number.isNaN(value)) continue;
    all[j++] = value;
    if (codes) {
      const code = codes[i]!;
      bySegment[code]![filled[code]!++] = value;
    }
  }
  return { all, bySegment, rows };
}

/**
 * A seed per score and segment, derived from the user's: each interval is reproducible on its own, whatever else
 * is computed in the same run (FNV-1a over the names).
 */
export function seedFor(seed: number, score: string, segment: string | undefined): number {
  let hash = 0x811c9dc5 ^ seed;
  for (const ch of `${score}\u0000${segment ?? ''}`) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
