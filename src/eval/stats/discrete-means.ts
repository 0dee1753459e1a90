// Resample means of a sample with few distinct values (binary scores, a judge's 1–5, paired differences of binary
// scores in {−1, 0, 1}) without touching the rows: resampling n rows with replacement draws each distinct value a
// Multinomial(n, counts / n) number of times, and the multinomial is drawn exactly as a chain of binomials, each
// conditioned on those before it. The same distribution as the row-by-row bootstrap, at a cost per resample that
// depends on the number of distinct values, not on n: a million binary scores × 2,000 resamples take milliseconds.

import { binomial, Xoshiro128 } from './random.js';

/** Samples with more distinct values than this take the row-by-row path. */
export const MAX_LEVELS = 16;

export interface Levels {
  readonly values: readonly number[];
  readonly counts: readonly number[];
}

/** The distinct values and their counts, or undefined when there are more than MAX_LEVELS. */
export function distinctLevels(values: Float64Array): Levels | undefined {
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    const count = counts.get(value);
    if (count !== undefined) counts.set(value, count + 1);
    else if (counts.size === MAX_LEVELS) return undefined;
    else counts.set(value, 1);
  }
  const sorted = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  return { values: sorted.map(([v]) => v), counts: sorted.map(([, c]) => c) };
}

/** The means of resamples 0..resamples−1, each from its own generator (seed, index), as the row-by-row path seeds. */
export function discreteMeans(levels: Levels, n: number, seed: number, resamples: number): Float64Array {
  const means = new Float64Array(resamples);
  const last = levels.values.length - 1;
  for (let j = 0; j < resamples; j++) {
    const rng = Xoshiro128.forResample(seed, j);
    let drawsLeft = n;
    let massLeft = n;
    let sum = 0;
    for (let level = 0; level < last && drawsLeft > 0; level++) {
      const count = levels.counts[level]!;
      const draws = binomial(rng, drawsLeft, Math.min(1, count / massLeft));
      sum += draws * levels.values[level]!;
      drawsLeft -= draws;
      massLeft -= count;
    }
    sum += drawsLeft * levels.values[last]!;
    means[j] = sum / n;
  }
  return means;
}

/**
 * The mean of the sample itself, summed exactly as discreteMeans sums a resample (level by level, count × value),
 * so that a resample drawing every level its own count of times has this very mean.
 */
export function levelsMean(levels: Levels, n: number): number {
  let sum = 0;
  for (let level = 0; level < levels.values.length; level++) sum += levels.counts[level]! * levels.values[level]!;
  return sum / n;
}
