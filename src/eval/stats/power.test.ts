import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  pairedBinaryPower,
  pairedBinarySampleSize,
  pairedContinuousPower,
  pairedContinuousSampleSize,
} from './power.js';

/** Asserts |actual − expected| ≤ tolerance · |expected|. */
function close(actual: number, expected: number, tolerance = 1e-10, label = ''): void {
  const error = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(error <= tolerance, `${label} ${actual} vs ${expected}: relative error ${error} > ${tolerance}`);
}

describe('pairedContinuousSampleSize', () => {
  test('R power.t.test(delta = 1, sd = 1, power = 0.9, type = "paired") gives n = 12.58547 pairs, so 13 rows', () => {
    assert.equal(pairedContinuousSampleSize({ delta: 1, sd: 1, alpha: 0.05, power: 0.9 }), 13);
  });

  test('R power.t.test(delta = 0.1, sd = 0.5, power = 0.8, sig.level = 0.01, type = "paired"): n = 295.297 → 296', () => {
    assert.equal(pairedContinuousSampleSize({ delta: 0.1, sd: 0.5, alpha: 0.01, power: 0.8 }), 296);
  });

  test('a small effect: R power.t.test(delta = 0.02, sd = 0.3, power = 0.8, type = "paired"): n = 1767.92 → 1768', () => {
    assert.equal(pairedContinuousSampleSize({ delta: 0.02, sd: 0.3, alpha: 0.05, power: 0.8 }), 1768);
  });

  test('the sign of delta does not matter for a two-sided test', () => {
    assert.equal(pairedContinuousSampleSize({ delta: -1, sd: 1, alpha: 0.05, power: 0.9 }), 13);
  });

  test('the answer is the first whole number of rows whose power reaches the target', () => {
    // R: power.t.test(n = 12, ...) = 0.88289151774755725 < 0.9 ≤ power.t.test(n = 13, ...) = 0.91070842282588971.
    close(pairedContinuousPower(12, 1, 1, 0.05), 0.88289151774755725);
    close(pairedContinuousPower(13, 1, 1, 0.05), 0.91070842282588971);
  });

  test('rejects a zero effect or a non-positive sd', () => {
    assert.throws(() => pairedContinuousSampleSize({ delta: 0, sd: 1, alpha: 0.05, power: 0.8 }), RangeError);
    assert.throws(() => pairedContinuousSampleSize({ delta: 1, sd: 0, alpha: 0.05, power: 0.8 }), RangeError);
  });
});

describe('pairedContinuousPower', () => {
  test('R power.t.test(n = 20, delta = 1, sd = 1, type = "paired")$power = 0.98859129454456529 (strict = FALSE)', () => {
    close(pairedContinuousPower(20, 1, 1, 0.05), 0.98859129454456529);
  });

  test('at the fractional n R solves for, the power is the requested 0.9', () => {
    close(pairedContinuousPower(12.585474548896386, 1, 1, 0.05), 0.9, 1e-6);
  });

  test('is a probability at any number of rows: 100,000 rows for a difference of 0.02 with sd 0.25 have power 1 (was 1.0000000000200144)', () => {
    // The noncentral t's lower tail there is 2.3e-117 (ncp 25.3 on 99,999 df); the old series returned −2e-11.
    assert.equal(pairedContinuousPower(100_000, 0.02, 0.25, 0.05), 1);
    for (const [delta, sd] of [
      [0.02, 0.25],
      [0.001, 0.3],
      [0.5, 0.1],
      [3, 0.01],
    ] as const) {
      let previous = 0;
      for (const n of [2, 3, 10, 100, 1_000, 10_000, 100_000, 1e6, 1e7]) {
        const power = pairedContinuousPower(n, delta, sd, 0.05);
        assert.ok(power >= 0 && power <= 1, `n=${n} delta=${delta} sd=${sd}: power ${power}`);
        assert.ok(power >= previous, `n=${n} delta=${delta} sd=${sd}: power ${power} below ${previous}`);
        previous = power;
      }
    }
  });

  test('grows with the number of rows', () => {
    let previous = 0;
    for (const n of [2, 5, 10, 20, 50]) {
      const power = pairedContinuousPower(n, 0.5, 1, 0.05);
      assert.ok(power > previous);
      previous = power;
    }
  });
});

describe('pairedBinarySampleSize', () => {
  test('Connor (1987) p. 209 as worked on powerandsamplesize.com (McNemar Z-test, 2-sided): p01 = 0.45, p10 = 0.05, α = 0.05, power 0.8 → n = 22.01, 23 rows', () => {
    assert.equal(pairedBinarySampleSize({ p10: 0.05, p01: 0.45, alpha: 0.05, power: 0.8 }), 23);
    assert.equal(pairedBinarySampleSize({ p10: 0.45, p01: 0.05, alpha: 0.05, power: 0.8 }), 23);
  });

  test('an eval-sized case: 1% more rows fixed than broken among 6% discordant rows needs thousands of rows', () => {
    // ψ = 0.06, δ = 0.01: [1.959964·√0.06 + 0.841621·√0.0599]² / 0.0001 = 4706.97 (SciPy norm.ppf) → 4707.
    assert.equal(pairedBinarySampleSize({ p10: 0.035, p01: 0.025, alpha: 0.05, power: 0.8 }), 4707);
  });

  test('rejects equal discordant probabilities and probabilities summing past 1', () => {
    assert.throws(() => pairedBinarySampleSize({ p10: 0.1, p01: 0.1, alpha: 0.05, power: 0.8 }), RangeError);
    assert.throws(() => pairedBinarySampleSize({ p10: 0.7, p01: 0.4, alpha: 0.05, power: 0.8 }), RangeError);
  });
});

describe('pairedBinaryPower', () => {
  test('the same page’s power at n = 23 (both tails): 0.81940709176982418', () => {
    close(pairedBinaryPower(23, 0.05, 0.45, 0.05), 0.81940709176982418);
  });

  test('reaches the target at the sample size pairedBinarySampleSize returns, and not one row earlier', () => {
    for (const design of [
      { p10: 0.05, p01: 0.45, alpha: 0.05, power: 0.8 },
      { p10: 0.035, p01: 0.025, alpha: 0.05, power: 0.8 },
      { p10: 0.2, p01: 0.1, alpha: 0.01, power: 0.9 },
    ]) {
      const n = pairedBinarySampleSize(design);
      assert.ok(pairedBinaryPower(n, design.p10, design.p01, design.alpha) >= design.power);
      assert.ok(pairedBinaryPower(n - 1, design.p10, design.p01, design.alpha) < design.power);
    }
  });
});
