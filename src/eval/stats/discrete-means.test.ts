import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapMeanSync } from './bootstrap.js';
import { discreteMeans, distinctLevels, MAX_LEVELS } from './discrete-means.js';
import { resampleMeans } from './resample-means.js';

function moments(xs: Float64Array): { mean: number; sd: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / (xs.length - 1)) };
}

test('levels are the distinct values with their counts, and only up to 16 of them', () => {
  assert.deepEqual(distinctLevels(Float64Array.of(1, 0, 1, 1, -1)), { values: [-1, 0, 1], counts: [1, 1, 3] });
  assert.equal(distinctLevels(Float64Array.from({ length: MAX_LEVELS + 1 }, (_, i) => i)), undefined);
});

test('binary scores: resample means have the binomial mean and spread, as the row-by-row bootstrap has', () => {
  // 2,000 rows, 30% ones: a resample mean is Binomial(2000, 0.3) / 2000, sd sqrt(0.3 · 0.7 / 2000) = 0.010247.
  const values = Float64Array.from({ length: 2000 }, (_, i) => (i % 10 < 3 ? 1 : 0));
  const discrete = moments(discreteMeans(distinctLevels(values)!, values.length, 7, 20_000));
  const rows = new Float64Array(20_000);
  resampleMeans(values, 7, 0, 20_000, rows);
  const byRows = moments(rows);
  const sd = Math.sqrt((0.3 * 0.7) / 2000);
  for (const m of [discrete, byRows]) {
    assert.ok(Math.abs(m.mean - 0.3) < 4 * (sd / Math.sqrt(20_000)), `mean ${m.mean}`);
    assert.ok(Math.abs(m.sd / sd - 1) < 0.03, `sd ${m.sd} against ${sd}`);
  }
});

test('three levels (paired differences of binary scores): the multinomial chain keeps each level’s share', () => {
  // 100 × −1, 700 × 0, 200 × +1: mean 0.1, and a resample mean's variance is Var(X) / n.
  const values = Float64Array.from({ length: 1000 }, (_, i) => (i < 100 ? -1 : i < 800 ? 0 : 1));
  const variance = 0.1 + 0.2 - 0.1 ** 2;
  const m = moments(discreteMeans(distinctLevels(values)!, values.length, 3, 20_000));
  assert.ok(Math.abs(m.mean - 0.1) < 4 * Math.sqrt(variance / 1000 / 20_000));
  assert.ok(Math.abs(m.sd / Math.sqrt(variance / 1000) - 1) < 0.03);
});

test('a million binary scores × 2,000 resamples: the interval has the binomial width and is reproducible by seed', () => {
  const values = Float64Array.from({ length: 1_000_000 }, (_, i) => ((i * 2654435761) % 1000 < 870 ? 1 : 0));
  const a = bootstrapMeanSync(values, { resamples: 2000, confidence: 0.95, seed: 11 });
  const b = bootstrapMeanSync(values, { resamples: 2000, confidence: 0.95, seed: 11 });
  assert.deepEqual(a, b);
  // The normal-theory half-width at p = 0.87, n = 1e6 is 1.96 · sqrt(0.87 · 0.13 / 1e6) = 0.000659.
  const half = (a.percentile.high - a.percentile.low) / 2;
  assert.ok(Math.abs(half / 0.000659 - 1) < 0.1, `half-width ${half}`);
});
