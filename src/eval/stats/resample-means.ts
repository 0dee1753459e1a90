// The bootstrap's hot loop: the means of resamples first..end−1 of `values`, each drawn with replacement by its own
// xoshiro128** generator (random.ts), so a resample's mean depends only on (values, seed, its index) and never on
// which thread computed it. Shared by the inline path and the worker threads.
//
// A resample is n uniform draws from the n values. Drawn naively, each draw is a random read anywhere in the array,
// and an array of a million doubles does not fit in a core's cache. So the array is cut into blocks of 2^14 values
// (128 KiB) and the n draws are split among the blocks by a multinomial (a binomial per block, conditioned on those
// before it), then drawn uniformly inside each block in turn: the same distribution as n independent uniform draws,
// with every read a cache hit. Inside a full block the index is the top 14 bits of a 32-bit draw; in the last, partial
// block it is Lemire's multiply-shift with rejection, so both are exactly uniform.

import { binomial, Xoshiro128 } from './random.js';

const BLOCK_BITS = 14;
const BLOCK_SIZE = 1 << BLOCK_BITS;
const INVERSE_2_32 = 2 ** -32;

/** Largest n the index arithmetic is exact for (indices fit 32 bits; products fit a double's 53). */
export const MAX_RESAMPLE_LENGTH = 2 ** 32 - 1;

/** Writes the mean of resample j of `values` under `seed` to out[j], for first ≤ j < end. */
export function resampleMeans(values: Float64Array, seed: number, first: number, end: number, out: Float64Array): void {
  const n = values.length;
  if (n === 0 || n > MAX_RESAMPLE_LENGTH) throw new RangeError(`Expected 1 to 2^32 − 1 values, got ${n}`);
  const fullBlocks = Math.floor(n / BLOCK_SIZE);
  const tailStart = fullBlocks * BLOCK_SIZE;
  const tailSize = n - tailStart;
  for (let j = first; j < end; j++) {
    const rng = Xoshiro128.forResample(seed, j);
    let drawsLeft = n;
    let sizeLeft = n;
    let sum = 0;
    for (let block = 0; block < fullBlocks; block++) {
      const draws = sizeLeft === BLOCK_SIZE ? drawsLeft : binomial(rng, drawsLeft, BLOCK_SIZE / sizeLeft);
      drawsLeft -= draws;
      sizeLeft -= BLOCK_SIZE;
      sum += sumFullBlock(values, block * BLOCK_SIZE, draws, rng.state);
    }
    if (tailSize > 0) sum += sumPartialBlock(values, tailStart, tailSize, drawsLeft, rng.state);
    out[j] = sum / n;
  }
}

/** Sum of `draws` uniform draws from values[start .. start + 2^14), advancing the generator state in place. */
function sumFullBlock(values: Float64Array, start: number, draws: number, state: Int32Array): number {
  let s0 = state[0] ?? 0;
  let s1 = state[1] ?? 0;
  let s2 = state[2] ?? 0;
  let s3 = state[3] ?? 0;
  let sum = 0;
  for (let i = 0; i < draws; i++) {
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    sum += values[start + (r >>> (32 - BLOCK_BITS))] as number;
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
  return sum;
}

/** Sum of `draws` uniform draws from values[start .. start + size), size < 2^21, by Lemire's method. */
function sumPartialBlock(values: Float64Array, start: number, size: number, draws: number, state: Int32Array): number {
  let s0 = state[0] ?? 0;
  let s1 = state[1] ?? 0;
  let s2 = state[2] ?? 0;
  let s3 = state[3] ?? 0;
  // A draw r gives the index ⌊r·size / 2^32⌋ unless the low 32 bits of r·size fall below 2^32 mod size.
  const threshold = (-size >>> 0) % size;
  let sum = 0;
  let i = 0;
  while (i < draws) {
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    if (Math.imul(r, size) >>> 0 < threshold) continue;
    sum += values[start + Math.floor(r * size * INVERSE_2_32)] as number;
    i++;
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
  return sum;
}
