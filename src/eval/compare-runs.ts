// Two scored tables of the same rows (a baseline A and a candidate B), joined by row identity, compared score by
// score, overall and per segment: the mean difference B − A with a bootstrap interval over the paired differences;
// McNemar's exact test and the odds ratio for binary scores; the paired t-test, the Wilcoxon signed-rank test and
// Cohen's d for continuous ones. Every p-value in the comparison is one family for the multiple-comparison
// correction (Holm by default, Benjamini–Hochberg on request), reported beside the raw value.

import { InputError } from '../job/input-error.js';
import { bootstrapMean, type Interval } from './stats/bootstrap.js';
import { benjaminiHochberg, holm } from './stats/corrections.js';
import { cohenDPaired, mcnemarExact, pairedTTest, wilcoxonSignedRank } from './stats/paired-tests.js';
import type { MetricKind } from './metrics/metric.js';
import type { ScoredTable } from './score-table.js';
import { seedFor, type StatsOptions } from './summarise.js';

export type Correction = 'holm' | 'bh' | 'none';

export interface TestResult {
  readonly test: 'mcnemar' | 'paired_t' | 'wilcoxon';
  readonly statistic: number;
  readonly pValue: number;
  /**
   * After the correction across every test of the comparison. A test with nothing to test (no discordant row, or
   * every difference zero) is left out of the family: its p-value is 1 whatever the data, and counting it would only
   * inflate the others.
   */
  readonly pAdjusted: number;
  /** Whether the test had anything to test (and so was counted in the correction). */
  readonly informative: boolean;
}

export interface PairedComparison {
  readonly score: string;
  readonly segment: string | undefined;
  readonly kind: MetricKind;
  /** Rows scored in both runs. */
  readonly n: number;
  readonly meanA: number | undefined;
  readonly meanB: number | undefined;
  /** B − A over the paired rows, and its interval (the one `--interval` chooses). */
  readonly difference: number | undefined;
  readonly interval: Interval | undefined;
  readonly tests: readonly TestResult[];
  /** Binary: rows only B got right (b) and only A got right (c). */
  readonly discordant?: { readonly onlyB: number; readonly onlyA: number };
  readonly effect?: { readonly name: 'odds_ratio' | 'cohen_d'; readonly estimate: number; readonly interval: Interval };
  readonly note: string | undefined;
}

export interface Comparison {
  readonly a: string;
  readonly b: string;
  /** Rows matched in both tables, and how they were matched. */
  readonly matched: number;
  readonly onlyA: number;
  readonly onlyB: number;
  readonly joinedBy: 'id' | 'position';
  readonly correction: Correction;
  readonly results: readonly PairedComparison[];
}

export async function compareRuns(
  a: ScoredTable,
  b: ScoredTable,
  options: StatsOptions & { readonly correction: Correction },
): Promise<Comparison> {
  const join = joinRows(a, b);
  const shared = a.columns.filter((column) => b.scores.has(column.name));
  if (shared.length === 0) throw new InputError(`${a.where} and ${b.where} have no score in common`);
  const pending: Omit<PairedComparison, 'tests'>[] = [];
  const rawTests: Omit<TestResult, 'pAdjusted'>[][] = [];
  const segments = a.segments;
  for (const column of shared) {
    const scoresA = a.scores.get(column.name)!;
    const scoresB = b.scores.get(column.name)!;
    const groups: (string | undefined)[] = [undefined, ...(segments?.labels ?? [])];
    // One pass over the matched rows: every pair goes to "all" (group 0) and to its segment's group.
    const xs: number[][] = groups.map(() => []);
    const ys: number[][] = groups.map(() => []);
    for (let k = 0; k < join.a.length; k++) {
      const i = join.a[k]!;
      const x = scoresA[i]!;
      const y = scoresB[join.b[k]!]!;
      if (Number.isNaN(x) || Number.isNaN(y)) continue;
      xs[0]!.push(x);
      ys[0]!.push(y);
      if (segments) {
        const g = segments.codes[i]! + 1;
        xs[g]!.push(x);
        ys[g]!.push(y);
      }
    }
    for (let g = 0; g < groups.length; g++) {
      const { result, tests } = await comparePaired(column.name, groups[g], column.kind, xs[g]!, ys[g]!, options);
      pending.push(result);
      rawTests.push(tests);
    }
  }
  const family = rawTests.flat().filter((t) => t.informative);
  const flat = family.map((t) => t.pValue);
  const adjusted =
    options.correction === 'holm' ? holm(flat) : options.correction === 'bh' ? benjaminiHochberg(flat) : flat;
  const adjustedOf = new Map(family.map((test, i) => [test, adjusted[i]!]));
  const results = pending.map((result, r) => ({
    ...result,
    tests: rawTests[r]!.map((test) => ({ ...test, pAdjusted: adjustedOf.get(test) ?? 1 })),
  }));
  return {
    a: a.where,
    b: b.where,
    matched: join.a.length,
    onlyA: a.rows - join.a.length,
    onlyB: b.rows - join.b.length,
    joinedBy: join.by,
    correction: options.correction,
    results,
  };
}

async function comparePaired(
  score: string,
  segment: string | undefined,
  kind: MetricKind,
  xs: number[],
  ys: number[],
  options: StatsOptions,
): Promise<{ result: Omit<PairedComparison, 'tests'>; tests: Omit<TestResult, 'pAdjusted'>[] }> {
  const n = xs.length;
  const base = { score, segment, kind, n };
  if (n === 0) {
    return {
      result: {
        ...base,
        meanA: undefined,
        meanB: undefined,
        difference: undefined,
        interval: undefined,
        note: 'no row scored in both',
      },
      tests: [],
    };
  }
  const diffs = new Float64Array(n);
  let sumA = 0;
  let sumB = 0;
  for (let i = 0; i < n; i++) {
    diffs[i] = ys[i]! - xs[i]!;
    sumA += xs[i]!;
    sumB += ys[i]!;
  }
  const boot = await bootstrapMean(diffs, {
    resamples: options.resamples,
    confidence: options.confidence,
    seed: seedFor(options.seed, `compare:${score}`, segment),
  });
  const small = n < options.minRows;
  const interval = small ? undefined : options.interval === 'bca' ? (boot.bca ?? boot.percentile) : boot.percentile;
  const note = small ? `only ${n} paired rows: too few for an interval (--min-rows ${options.minRows})` : undefined;
  const result = { ...base, meanA: sumA / n, meanB: sumB / n, difference: boot.mean, interval, note };
  if (kind === 'binary') {
    let onlyB = 0;
    let onlyA = 0;
    for (let i = 0; i < n; i++) {
      if (ys[i] === 1 && xs[i] !== 1) onlyB++;
      else if (xs[i] === 1 && ys[i] !== 1) onlyA++;
    }
    const test = mcnemarExact(onlyB, onlyA, options.confidence);
    return {
      result: {
        ...result,
        discordant: { onlyB, onlyA },
        effect: { name: 'odds_ratio', estimate: test.oddsRatio, interval: test.oddsRatioCi },
      },
      tests: [
        { test: 'mcnemar', statistic: Math.min(onlyA, onlyB), pValue: test.pValue, informative: onlyA + onlyB > 0 },
      ],
    };
  }
  const t = pairedTTest(diffs, options.confidence);
  const informative = diffs.some((d) => d !== 0);
  const w = wilcoxonSignedRank(diffs);
  const d = cohenDPaired(diffs, options.confidence);
  return {
    result: { ...result, effect: { name: 'cohen_d', estimate: d.estimate, interval: d.ci } },
    tests: [
      { test: 'paired_t', statistic: t.t, pValue: t.pValue, informative },
      { test: 'wilcoxon', statistic: w.statistic, pValue: w.pValue, informative },
    ],
  };
}

/** Row indexes of A and B that hold the same row: by identity when both tables have one, else by position. */
export function joinRows(a: ScoredTable, b: ScoredTable): { a: Int32Array; b: Int32Array; by: 'id' | 'position' } {
  if (!a.ids || !b.ids) {
    if (a.rows !== b.rows) {
      throw new InputError(
        `${a.ids ? b.where : a.where} has no row ids (_row_id, or --id COLUMN), and the two tables differ in length ` +
          `(${a.rows} and ${b.rows} rows), so rows cannot be matched`,
      );
    }
    const index = Int32Array.from({ length: a.rows }, (_, i) => i);
    return { a: index, b: index, by: 'position' };
  }
  const positionInA = new Map<string, number>();
  for (let i = 0; i < a.ids.length; i++) positionInA.set(a.ids[i]!, i);
  const ia: number[] = [];
  const ib: number[] = [];
  for (let j = 0; j < b.ids.length; j++) {
    const i = positionInA.get(b.ids[j]!);
    if (i === undefined) continue;
    ia.push(i);
    ib.push(j);
  }
  if (ia.length === 0) {
    throw new InputError(`${a.where} and ${b.where} share no row id: they are not runs over the same rows`);
  }
  return { a: Int32Array.from(ia), b: Int32Array.from(ib), by: 'id' };
}
