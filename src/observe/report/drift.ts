// Drift: has an answer's distribution moved since the baseline run? Every share (each value of a category, the
// share of rows by status) is compared with a two-proportion z-test (pooled standard error), every mean (numbers,
// string lengths, list sizes) with Welch's z (each run's own variance). A statistic is flagged when it moved more
// than `sigma` standard errors, so on two samples of one distribution each statistic is flagged with probability
// 2·(1 − Φ(sigma)): 4.55% at the default 2σ.

import type { CategoryProfile, ColumnProfile, NumericProfile, OutputProfile } from './profile-output.js';

export interface DriftStatistic {
  /** `label = high` (a share) or `mean of score` / `mean length of summary` / `mean size of tags`. */
  readonly name: string;
  readonly column: string;
  readonly kind: 'share' | 'mean';
  readonly baseline: number;
  readonly current: number;
  /** (current − baseline) / standard error. */
  readonly z: number;
  readonly flagged: boolean;
}

export interface DriftCheck {
  readonly sigma: number;
  /** Every statistic compared (values too rare on both sides for a normal test are left out). */
  readonly statistics: readonly DriftStatistic[];
  readonly flagged: readonly DriftStatistic[];
  /** Columns in one profile and not the other, or measured differently. */
  readonly notes: readonly string[];
}

/** A share is tested only when both runs expect at least this many rows of it (the normal approximation holds). */
const MIN_EXPECTED = 5;

export function compareProfiles(baseline: OutputProfile, current: OutputProfile, sigma: number): DriftCheck {
  const statistics: DriftStatistic[] = [...compareShares(baseline.status, current.status)];
  const notes: string[] = [];
  const before = new Map(baseline.columns.map((c) => [c.name, c]));
  for (const column of current.columns) {
    const old = before.get(column.name);
    if (!old) {
      notes.push(`${column.name}: not in the baseline`);
      continue;
    }
    before.delete(column.name);
    if (old.kind !== column.kind) {
      notes.push(`${column.name}: measured as ${old.kind} in the baseline, as ${column.kind} now`);
      continue;
    }
    statistics.push(...compareColumn(old, column));
  }
  for (const name of before.keys()) notes.push(`${name}: in the baseline only`);
  const marked = statistics.map((s) => ({ ...s, flagged: Math.abs(s.z) > sigma }));
  return { sigma, statistics: marked, flagged: marked.filter((s) => s.flagged), notes };
}

function compareColumn(old: ColumnProfile, now: ColumnProfile): DriftStatistic[] {
  if (old.kind === 'category' && now.kind === 'category') return compareShares(old, now);
  if (old.kind !== 'category' && now.kind !== 'category') {
    const mean = compareMeans(old, now);
    return mean ? [mean] : [];
  }
  return [];
}

function compareShares(old: CategoryProfile, now: CategoryProfile): DriftStatistic[] {
  const n0 = old.n + old.nulls;
  const n1 = now.n + now.nulls;
  if (n0 === 0 || n1 === 0) return [];
  const countsOf = (p: CategoryProfile) => {
    const map = new Map(p.counts.map((c) => [c.value, c.count]));
    if (p.nulls > 0) map.set('(null)', p.nulls);
    return map;
  };
  const c0 = countsOf(old);
  const c1 = countsOf(now);
  const values = [...new Set([...c0.keys(), ...c1.keys()])];
  const out: DriftStatistic[] = [];
  for (const value of values) {
    // A value past a profile's named ones is in its `other`: its count there is not known, so it is not tested.
    if ((!c0.has(value) && old.other > 0) || (!c1.has(value) && now.other > 0)) continue;
    const a = c0.get(value) ?? 0;
    const b = c1.get(value) ?? 0;
    const pooled = (a + b) / (n0 + n1);
    if (pooled * Math.min(n0, n1) < MIN_EXPECTED || (1 - pooled) * Math.min(n0, n1) < MIN_EXPECTED) continue;
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1));
    const p0 = a / n0;
    const p1 = b / n1;
    out.push({
      name: `${old.name} = ${value}`,
      column: old.name,
      kind: 'share',
      baseline: p0,
      current: p1,
      z: (p1 - p0) / se,
      flagged: false,
    });
  }
  return out;
}

function compareMeans(old: NumericProfile, now: NumericProfile): DriftStatistic | undefined {
  if (old.n < 2 || now.n < 2) return undefined;
  const se = Math.sqrt((old.sd * old.sd) / old.n + (now.sd * now.sd) / now.n);
  const diff = now.mean - old.mean;
  // Two constant columns: a change of the constant is infinitely many standard errors; no change is none.
  const z = se === 0 ? (diff === 0 ? 0 : Math.sign(diff) * Number.POSITIVE_INFINITY) : diff / se;
  const what = now.kind === 'length' ? 'mean length of ' : now.kind === 'size' ? 'mean size of ' : 'mean of ';
  return {
    name: `${what}${now.name}`,
    column: now.name,
    kind: 'mean',
    baseline: old.mean,
    current: now.mean,
    z,
    flagged: false,
  };
}
