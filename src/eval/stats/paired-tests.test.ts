import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { referenceNoncentralTCdf } from './noncentral-t-reference.test.util.js';
import { cohenDPaired, mcnemarExact, pairedTTest, wilcoxonSignedRank } from './paired-tests.js';

/** Asserts |actual − expected| ≤ tolerance · |expected|. */
function close(actual: number, expected: number, tolerance = 1e-12, label = ''): void {
  const error = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(error <= tolerance, `${label} ${actual} vs ${expected}: relative error ${error} > ${tolerance}`);
}

/** Asserts |actual − expected| ≤ tolerance (absolute error, for probabilities). */
function near(actual: number, expected: number, tolerance: number, label = ''): void {
  const error = Math.abs(actual - expected);
  assert.ok(error <= tolerance, `${label} ${actual} vs ${expected}: error ${error} > ${tolerance}`);
}

const differences = (x: readonly number[], y: readonly number[]): number[] => x.map((v, i) => v - (y[i] ?? 0));

/** n differences (n even) with mean d and standard deviation 1, so d_z = d: d ± √((n − 1)/n), alternating. */
function withEffect(n: number, d: number): number[] {
  const spread = Math.sqrt((n - 1) / n);
  return Array.from({ length: n }, (_, i) => d + (i % 2 === 0 ? -spread : spread));
}

// Hollander & Wolfe (1973), p. 29f: depression scale at first (x) and second (y) visit, the example of R's
// wilcox.test help page.
const depressionX = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
const depressionY = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
const depression = differences(depressionX, depressionY);

// Student's (1908) sleep data, R's `sleep`: extra hours of sleep under drug 1 and drug 2 for the same ten patients.
const sleepDrug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const sleepDrug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
const sleep = differences(sleepDrug1, sleepDrug2);

// Unless a test says otherwise, expected values are R 4.2.2's output for the same data, printed to 17 digits.

describe('mcnemarExact', () => {
  test('Agresti (2013) §11.1 presidential approval, b = 150, c = 86: p = 3.71593613957143e-05, OR 1.744 [1.329, 2.301] (R binom.test(150, 236))', () => {
    const result = mcnemarExact(150, 86, 0.95);
    close(result.pValue, 3.71593613957143e-5);
    close(result.oddsRatio, 150 / 86, 1e-15);
    close(result.oddsRatioCi.low, 1.3292282526052634);
    close(result.oddsRatioCi.high, 2.3009790804219943);
    // R's mcnemar.test(Performance) on the same table (its help page) gives the continuity-corrected chi-square
    // p = 4.1145622813459436e-05: the exact and asymptotic tests agree to the first digit here.
    assert.ok(Math.abs(result.pValue - 4.1145622813459436e-5) < 1e-5);
  });

  test('swapping the systems inverts the odds ratio and its interval and keeps the p-value (R binom.test(86, 236): 0.5733 [0.4346, 0.7523])', () => {
    const result = mcnemarExact(86, 150, 0.95);
    close(result.pValue, 3.71593613957143e-5);
    close(result.oddsRatio, 0.57333333333333336, 1e-15);
    close(result.oddsRatioCi.low, 0.43459760608366865);
    close(result.oddsRatioCi.high, 0.75231623917112656);
    const swapped = mcnemarExact(150, 86, 0.95);
    close(result.oddsRatioCi.low, 1 / swapped.oddsRatioCi.high, 1e-14);
    close(result.oddsRatioCi.high, 1 / swapped.oddsRatioCi.low, 1e-14);
  });

  test('b = 0, c = 5: p = 2·2⁻⁵ = 0.0625, odds ratio 0, interval [0, 1.0912791051825459] (R binom.test(0, 5))', () => {
    const result = mcnemarExact(0, 5, 0.95);
    close(result.pValue, 0.0625, 1e-14);
    assert.equal(result.oddsRatio, 0);
    assert.equal(result.oddsRatioCi.low, 0);
    close(result.oddsRatioCi.high, 1.0912791051825459);
  });

  test('c = 0: odds ratio and upper limit Infinity (R binom.test(5, 5): lower 0.9163558573154601; binom.test(1, 1): p = 1)', () => {
    const result = mcnemarExact(5, 0, 0.95);
    close(result.pValue, 0.0625, 1e-14);
    assert.equal(result.oddsRatio, Infinity);
    close(result.oddsRatioCi.low, 0.9163558573154601);
    assert.equal(result.oddsRatioCi.high, Infinity);
    const single = mcnemarExact(1, 0, 0.95);
    assert.equal(single.pValue, 1);
    close(single.oddsRatioCi.low, 0.025641025641025664);
  });

  test('b = c gives p = 1 and an interval around 1 (R binom.test(7, 14): [0.2993096818105993, 3.3410212257443503])', () => {
    const result = mcnemarExact(7, 7, 0.95);
    assert.equal(result.pValue, 1);
    assert.equal(result.oddsRatio, 1);
    close(result.oddsRatioCi.low, 0.2993096818105993);
    close(result.oddsRatioCi.high, 3.3410212257443503);
  });

  test('no discordant rows: p = 1, odds ratio 1 by convention, interval [0, Infinity]', () => {
    assert.deepEqual(mcnemarExact(0, 0, 0.95), {
      b: 0,
      c: 0,
      pValue: 1,
      oddsRatio: 1,
      oddsRatioCi: { low: 0, high: Infinity },
    });
  });

  test('large counts, b = 5200, c = 5000: p = 0.048787963126822431, interval [1.0002074794086904, 1.0813836770042338] (R binom.test(5200, 10200))', () => {
    const result = mcnemarExact(5200, 5000, 0.95);
    close(result.pValue, 0.048787963126822431, 1e-13);
    close(result.oddsRatioCi.low, 1.0002074794086904, 1e-13);
    close(result.oddsRatioCi.high, 1.0813836770042338, 1e-13);
  });

  test('Armitage & Berry (1994) p. 127, two media for culturing M. tuberculosis, b = 12, c = 2: exact p = 0.0129, ratio 6, 95% CI 1.335744 to 55.197091 (StatsDirect’s worked example; R binom.test(12, 14))', () => {
    const result = mcnemarExact(12, 2, 0.95);
    // By hand: 2·(C(14,0) + C(14,1) + C(14,2)) / 2¹⁴ = 2·(1 + 14 + 91)/16384 = 0.012939453125.
    close(result.pValue, (2 * (1 + 14 + 91)) / 2 ** 14, 1e-14);
    assert.equal(result.oddsRatio, 6);
    close(result.oddsRatioCi.low, 1.3357437224672493);
    close(result.oddsRatioCi.high, 55.19709066788505);
  });

  test('rejects negative or fractional counts', () => {
    assert.throws(() => mcnemarExact(-1, 2, 0.95), RangeError);
    assert.throws(() => mcnemarExact(1.5, 2, 0.95), RangeError);
    assert.throws(() => mcnemarExact(1, 2, 1), RangeError);
  });
});

describe('pairedTTest', () => {
  test('R t.test(extra ~ group, data = sleep, paired = TRUE) (its help page): t = −4.0621, df = 9, p = 0.002833, CI [−2.4598858, −0.7001142]', () => {
    const result = pairedTTest(sleep, 0.95);
    assert.equal(result.n, 10);
    assert.equal(result.df, 9);
    close(result.meanDiff, -1.58, 1e-14);
    close(result.t, -4.0621276833820366);
    close(result.pValue, 0.0028328901973842702, 1e-11);
    close(result.ci.low, -2.4598857632769824);
    close(result.ci.high, -0.70011423672301754);
  });

  test('the depression data at 90%: t = 3.0353754156485913, p = 0.016176627434908095, CI [0.16730279135896456, 0.69647498641881322]', () => {
    const result = pairedTTest(depression, 0.9);
    close(result.t, 3.0353754156485913);
    close(result.pValue, 0.016176627434908095, 1e-11);
    close(result.ci.low, 0.16730279135896456);
    close(result.ci.high, 0.69647498641881322);
  });

  test('zero spread (where R stops: "data are essentially constant"): p = 1 when every difference is 0, else p = 0', () => {
    const zero = pairedTTest([0, 0, 0], 0.95);
    assert.equal(zero.pValue, 1);
    assert.equal(zero.t, 0);
    assert.deepEqual(zero.ci, { low: 0, high: 0 });
    const constant = pairedTTest([0.5, 0.5, 0.5, 0.5], 0.95);
    assert.equal(constant.pValue, 0);
    assert.equal(constant.t, Infinity);
    assert.deepEqual(constant.ci, { low: 0.5, high: 0.5 });
  });

  test('needs two differences and finite values', () => {
    assert.throws(() => pairedTTest([1], 0.95), RangeError);
    assert.throws(() => pairedTTest([1, NaN], 0.95), RangeError);
  });
});

describe('wilcoxonSignedRank', () => {
  test('R wilcox.test(x, y, paired = TRUE) on Hollander & Wolfe (1973) p. 29 depression data: V = 40, exact p = 0.0390625', () => {
    const result = wilcoxonSignedRank(depression);
    assert.equal(result.statistic, 40);
    assert.equal(result.method, 'exact');
    close(result.pValue, 0.0390625, 1e-14);
    // R's help page runs it one-sided ("greater"): 0.01953, half of this.
    close(result.pValue / 2, 0.01953, 1e-3);
  });

  test('ties and a zero: R wilcox.test(extra ~ group, data = sleep, paired = TRUE) gives V = 0, p = 0.009091 by the corrected normal approximation', () => {
    const result = wilcoxonSignedRank(sleep);
    assert.equal(result.statistic, 0);
    assert.equal(result.zeros, 1);
    assert.equal(result.n, 9);
    assert.equal(result.ties, true);
    assert.equal(result.method, 'normal');
    close(result.pValue, 0.0090906980159250559, 1e-12);
  });

  test('half-integer V from average ranks: R wilcox.test(((1:60 * 37) %% 23) − 11): V = 837.5, p = 0.93344440035568321', () => {
    const d = Array.from({ length: 60 }, (_, i) => (((i + 1) * 37) % 23) - 11);
    const result = wilcoxonSignedRank(d);
    assert.equal(result.zeros, 3);
    assert.equal(result.statistic, 837.5);
    close(result.pValue, 0.93344440035568321, 1e-12);
  });

  // 49 draws of round(rnorm(49, 0.3), 6) after set.seed(42) in R 4.2.2, then a 50th value.
  const fortyNine = [
    1.670958, -0.264698, 0.663128, 0.932863, 0.704268, 0.193875, 1.811522, 0.205341, 2.318424, 0.237286, 1.60487,
    2.586645, -1.088861, 0.021211, 0.166679, 0.93595, 0.015747, -2.356455, -2.140467, 1.620113, -0.006639, -1.481308,
    0.128083, 1.514675, 2.195193, -0.130469, 0.042731, -1.463163, 0.760097, -0.339995, 0.75545, 1.004837, 1.335104,
    -0.308926, 0.804955, -1.417009, -0.484459, -0.550908, -2.114208, 0.336123, 0.505999, -0.061057, 1.058163, -0.426705,
    -1.068281, 0.732818, -0.511393, 1.744101, -0.131446,
  ];

  test('exact below 50 differences (R: V = 775, p = 0.10752609014286209) and normal from 50 on (V = 823, p = 0.074122486915123451)', () => {
    const exact = wilcoxonSignedRank(fortyNine);
    assert.equal(exact.method, 'exact');
    assert.equal(exact.statistic, 775);
    close(exact.pValue, 0.10752609014286209, 1e-13);
    const normal = wilcoxonSignedRank([...fortyNine, 2.123457]);
    assert.equal(normal.method, 'normal');
    assert.equal(normal.statistic, 823);
    close(normal.pValue, 0.074122486915123451, 1e-12);
  });

  test('a million heavily tied differences in well under a second: R wilcox.test(((1:1e6 * 7919) %% 2001) − 990) gives V = 254721992068, p = 1.4425853432243505e-66', () => {
    const d = new Float64Array(1_000_000);
    for (let i = 0; i < d.length; i++) d[i] = (((i + 1) * 7919) % 2001) - 990;
    const started = performance.now();
    const result = wilcoxonSignedRank(d);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(result.zeros, 500);
    assert.equal(result.statistic, 254721992068);
    close(result.pValue, 1.4425853432243505e-66, 1e-9);
    assert.ok(seconds < 2, `took ${seconds} s`);
  });

  test('every difference zero (R: NaN): V = 0 and p = 1', () => {
    assert.deepEqual(wilcoxonSignedRank([0, 0, 0]), {
      n: 0,
      zeros: 3,
      ties: false,
      statistic: 0,
      pValue: 1,
      method: 'normal',
    });
  });
});

describe('cohenDPaired', () => {
  test('sleep data: d_z = −1.28455756259105, 95% CI [−2.11801651397707, −0.414627756380144] (R: pt(t, 9, δ) inverted by uniroot; effectsize 0.8.3 cohens_d prints [−2.12, −0.41])', () => {
    const result = cohenDPaired(sleep, 0.95);
    close(result.estimate, -1.28455756259105, 1e-13);
    close(result.ci.low, -2.11801651397707, 1e-9);
    close(result.ci.high, -0.414627756380144, 1e-9);
  });

  test('depression data: d_z = 1.0117918052162, 95% CI [0.177147609066434, 1.80716906193833] (R, as above; effectsize prints [0.18, 1.81])', () => {
    const result = cohenDPaired(depression, 0.95);
    close(result.estimate, 1.0117918052162, 1e-13);
    close(result.ci.low, 0.177147609066434, 1e-9);
    close(result.ci.high, 1.80716906193833, 1e-9);
  });

  test('large effects: 30 rows with d_z = 9.591 give the exact [7.107, 12.067] (SciPy’s nct, as quoted in issue 14; R’s pt, off past ncp 37.62, gives [7.014, 12.002])', () => {
    const result = cohenDPaired(withEffect(30, 9.591), 0.95);
    close(result.estimate, 9.591, 1e-14);
    assert.deepEqual([result.ci.low.toFixed(3), result.ci.high.toFixed(3)], ['7.107', '12.067']);
    // Each limit puts the observed t at its quantile, by the independent quadrature of the noncentral t.
    const t = 9.591 * Math.sqrt(30);
    near(referenceNoncentralTCdf(t, 29, result.ci.low * Math.sqrt(30)), 0.975, 1e-12);
    near(referenceNoncentralTCdf(t, 29, result.ci.high * Math.sqrt(30)), 0.025, 1e-12);
    const mirrored = cohenDPaired(withEffect(30, -9.591), 0.95);
    close(mirrored.ci.low, -result.ci.high, 1e-12);
    close(mirrored.ci.high, -result.ci.low, 1e-12);
  });

  test('a thousand rows with d_z = 1.5 (t = 47.4) and ten thousand with 0.6 (t = 60): exact limits by the quadrature', () => {
    for (const [n, d] of [
      [1000, 1.5],
      [10_000, 0.6],
    ] as const) {
      const result = cohenDPaired(withEffect(n, d), 0.9);
      const t = result.estimate * Math.sqrt(n);
      near(referenceNoncentralTCdf(t, n - 1, result.ci.low * Math.sqrt(n)), 0.95, 1e-12, `n=${n} low`);
      near(referenceNoncentralTCdf(t, n - 1, result.ci.high * Math.sqrt(n)), 0.05, 1e-12, `n=${n} high`);
    }
  });

  test('the interval contains the estimate and narrows with the confidence', () => {
    const wide = cohenDPaired(sleep, 0.99);
    const narrow = cohenDPaired(sleep, 0.8);
    assert.ok(wide.ci.low < narrow.ci.low && narrow.ci.low < narrow.estimate && narrow.estimate < narrow.ci.high);
    assert.ok(narrow.ci.high < wide.ci.high);
  });

  test('zero spread: 0 for a zero mean, else ±Infinity, as a single point', () => {
    assert.deepEqual(cohenDPaired([0, 0], 0.95), { estimate: 0, ci: { low: 0, high: 0 } });
    assert.deepEqual(cohenDPaired([-2, -2], 0.95), { estimate: -Infinity, ci: { low: -Infinity, high: -Infinity } });
  });
});
