// Seeded random numbers for the bootstrap: Blackman & Vigna's xoshiro128** on 32-bit integers, one generator per
// resample seeded from (seed, resample index) through SplitMix64, and exact binomial variates (inversion for small
// means, Hörmann's 1993 BTRD otherwise). Never Math.random: the same seed gives the same numbers on every machine,
// in any thread.

import { logGamma } from './distributions.js';

const MASK_64 = (1n << 64n) - 1n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

/** Output number `index` (0-based) of Vigna's SplitMix64 started from state `seed`. */
export function splitMix64(seed: bigint, index: bigint): bigint {
  let z = (seed + (index + 1n) * GOLDEN_GAMMA) & MASK_64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return z ^ (z >> 31n);
}

/** xoshiro128** (Blackman & Vigna 2018): 128 bits of state in an Int32Array that hot loops may load and store. */
export class Xoshiro128 {
  readonly state: Int32Array;

  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.state = Int32Array.of(s0, s1, s2, s3);
    if ((s0 | s1 | s2 | s3) === 0) throw new RangeError('xoshiro128** state must not be all zero');
  }

  /**
   * The generator of bootstrap resample `resample` under `seed` (a safe integer): its state is SplitMix64 outputs
   * 2·resample and 2·resample + 1 from `seed`, low word first. Distinct resamples get distinct states.
   */
  static forResample(seed: number, resample: number): Xoshiro128 {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Expected \`seed\` to be a safe integer, got ${seed}`);
    const start = BigInt.asUintN(64, BigInt(seed));
    const first = splitMix64(start, 2n * BigInt(resample));
    const second = splitMix64(start, 2n * BigInt(resample) + 1n);
    const words = [first & 0xffffffffn, first >> 32n, second & 0xffffffffn, second >> 32n].map((w) => Number(w) | 0);
    const [s0 = 0, s1 = 0, s2 = 0, s3 = 0] = words;
    return (s0 | s1 | s2 | s3) === 0 ? new Xoshiro128(1, 0, 0, 0) : new Xoshiro128(s0, s1, s2, s3);
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const s = this.state;
    const s0 = s[0] ?? 0;
    const s1 = s[1] ?? 0;
    let s2 = s[2] ?? 0;
    let s3 = s[3] ?? 0;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ t;
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** A uniform double in the open interval (0, 1), from 53 random bits. */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low + 0.5) / 9007199254740992;
  }
}

/** fc(k) = ln k! − [(k + ½) ln(k + 1) − (k + 1) + ln √(2π)], the Stirling remainder BTRD uses. */
function stirlingTail(k: number): number {
  const x = k + 1;
  if (x >= 15) {
    const x2 = x * x;
    return (1 / 12 - (1 / 360 - 1 / (1260 * x2)) / x2) / x;
  }
  return logGamma(x) - ((x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI));
}

/** A Binomial(n, p) variate drawn from `rng`; exact (no normal approximation) for every n < 2^53. */
export function binomial(rng: Xoshiro128, n: number, p: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Expected a non-negative integer n, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`Expected a probability in [0, 1], got ${p}`);
  if (n === 0 || p === 0) return 0;
  if (p === 1) return n;
  if (p > 0.5) return n - binomial(rng, n, 1 - p);
  return n * p < 10 ? binomialInversion(rng, n, p) : binomialBtrd(rng, n, p);
}

/** Sequential search from 0 (mean below 10, so a few steps on average), restarted if rounding runs it away. */
function binomialInversion(rng: Xoshiro128, n: number, p: number): number {
  const q = 1 - p;
  const start = Math.exp(n * Math.log1p(-p));
  const bound = Math.min(n, n * p + 10 * Math.sqrt(n * p * q + 1));
  for (;;) {
    let u = rng.nextDouble();
    let k = 0;
    let probability = start;
    while (u > probability && k <= bound) {
      u -= probability;
      k++;
      probability *= ((n - k + 1) * p) / (k * q);
    }
    if (k <= bound) return k;
  }
}

/**
 * Hörmann (1993), "The generation of binomial random variates", algorithm BTRD: transformed rejection with a
 * decomposition, for p ≤ ½ and np ≥ 10. The step numbers follow the paper.
 */
function binomialBtrd(rng: Xoshiro128, n: number, p: number): number {
  const q = 1 - p;
  const m = Math.floor((n + 1) * p);
  const r = p / q;
  const nr = (n + 1) * r;
  const npq = n * p * q;
  const spq = Math.sqrt(npq);
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const alpha = (2.83 + 5.1 / b) * spq;
  const vr = 0.92 - 4.2 / b;
  const urvr = 0.86 * vr;
  for (;;) {
    // 1: the central region, accepted without evaluating the distribution.
    let v = rng.nextDouble();
    let u: number;
    if (v <= urvr) {
      u = v / vr - 0.43;
      return Math.floor(((2 * a) / (0.5 - Math.abs(u)) + b) * u + c);
    }
    // 2: draw (U, V) for the rejection step.
    if (v >= vr) {
      u = rng.nextDouble() - 0.5;
    } else {
      u = v / vr - 0.93;
      u = Math.sign(u) * 0.5 - u;
      v = rng.nextDouble() * vr;
    }
    // 3.0
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    v = (v * alpha) / (a / (us * us) + b);
    const km = Math.abs(k - m);
    if (km <= 15) {
      // 3.1: f(k) / f(m) by the recursion f(i) / f(i − 1) = nr / i − r.
      let f = 1;
      if (m < k) {
        for (let i = m + 1; i <= k; i++) f *= nr / i - r;
      } else if (m > k) {
        for (let i = k + 1; i <= m; i++) v *= nr / i - r;
      }
      if (v <= f) return k;
      continue;
    }
    // 3.2: squeeze on the log scale.
    v = Math.log(v);
    const rho = (km / npq) * (((km / 3 + 0.625) * km + 1 / 6) / npq + 0.5);
    const t = (-km * km) / (2 * npq);
    if (v < t - rho) return k;
    if (v > t + rho) continue;
    // 3.3 and 3.4: the exact test, with Stirling remainders.
    const nm = n - m + 1;
    const h = (m + 0.5) * Math.log((m + 1) / (r * nm)) + stirlingTail(m) + stirlingTail(n - m);
    const nk = n - k + 1;
    if (
      v <=
      h + (n + 1) * Math.log(nm / nk) + (k + 0.5) * Math.log((nk * r) / (k + 1)) - stirlingTail(k) - stirlingTail(n - k)
    ) {
      return k;
    }
  }
}
