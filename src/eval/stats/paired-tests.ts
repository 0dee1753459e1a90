// Tests for two systems scored on the same rows: the exact McNemar test for paired yes/no outcomes, the paired t
// test and the Wilcoxon signed-rank test for paired scores, and Cohen's d_z with a noncentral-t interval. Each
// follows a named reference (R's binom.test, t.test, wilcox.test; Steiger & Fouladi's interval inversion) and
// documents what it does where that reference stops with an error.

import type { Interval } from './bootstrap.js';
import {
  betaQuantile,
  binomialCdf,
  noncentralTCdf,
  normalCdf,
  normalQuantile,
  studentTCdf,
  studentTQuantile,
} from './distributions.js';

export interface McNemarResult {
  /** Rows where the first system is right and the second wrong. */
  readonly b: number;
  /** Rows where the second system is right and the first wrong. */
  readonly c: number;
  readonly pValue: number;
  /** b / c, the conditional (discordant-pair) odds ratio. */
  readonly oddsRatio: number;
  readonly oddsRatioCi: Interval;
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`Expected \`confidence\` to be in (0, 1), got ${confidence}`);
  }
}

/**
 * The exact (conditional) McNemar test: given b + c discordant rows, b ~ Binomial(b + c, ½) under the null, and the
 * two-sided p-value is min(1, 2·P[X ≤ min(b, c)]), as R's binom.test(b, b + c) and exact2x2's mcnemar.exact give.
 * The odds ratio b/c is Infinity when c = 0 and 0 when b = 0; its interval is the Clopper–Pearson interval for
 * π = b/(b + c) mapped through π/(1 − π) (exact conditional). With no discordant rows (b = c = 0) there is no
 * information: pValue 1, oddsRatio 1 by convention, interval [0, Infinity].
 */
export function mcnemarExact(b: number, c: number, confidence: number): McNemarResult {
  for (const [name, count] of [
    ['b', b],
    ['c', c],
  ] as const) {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`Expected \`${name}\` to be a non-negative integer, got ${count}`);
    }
  }
  checkConfidence(confidence);
  const n = b + c;
  if (n === 0) return { b, c, pValue: 1, oddsRatio: 1, oddsRatioCi: { low: 0, high: Infinity } };
  // With min(b, c) ≥ (n − 1)/2 the smaller tail holds half the mass or more, so p is exactly 1.
  const smaller = Math.min(b, c);
  const pValue = 2 * smaller >= n - 1 ? 1 : Math.min(1, 2 * binomialCdf(smaller, n, 0.5));
  const alpha = 1 - confidence;
  // Each limit is a ratio of two quantiles computed directly (π and 1 − π), so neither loses digits near 0 or 1.
  const low = b === 0 ? 0 : betaQuantile(alpha / 2, b, c + 1) / betaQuantile(1 - alpha / 2, c + 1, b);
  const high = c === 0 ? Infinity : betaQuantile(1 - alpha / 2, b + 1, c) / betaQuantile(alpha / 2, c, b + 1);
  return { b, c, pValue, oddsRatio: c === 0 ? Infinity : b / c, oddsRatioCi: { low, high } };
}

export interface PairedTResult {
  readonly n: number;
  readonly meanDiff: number;
  /** Standard deviation of the differences (denominator n − 1). */
  readonly sd: number;
  readonly t: number;
  readonly df: number;
  readonly pValue: number;
  readonly ci: Interval;
}

/** Mean and standard deviation (two passes, denominator n − 1) of finite values; n ≥ 2. */
function meanAndSd(values: ArrayLike<number>): { n: number; mean: number; sd: number } {
  const n = values.length;
  if (n < 2) throw new RangeError(`Expected at least 2 differences, got ${n}`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i] as number;
    if (!Number.isFinite(value)) throw new RangeError(`Expected finite differences, got ${value} at index ${i}`);
    sum += value;
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += ((values[i] as number) - mean) ** 2;
  return { n, mean, sd: Math.sqrt(squares / (n - 1)) };
}

/**
 * The paired (one-sample) t test of mean difference 0, two-sided, with the confidence interval for the mean
 * difference, as R's t.test(x, y, paired = TRUE). Where R stops with "data are essentially constant" (standard error
 * below 10·ε·|mean|), this returns t = 0 and p = 1 if the mean is 0, else t = ±Infinity and p = 0, with the interval
 * [mean, mean].
 */
export function pairedTTest(diffs: ArrayLike<number>, confidence: number): PairedTResult {
  checkConfidence(confidence);
  const { n, mean, sd } = meanAndSd(diffs);
  const df = n - 1;
  const se = sd / Math.sqrt(n);
  if (se <= 10 * Number.EPSILON * Math.abs(mean)) {
    const t = mean === 0 ? 0 : Math.sign(mean) * Infinity;
    return { n, meanDiff: mean, sd, t, df, pValue: mean === 0 ? 1 : 0, ci: { low: mean, high: mean } };
  }
  const t = mean / se;
  const pValue = Math.min(1, 2 * studentTCdf(-Math.abs(t), df));
  const margin = studentTQuantile((1 + confidence) / 2, df) * se;
  return { n, meanDiff: mean, sd, t, df, pValue, ci: { low: mean - margin, high: mean + margin } };
}

export interface WilcoxonResult {
  /** Non-zero differences, the ones ranked. */
  readonly n: number;
  /** Zero differences, dropped before ranking. */
  readonly zeros: number;
  /** Whether any absolute differences tie. */
  readonly ties: boolean;
  /** V, the sum of the ranks of the positive differences. */
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'normal';
}

/**
 * The Wilcoxon signed-rank test of symmetry about 0, two-sided, as R's wilcox.test(x, y, paired = TRUE) with its
 * defaults: zeros dropped, ties given average ranks, V the sum of the positive ranks; the exact null distribution
 * when fewer than 50 differences remain and there are neither ties nor zeros, else the normal approximation with the
 * tie correction to the variance and a continuity correction of ½. O(n log n): two numeric sorts. When every
 * difference is zero (where R returns NaN) this returns V = 0 and p = 1.
 */
export function wilcoxonSignedRank(diffs: ArrayLike<number>): WilcoxonResult {
  const total = diffs.length;
  let nonZero = 0;
  let positives = 0;
  for (let i = 0; i < total; i++) {
    const value = diffs[i] as number;
    if (!Number.isFinite(value)) throw new RangeError(`Expected finite differences, got ${value} at index ${i}`);
    if (value !== 0) nonZero++;
    if (value > 0) positives++;
  }
  const zeros = total - nonZero;
  const n = nonZero;
  if (n === 0) return { n, zeros, ties: false, statistic: 0, pValue: 1, method: 'normal' };
  const magnitudes = new Float64Array(n);
  const positive = new Float64Array(positives);
  for (let i = 0, m = 0, p = 0; i < total; i++) {
    const value = diffs[i] as number;
    if (value !== 0) magnitudes[m++] = Math.abs(value);
    if (value > 0) positive[p++] = value;
  }
  magnitudes.sort();
  positive.sort();
  // Walk the groups of equal magnitudes; each gets the average of the ranks it spans, and the positives of that
  // magnitude (found by walking the sorted positives alongside) contribute that rank each.
  let statistic = 0;
  let tieTerm = 0;
  let cursor = 0;
  for (let start = 0; start < n;) {
    const value = magnitudes[start] as number;
    let end = start + 1;
    while (end < n && magnitudes[end] === value) end++;
    const size = end - start;
    const averageRank = (start + 1 + end) / 2;
    let count = 0;
    while (cursor < positives && (positive[cursor] as number) === value) {
      cursor++;
      count++;
    }
    statistic += count * averageRank;
    if (size > 1) tieTerm += size * size * size - size;
    start = end;
  }
  const ties = tieTerm > 0;
  if (n < 50 && !ties && zeros === 0) {
    return { n, zeros, ties, statistic, pValue: signedRankExactPValue(statistic, n), method: 'exact' };
  }
  const centred = statistic - (n * (n + 1)) / 4;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  const z = (centred - Math.sign(centred) * 0.5) / sigma;
  const pValue = Math.min(1, 2 * Math.min(normalCdf(z), normalCdf(-z)));
  return { n, zeros, ties, statistic, pValue, method: 'normal' };
}

/** Two-sided exact p-value of V for n untied non-zero differences, as R: 2·P[V ≤ v] or 2·P[V ≥ v], capped at 1. */
function signedRankExactPValue(v: number, n: number): number {
  // counts[s] = number of subsets of {1..n} summing to s; there are 2^n equally likely sign patterns.
  const maximum = (n * (n + 1)) / 2;
  const counts = new Float64Array(maximum + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    for (let s = (k * (k + 1)) / 2; s >= k; s--) counts[s] = (counts[s] as number) + (counts[s - k] as number);
  }
  const lowerTail = v > maximum / 2 ? maximum - v : v; // P[V ≥ v] = P[V ≤ maximum − v] by symmetry
  let cumulative = 0;
  for (let s = 0; s <= lowerTail; s++) cumulative += counts[s] as number;
  return Math.min(1, (2 * cumulative) / 2 ** n);
}

export interface EffectSize {
  readonly estimate: number;
  readonly ci: Interval;
}

/**
 * Cohen's d_z for paired differences, mean / sd, with the exact interval of Steiger & Fouladi (1997): the
 * noncentrality parameters δ at which the observed t = d_z·√n sits at the (1 ± confidence)/2 points of the
 * noncentral t on n − 1 df, divided by √n (what effectsize::cohens_d(x − y) computes, there by optimisation). With
 * zero spread the estimate is 0 for a zero mean, else ±Infinity, and the interval is that single point.
 */
export function cohenDPaired(diffs: ArrayLike<number>, confidence: number): EffectSize {
  checkConfidence(confidence);
  const { n, mean, sd } = meanAndSd(diffs);
  if (sd / Math.sqrt(n) <= 10 * Number.EPSILON * Math.abs(mean)) {
    const estimate = mean === 0 ? 0 : Math.sign(mean) * Infinity;
    return { estimate, ci: { low: estimate, high: estimate } };
  }
  const estimate = mean / sd;
  const t = estimate * Math.sqrt(n);
  const df = n - 1;
  const low = noncentralityFor(t, df, (1 + confidence) / 2);
  const high = noncentralityFor(t, df, (1 - confidence) / 2);
  return { estimate, ci: { low: low / Math.sqrt(n), high: high / Math.sqrt(n) } };
}

/**
 * The δ with P[T ≤ t; df, δ] = level (decreasing in δ). T given δ is about normal with mean δ and variance
 * 1 + δ²/(2·df), which places a first bracket; it is widened until it holds the root, and Brent's method closes it
 * to full precision in a dozen evaluations (each one costs milliseconds at a million rows).
 */
function noncentralityFor(t: number, df: number, level: number): number {
  const f = (delta: number): number => noncentralTCdf(t, df, delta) - level;
  const spread = Math.sqrt(1 + (t * t) / (2 * df));
  const guess = t - normalQuantile(level) * spread;
  let step = 0.25 * spread;
  let low = guess - step;
  let high = guess + step;
  let fLow = f(low);
  let fHigh = f(high);
  while (fLow < 0) {
    [high, fHigh] = [low, fLow];
    step *= 2;
    low = guess - step;
    fLow = f(low);
  }
  while (fHigh > 0) {
    [low, fLow] = [high, fHigh];
    step *= 2;
    high = guess + step;
    fHigh = f(high);
  }
  return brentRoot(f, low, high, fLow, fHigh);
}

/**
 * A root of f in [a, b], where f(a) and f(b) differ in sign, by Brent's (1973) method: inverse quadratic
 * interpolation or secant steps, falling back to bisection whenever they would not shrink the bracket fast enough.
 */
function brentRoot(f: (x: number) => number, a: number, b: number, fa: number, fb: number): number {
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iteration = 0; iteration < 200; iteration++) {
    if (Math.sign(fb) === Math.sign(fc)) {
      c = a;
      fc = fa;
      d = e = b - a;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      [a, b, c] = [b, c, b];
      [fa, fb, fc] = [fb, fc, fb];
    }
    const tolerance = 2 * Number.EPSILON * Math.abs(b) + Number.MIN_VALUE;
    const half = 0.5 * (c - b);
    if (Math.abs(half) <= tolerance || fb === 0) return b;
    if (Math.abs(e) >= tolerance && Math.abs(fa) > Math.abs(fb)) {
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * half * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * half * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * half * q - Math.abs(tolerance * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = e = half;
      }
    } else {
      d = e = half;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tolerance ? d : Math.sign(half) * tolerance;
    fb = f(b);
  }
  return b;
}
