// Bootstrap benchmark: 1,000,000 per-row scores × 2,000 resamples, the size of a large `llmap eval`. llmap's
// bootstrapMean (seeded, block-split draws, two worker threads) against the loop a user would write — Math.random
// indices into a plain Array, means pushed to an Array and sorted for the percentile interval — in one invocation.
// The user loop runs 100 of the 2,000 resamples and is extrapolated ×20 (it is linear in resamples; the full run
// would take minutes). Figures are reported, never asserted.

import { performance } from 'node:perf_hooks';
import { bootstrapMean } from '../src/eval/stats/bootstrap.js';
import { Xoshiro128 } from '../src/eval/stats/random.js';

const ROWS = 1_000_000;
const RESAMPLES = 2_000;
const BASELINE_RESAMPLES = 100;

/** What a user writes: Math.random, an Array, push and sort; the percentile interval at 2.5% and 97.5%. */
export function userBootstrap(values: number[], resamples: number): [number, number] {
  const means: number[] = [];
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[Math.floor(Math.random() * values.length)] ?? 0;
    means.push(sum / values.length);
  }
  means.sort((x, y) => x - y);
  return [means[Math.floor(0.025 * resamples)] ?? NaN, means[Math.floor(0.975 * resamples)] ?? NaN];
}

export async function bootstrapBench(): Promise<string[]> {
  // Scores in [0, 1) from a seeded generator: continuous values, so no shortcut for 0/1 data applies.
  const rng = new Xoshiro128(1, 2, 3, 4);
  const scores = Float64Array.from({ length: ROWS }, () => rng.nextDouble());
  const report: string[] = [];
  const line = (label: string, seconds: number, baseline?: number, note = ''): string =>
    `bootstrap  ${label.padEnd(46)} ${seconds.toFixed(2).padStart(7)} s` +
    (baseline === undefined ? '  1.00× (baseline)' : `  ${(baseline / seconds).toFixed(1)}× faster`) +
    note;

  const asArray = Array.from(scores);
  let started = performance.now();
  userBootstrap(asArray, BASELINE_RESAMPLES);
  const baseline = ((performance.now() - started) / 1000) * (RESAMPLES / BASELINE_RESAMPLES);
  report.push(
    line(
      `user loop (Math.random, Array), ${RESAMPLES} resamples`,
      baseline,
      undefined,
      `  (${BASELINE_RESAMPLES} run, ×${RESAMPLES / BASELINE_RESAMPLES})`,
    ),
  );

  for (const threads of [1, 2]) {
    started = performance.now();
    const result = await bootstrapMean(scores, { resamples: RESAMPLES, confidence: 0.95, seed: 1, threads });
    const seconds = (performance.now() - started) / 1000;
    const bca = result.bca ? `, BCa [${result.bca.low.toFixed(5)}, ${result.bca.high.toFixed(5)}]` : '';
    report.push(
      line(`llmap bootstrapMean, threads ${threads}`, seconds, baseline, `  (mean ${result.mean.toFixed(5)}${bca})`),
    );
  }
  report.push(`bootstrap  ${ROWS.toLocaleString('en-US')} values × ${RESAMPLES.toLocaleString('en-US')} resamples`);
  return report;
}
