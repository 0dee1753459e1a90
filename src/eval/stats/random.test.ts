import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { binomialCdf, normalQuantile } from './distributions.js';
import { binomial, splitMix64, Xoshiro128 } from './random.js';

describe('splitMix64', () => {
  test('seed 0 gives e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f (Vigna’s splitmix64.c)', () => {
    assert.deepEqual(
      [0n, 1n, 2n].map((i) => splitMix64(0n, i)),
      [0xe220a8397b1dcdafn, 0x6e789e6aa1b965f4n, 0x06c45d188009454fn],
    );
  });

  test('seed 1234567 gives 6457827717110365317, 3203168211198807973, 9817491932198370423 (Rosetta Code, Pseudo-random numbers/Splitmix64)', () => {
    assert.deepEqual(
      [0n, 1n, 2n].map((i) => splitMix64(1234567n, i)),
      [6457827717110365317n, 3203168211198807973n, 9817491932198370423n],
    );
  });
});

describe('Xoshiro128', () => {
  test('from state {1, 2, 3, 4} gives the reference xoshiro128starstar.c outputs (the test vector of Rust’s rand_xoshiro)', () => {
    const rng = new Xoshiro128(1, 2, 3, 4);
    assert.deepEqual(
      Array.from({ length: 10 }, () => rng.nextUint32()),
      [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804],
    );
  });

  test('a resample’s generator depends only on (seed, resample index)', () => {
    const draw = (seed: number, resample: number): number[] => {
      const rng = Xoshiro128.forResample(seed, resample);
      return Array.from({ length: 4 }, () => rng.nextUint32());
    };
    assert.deepEqual(draw(42, 7), draw(42, 7));
    assert.notDeepEqual(draw(42, 7), draw(42, 8));
    assert.notDeepEqual(draw(42, 7), draw(43, 7));
    assert.notDeepEqual(draw(-1, 0), draw(1, 0));
  });

  test('its state is SplitMix64 outputs 2j and 2j + 1 from the seed, low word first', () => {
    const rng = Xoshiro128.forResample(1234567, 0);
    const first = 6457827717110365317n;
    const second = 3203168211198807973n;
    assert.deepEqual(
      [...rng.state].map((w) => w >>> 0),
      [first & 0xffffffffn, first >> 32n, second & 0xffffffffn, second >> 32n].map(Number),
    );
  });

  test('rejects a non-integer seed', () => {
    assert.throws(() => Xoshiro128.forResample(1.5, 0), RangeError);
  });

  test('nextDouble is strictly inside (0, 1) with mean ½ and variance 1/12', () => {
    const rng = new Xoshiro128(9, 8, 7, 6);
    let sum = 0;
    let squares = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const u = rng.nextDouble();
      assert.ok(u > 0 && u < 1);
      sum += u;
      squares += u * u;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean - 0.5) < 4 * Math.sqrt(1 / 12 / n));
    assert.ok(Math.abs(squares / n - mean * mean - 1 / 12) < 0.002);
  });
});

/**
 * Pearson's chi-square of `draws` Binomial(n, p) variates against the exact distribution: cells k from 10 standard
 * deviations below the mean to 10 above (the mass outside joins the end cells), merged to ≥ 20 expected.
 */
function chiSquare(n: number, p: number, draws: number, seed: number): { statistic: number; df: number } {
  const rng = Xoshiro128.forResample(seed, 0);
  const spread = 10 * Math.sqrt(n * p * (1 - p)) + 10;
  const first = Math.max(0, Math.floor(n * p - spread));
  const last = Math.min(n, Math.ceil(n * p + spread));
  const counts = new Float64Array(last - first + 1);
  for (let i = 0; i < draws; i++) {
    const k = binomial(rng, n, p);
    assert.ok(Number.isInteger(k) && k >= 0 && k <= n);
    const cell = Math.min(Math.max(k, first), last) - first;
    counts[cell] = (counts[cell] ?? 0) + 1;
  }
  let statistic = 0;
  let df = -1;
  let expected = 0;
  let observed = 0;
  let previous = 0;
  for (let k = first; k <= last; k++) {
    const cumulative = k === last ? 1 : binomialCdf(k, n, p);
    expected += (cumulative - previous) * draws;
    previous = cumulative;
    observed += counts[k - first] ?? 0;
    if (expected >= 20 && (1 - cumulative) * draws >= 20) {
      statistic += (observed - expected) ** 2 / expected;
      df++;
      expected = 0;
      observed = 0;
    }
  }
  statistic += (observed - expected) ** 2 / expected;
  df++;
  return { statistic, df };
}

/** The 0.999 point of chi-square on df degrees of freedom (Wilson–Hilferty). */
const chiSquare999 = (df: number): number =>
  df * (1 - 2 / (9 * df) + normalQuantile(0.999) * Math.sqrt(2 / (9 * df))) ** 3;

describe('binomial', () => {
  for (const [n, p, path] of [
    [20, 0.3, 'inversion'],
    [1000, 0.004, 'inversion'],
    [31, 0.5, 'BTRD, mean 15.5'],
    [1000, 0.5, 'BTRD'],
    [100_000, 1 / 61, 'BTRD, the block split of a bootstrap over 10^5 values'],
    [1_000_000, 0.9, 'BTRD on 1 − p'],
  ] as const) {
    test(`Binomial(${n}, ${p.toPrecision(3)}) (${path}) fits the exact distribution by chi-square at the 0.1% level`, () => {
      const { statistic, df } = chiSquare(n, p, 100_000, 2024);
      assert.ok(statistic < chiSquare999(df), `chi-square ${statistic} on ${df} df`);
    });
  }

  test('is 0 for n = 0 or p = 0 and n for p = 1', () => {
    const rng = new Xoshiro128(1, 2, 3, 4);
    assert.equal(binomial(rng, 0, 0.5), 0);
    assert.equal(binomial(rng, 10, 0), 0);
    assert.equal(binomial(rng, 10, 1), 10);
  });
});
