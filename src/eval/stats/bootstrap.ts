// Nonparametric bootstrap of a mean, with the percentile and BCa intervals (Efron 1987; Efron & Tibshirani 1993,
// ch. 14). Seeded and reproducible: resample j is drawn by a generator seeded from (seed, j) alone, so the same seed
// gives the same result whether it runs inline, in one worker thread or in several. Big inputs are split across
// worker threads by resample, with the values in a SharedArrayBuffer; small ones run inline. A sample of at most 16
// distinct values (binary scores, 1–5 ratings, paired differences of binary scores) is resampled as a multinomial
// of its value counts (discrete-means.ts): the same distribution, in time independent of n.
//
// Definitions, so that results can be checked by hand:
// - percentile interval: the type 7 quantiles (R's default: linear interpolation between order statistics, h =
//   (B − 1)·p) of the B resample means at (1 − confidence)/2 and (1 + confidence)/2;
// - BCa: the same quantiles at Φ(z0 + (z0 + z_α)/(1 − a(z0 + z_α))), where z0 = Φ⁻¹(share of resample means below
//   the observed mean, ties counted half) and a = Σ(x_i − x̄)³ / (6 (Σ(x_i − x̄)²)^{3/2}), the jackknife acceleration
//   (for the mean the jackknife values are closed-form, so this is exact and O(n)). A resample mean ties the observed
//   one when the two differ by no more than the rounding of their sums can account for (tieTolerance): values such
//   as F1's 0.2, 0.4, 0.6 are not binary fractions, so equal means summed in different orders differ in the last
//   bits, and a discrete sample has many resamples on its observed mean;
// - se: the standard deviation of the resample means (denominator B − 1).
// BCa is undefined (bca: undefined) when the data are degenerate (fewer than two values, or all equal: then se is 0
// and the percentile interval is [mean, mean]), when every resample mean falls on one side of the observed mean (z0
// infinite), or when 1 − a(z0 + z_α) ≤ 0.

import { discreteMeans, distinctLevels, levelsMean, type Levels } from './discrete-means.js';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BootstrapWorkerData } from './bootstrap-worker.js';
import { normalCdf, normalQuantile } from './distributions.js';
import { MAX_RESAMPLE_LENGTH, resampleMeans } from './resample-means.js';

const EPSILON = Number.EPSILON;

export interface Interval {
  readonly low: number;
  readonly high: number;
}

export interface BootstrapOptions {
  /** Number of bootstrap resamples, B (an integer ≥ 2; 2,000 or more for BCa). */
  readonly resamples: number;
  /** Two-sided coverage of the intervals, in (0, 1), e.g. 0.95. */
  readonly confidence: number;
  /** Any safe integer; the same seed gives the same result. */
  readonly seed: number;
  /** Worker threads for large inputs. Does not change the result. @default min(2, os.availableParallelism()) */
  readonly threads?: number;
}

export interface BootstrapResult {
  readonly n: number;
  readonly mean: number;
  readonly se: number;
  readonly percentile: Interval;
  readonly bca: Interval | undefined;
}

/** Below this many draws (n × resamples) the work runs inline: starting workers would cost more than it saves. */
export const INLINE_DRAW_LIMIT = 5e6;

/** Bootstrap of the mean of `values`, in worker threads when the input is large. */
export async function bootstrapMean(values: Float64Array, options: BootstrapOptions): Promise<BootstrapResult> {
  const checked = check(values, options);
  if (checked.degenerate) return degenerateResult(values.length, checked.mean);
  const threads = options.threads ?? Math.min(2, availableParallelism());
  const levels = distinctLevels(values);
  const means = levels
    ? discreteMeans(levels, values.length, options.seed, options.resamples)
    : values.length * options.resamples < INLINE_DRAW_LIMIT
      ? inlineMeans(values, options)
      : await workerMeans(values, options.seed, options.resamples, threads);
  return summarise(values, checked.mean, means, options.confidence, tieTolerance(values.length, checked, levels));
}

/** The same computation as bootstrapMean, on the calling thread (for small inputs and tests). */
export function bootstrapMeanSync(values: Float64Array, options: BootstrapOptions): BootstrapResult {
  const checked = check(values, options);
  if (checked.degenerate) return degenerateResult(values.length, checked.mean);
  const levels = distinctLevels(values);
  const means = levels
    ? discreteMeans(levels, values.length, options.seed, options.resamples)
    : inlineMeans(values, options);
  return summarise(values, checked.mean, means, options.confidence, tieTolerance(values.length, checked, levels));
}

/** The observed mean as the resamples' means are computed, and how far from it a resample mean still ties it. */
interface Ties {
  readonly centre: number;
  readonly tolerance: number;
}

/**
 * Rounding bounds, with ε = 2^−52: a mean of L levels summed count × value errs by at most (L + 1)·ε/2·max|x|, and
 * one of n rows summed in turn by n·ε/2·max|x|; values equal in decimals but not in binary (3 × 0.2 against 0.6)
 * add ε·max|x| between two resamples whose decimal sums agree. Both sides of the comparison err, hence the sums
 * below. These are far below the spacing of a discrete sample's possible means (its smallest level gap over n), so
 * distinct means never merge; for continuous data they change nothing measurable.
 */
function tieTolerance(n: number, checked: { mean: number; maxAbs: number }, levels: Levels | undefined): Ties {
  if (levels) {
    return { centre: levelsMean(levels, n), tolerance: (levels.values.length + 3) * EPSILON * checked.maxAbs };
  }
  return { centre: checked.mean, tolerance: (n + 1) * EPSILON * checked.maxAbs };
}

function check(values: Float64Array, options: BootstrapOptions): { mean: number; maxAbs: number; degenerate: boolean } {
  const { resamples, confidence, seed, threads } = options;
  if (!Number.isInteger(resamples) || resamples < 2) {
    throw new RangeError(`Expected \`resamples\` to be an integer ≥ 2, got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`Expected \`confidence\` to be in (0, 1), got ${confidence}`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`Expected \`seed\` to be a safe integer, got ${seed}`);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new RangeError(`Expected \`threads\` to be a positive integer, got ${threads}`);
  }
  const n = values.length;
  if (n === 0 || n > MAX_RESAMPLE_LENGTH) throw new RangeError(`Expected 1 to 2^32 − 1 values, got ${n}`);
  let sum = 0;
  let maxAbs = 0;
  let allEqual = true;
  const first = values[0] as number;
  for (let i = 0; i < n; i++) {
    const value = values[i] as number;
    if (!Number.isFinite(value)) throw new RangeError(`Expected finite values, got ${value} at index ${i}`);
    sum += value;
    maxAbs = Math.max(maxAbs, Math.abs(value));
    if (value !== first) allEqual = false;
  }
  return { mean: allEqual ? first : sum / n, maxAbs, degenerate: allEqual || n < 2 };
}

function degenerateResult(n: number, mean: number): BootstrapResult {
  return { n, mean, se: 0, percentile: { low: mean, high: mean }, bca: undefined };
}

function inlineMeans(values: Float64Array, options: BootstrapOptions): Float64Array {
  const means = new Float64Array(options.resamples);
  resampleMeans(values, options.seed, 0, options.resamples, means);
  return means;
}

/** Splits the resamples into `threads` contiguous ranges, one worker each, all reading one shared copy of the values. */
async function workerMeans(
  values: Float64Array,
  seed: number,
  resamples: number,
  threads: number,
): Promise<Float64Array> {
  let shared: SharedArrayBuffer;
  let byteOffset = 0;
  if (values.buffer instanceof SharedArrayBuffer) {
    shared = values.buffer;
    byteOffset = values.byteOffset;
  } else {
    shared = new SharedArrayBuffer(values.byteLength);
    new Float64Array(shared).set(values);
  }
  const meansBuffer = new SharedArrayBuffer(resamples * Float64Array.BYTES_PER_ELEMENT);
  const workers = Math.min(threads, resamples);
  const url = new URL('./bootstrap-worker.js', import.meta.url);
  const runs: Promise<void>[] = [];
  for (let w = 0; w < workers; w++) {
    const first = Math.floor((w * resamples) / workers);
    const end = Math.floor(((w + 1) * resamples) / workers);
    const data: BootstrapWorkerData = {
      values: shared,
      byteOffset,
      length: values.length,
      means: meansBuffer,
      seed,
      first,
      end,
    };
    runs.push(runWorker(url, data));
  }
  await Promise.all(runs);
  return new Float64Array(meansBuffer);
}

function runWorker(url: URL, data: BootstrapWorkerData): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { workerData: data });
    let done = false;
    worker.once('message', () => {
      done = true;
      resolve();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`bootstrap worker exited with code ${code} before finishing`));
    });
  });
}

/** Percentile and BCa intervals and the standard error from the resample means. */
function summarise(
  values: Float64Array,
  mean: number,
  means: Float64Array,
  confidence: number,
  ties: Ties,
): BootstrapResult {
  const resamples = means.length;
  const belowTies = ties.centre - ties.tolerance;
  const aboveTies = ties.centre + ties.tolerance;
  let below = 0;
  let equal = 0;
  let sum = 0;
  for (let j = 0; j < resamples; j++) {
    const m = means[j] as number;
    sum += m;
    if (m < belowTies) below++;
    else if (m <= aboveTies) equal++;
  }
  const average = sum / resamples;
  let squares = 0;
  for (let j = 0; j < resamples; j++) squares += ((means[j] as number) - average) ** 2;
  const sorted = Float64Array.from(means).sort();
  const lowerAlpha = (1 - confidence) / 2;
  const upperAlpha = (1 + confidence) / 2;
  const percentile = { low: quantileSorted(sorted, lowerAlpha), high: quantileSorted(sorted, upperAlpha) };
  const z0 = normalQuantile((below + 0.5 * equal) / resamples);
  const acceleration = jackknifeAcceleration(values, mean);
  const low = bcaLevel(lowerAlpha, z0, acceleration);
  const high = bcaLevel(upperAlpha, z0, acceleration);
  const bca =
    low === undefined || high === undefined
      ? undefined
      : { low: quantileSorted(sorted, low), high: quantileSorted(sorted, high) };
  return { n: values.length, mean, se: Math.sqrt(squares / (resamples - 1)), percentile, bca };
}

/** The BCa-adjusted level for nominal level alpha, or undefined where the adjustment breaks down. */
export function bcaLevel(alpha: number, z0: number, acceleration: number): number | undefined {
  if (!Number.isFinite(z0)) return undefined;
  const w = z0 + normalQuantile(alpha);
  const denominator = 1 - acceleration * w;
  if (!(denominator > 0)) return undefined;
  return normalCdf(z0 + w / denominator);
}

/**
 * The jackknife acceleration of the mean: with θ₍ᵢ₎ the mean without value i, θ₍·₎ − θ₍ᵢ₎ = (x_i − x̄)/(n − 1), so
 * a = Σ(x_i − x̄)³ / (6 (Σ(x_i − x̄)²)^{3/2}). Zero when all values are equal.
 */
export function jackknifeAcceleration(values: ArrayLike<number>, mean: number): number {
  let squares = 0;
  let cubes = 0;
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] as number) - mean;
    squares += d * d;
    cubes += d * d * d;
  }
  return squares === 0 ? 0 : cubes / (6 * Math.pow(squares, 1.5));
}

/** R's type 7 quantile of an ascending array: linear interpolation at h = (length − 1)·p. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const below = Math.floor(h);
  const low = sorted[below] as number;
  const high = sorted[Math.min(below + 1, sorted.length - 1)] as number;
  return low + (h - below) * (high - low);
}
