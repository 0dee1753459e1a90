import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  betaQuantile,
  binomialCdf,
  logGamma,
  noncentralTCdf,
  normalCdf,
  normalQuantile,
  regularizedBeta,
  studentTCdf,
  studentTQuantile,
} from './distributions.js';
import { referenceNoncentralTCdf } from './noncentral-t-reference.test.util.js';

/** Asserts |actual − expected| ≤ tolerance (absolute error, for probabilities). */
function near(actual: number, expected: number, tolerance: number, label = ''): void {
  const error = Math.abs(actual - expected);
  assert.ok(error <= tolerance, `${label} ${actual} vs ${expected}: error ${error} > ${tolerance}`);
}

/** Asserts |actual − expected| ≤ tolerance · |expected| (relative error). */
function close(actual: number, expected: number, tolerance = 1e-13, label = ''): void {
  const error = Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(error <= tolerance, `${label} ${actual} vs ${expected}: relative error ${error} > ${tolerance}`);
}

// Unless a test says otherwise, the expected values are R 4.2.2's output for the same call, printed with
// sprintf("%.17g"); R's nmath uses TOMS 708 for pbeta, Cody for pnorm, AS 241 for qnorm and AS 243 for pt(ncp).

describe('logGamma', () => {
  test('ln Γ(½) = ln √π (R lgamma(0.5) = 0.57236494292470008)', () => {
    close(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-15);
    close(logGamma(0.5), 0.57236494292470008, 1e-15);
  });

  test('matches R lgamma at 3.7, 100.5, 1e-8 and 1e6', () => {
    close(logGamma(3.7), 1.4280723266653881, 1e-14);
    close(logGamma(100.5), 361.43554046777757, 1e-15);
    close(logGamma(1e-8), 18.420680738180209, 1e-15);
    close(logGamma(1e6), 12815504.569147611, 1e-15);
  });

  test('ln n! for whole numbers: ln 10! = ln 3628800', () => {
    close(logGamma(11), Math.log(3628800), 1e-15);
  });

  test('is infinite at zero and the negative integers', () => {
    assert.equal(logGamma(0), Infinity);
    assert.equal(logGamma(-3), Infinity);
  });
});

describe('regularizedBeta', () => {
  test('I_0.3(2, 5) = P[Bin(6, 0.3) ≥ 2] = 1 − 0.7⁶ − 6·0.3·0.7⁵ = 0.579825 exactly', () => {
    close(regularizedBeta(0.3, 2, 5), 0.579825, 1e-14);
  });

  test('I_x(½, ½) is the arcsine law (2/π) asin √x (R pbeta(1e-5, 0.5, 0.5) = 0.002013171839475387)', () => {
    close(regularizedBeta(1e-5, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(1e-5)), 1e-14);
    close(regularizedBeta(1e-5, 0.5, 0.5), 0.002013171839475387, 1e-14);
  });

  test('keeps its digits for large shapes (R pbeta(0.5, 5e5, 5e5 + 1000) = 0.84122394201312856)', () => {
    close(regularizedBeta(0.5, 5e5, 5e5 + 1000), 0.84122394201312856, 1e-13);
  });

  test('keeps its digits with one huge and one small shape near x = 1 (R pbeta(0.999991, 5e5, 0.5) = 0.0026997428812210538)', () => {
    close(regularizedBeta(0.999991, 5e5, 0.5), 0.0026997428812210538, 1e-13);
  });

  test('is 0 and 1 at the ends of [0, 1]', () => {
    assert.equal(regularizedBeta(0, 2, 3), 0);
    assert.equal(regularizedBeta(1, 2, 3), 1);
  });

  test('rejects non-positive shapes', () => {
    assert.throws(() => regularizedBeta(0.5, 0, 1), RangeError);
  });
});

describe('betaQuantile', () => {
  test('gives the Clopper–Pearson limits of R binom.test(682, 925, p = 3/4) (Mendel’s peas, its help page): 0.7076683, 0.7654066', () => {
    // The limits are qbeta(0.025, 682, 244) and qbeta(0.975, 683, 243).
    close(betaQuantile(0.025, 682, 244), 0.70766826407903904, 1e-14);
    close(betaQuantile(0.975, 683, 243), 0.76540655824152526, 1e-14);
  });

  test('inverts I_x(1, b) = 1 − (1 − x)^b deep in the tail (R qbeta(1e-10, 1, 1e6) = 1.0000000000500004e-16)', () => {
    close(betaQuantile(1e-10, 1, 1e6), 1.0000000000500004e-16, 1e-13);
  });

  test('finds the median ½ of a symmetric U-shaped beta(0.1, 0.1)', () => {
    close(betaQuantile(0.5, 0.1, 0.1), 0.5, 1e-14);
  });

  test('round-trips through regularizedBeta across shapes and levels', () => {
    for (const [a, b] of [
      [0.5, 0.5],
      [2, 30],
      [30, 2],
      [400, 600],
      [0.2, 7],
    ] as const) {
      for (const p of [1e-6, 0.025, 0.3, 0.5, 0.9, 0.975, 1 - 1e-6]) {
        close(regularizedBeta(betaQuantile(p, a, b), a, b), p, 1e-11, `a=${a} b=${b} p=${p}`);
      }
    }
  });
});

describe('normalCdf and normalQuantile', () => {
  test('Φ⁻¹(0.975) = 1.959963984540054 and Φ(−1.96) = 0.024997895148220428 (R qnorm, pnorm; every table’s 1.96)', () => {
    close(normalQuantile(0.975), 1.959963984540054, 1e-15);
    close(normalCdf(-1.96), 0.024997895148220428, 1e-15);
  });

  test('has relative accuracy in the far tails: Φ(−10) = 7.6198530241605269e-24, Φ(−37) = 5.7255712225245771e-300', () => {
    close(normalCdf(-10), 7.6198530241605269e-24, 1e-14);
    close(normalCdf(-37), 5.7255712225245771e-300, 1e-13);
    close(normalQuantile(1e-20), -9.2623400897984052, 1e-15);
  });

  test('Φ(½) = 0.69146246127401301, Φ(3) = 0.9986501019683699, Φ⁻¹(0.3) = −0.52440051270804067 (R)', () => {
    close(normalCdf(0.5), 0.69146246127401301, 1e-15);
    close(normalCdf(3), 0.9986501019683699, 1e-15);
    close(normalQuantile(0.3), -0.52440051270804067, 1e-15);
  });

  test('Φ(Φ⁻¹(p)) = p from 1e-300 to 1 − 1e-12', () => {
    for (const p of [1e-300, 1e-50, 1e-10, 0.001, 0.07, 0.2, 0.5, 0.8, 0.93, 0.999, 1 - 1e-12]) {
      close(normalCdf(normalQuantile(p)), p, 1e-12, `p=${p}`);
    }
  });

  test('is ∓Infinity at 0 and 1 and rejects probabilities outside [0, 1]', () => {
    assert.equal(normalQuantile(0), -Infinity);
    assert.equal(normalQuantile(1), Infinity);
    assert.throws(() => normalQuantile(1.5), RangeError);
  });
});

describe('studentTCdf and studentTQuantile', () => {
  test('t(0.975; 10) = 2.228138851986274 and t(0.975; 9) = 2.262157162798205 (R qt; the 2.228 and 2.262 of every t table)', () => {
    close(studentTQuantile(0.975, 10), 2.2281388519862739, 1e-14);
    close(studentTQuantile(0.975, 9), 2.2621571627982049, 1e-14);
  });

  test('the sleep data’s paired t = −4.062128 on 9 df has one-sided p 0.0014164444259589736 (R pt)', () => {
    close(studentTCdf(-4.062128, 9), 0.0014164444259589736, 1e-13);
  });

  test('handles fractional df: R pt(2.5, 3.5) = 0.96215267809525495, qt(0.975, 4.5) = 2.6589123472044025', () => {
    close(studentTCdf(2.5, 3.5), 0.96215267809525495, 1e-14);
    close(studentTQuantile(0.975, 4.5), 2.6589123472044025, 1e-14);
  });

  test('is accurate far in the tail: R pt(−40, 2) = 0.0003122073360923703, qt(1e-8, 3) = −479.52506957973867', () => {
    close(studentTCdf(-40, 2), 0.0003122073360923703, 1e-14);
    close(studentTQuantile(1e-8, 3), -479.52506957973867, 1e-13);
  });

  test('keeps its digits at a million and ten million degrees of freedom: R pt(−3, 1e6) = 0.0013499312707108962, pt(−2, 1e7) = 0.022750145445921473, pt(−20, 1e6) = 2.8665435236952241e-89', () => {
    close(studentTCdf(-3, 1e6), 0.0013499312707108962, 1e-14);
    close(studentTCdf(-0.5, 1e6), 0.30853759373618583, 1e-14);
    close(studentTCdf(-2, 1e7), 0.022750145445921473, 1e-14);
    close(studentTCdf(-20, 1e6), 2.8665435236952241e-89, 1e-12);
    close(studentTQuantile(0.975, 1e5), 1.9599877075346088, 1e-14);
    close(studentTQuantile(0.975, 999999), 1.9599663568164789, 1e-14);
  });

  test('near the centre: R qt(0.6, 50) = 0.25469934298858815', () => {
    close(studentTQuantile(0.6, 50), 0.25469934298858815, 1e-14);
  });

  test('df = 1 is the Cauchy distribution and df = ∞ the normal', () => {
    close(studentTCdf(1, 1), 0.75, 1e-15);
    close(studentTQuantile(0.75, 1), 1, 1e-15);
    close(studentTQuantile(0.975, Infinity), 1.959963984540054, 1e-15);
    close(studentTQuantile(0.975, 1e8), 1.9599640082627663, 1e-13);
  });
});

describe('binomialCdf', () => {
  test('P[Bin(10, 0.3) ≤ 3] = 0.6496107184 (sum of the four terms; R pbinom)', () => {
    close(binomialCdf(3, 10, 0.3), 0.6496107184, 1e-14);
  });

  test('P[Bin(10, ½) ≤ 0] = 2⁻¹⁰', () => {
    close(binomialCdf(0, 10, 0.5), 1 / 1024, 1e-14);
  });

  test('the McNemar tail of Agresti’s approval ratings, P[Bin(236, ½) ≤ 86] = 1.857968069785715e-05 (R pbinom)', () => {
    close(binomialCdf(86, 236, 0.5), 1.857968069785715e-5, 1e-13);
  });

  test('is accurate for large n: R pbinom(5000, 10200, 0.5) = 0.024393981563411216', () => {
    close(binomialCdf(5000, 10200, 0.5), 0.024393981563411216, 1e-13);
  });

  test('is 0 below 0, 1 from n on, and floors k', () => {
    assert.equal(binomialCdf(-1, 5, 0.5), 0);
    assert.equal(binomialCdf(5, 5, 0.5), 1);
    assert.equal(binomialCdf(2.7, 10, 0.3), binomialCdf(2, 10, 0.3));
  });
});

describe('noncentralTCdf', () => {
  test('matches R pt(q, df, ncp): pt(1, 10, 2) = 0.15851505953749501, pt(−1, 5, 1) = 0.030807353260866255', () => {
    // To R's own accuracy: AS 243 stops its series at an error bound of 1e-12 (errmax).
    near(noncentralTCdf(1, 10, 2), 0.15851505953749501, 1e-12);
    near(noncentralTCdf(-1, 5, 1), 0.030807353260866255, 1e-12);
    near(noncentralTCdf(1.5, 2.5, -1), 0.97930030279800873, 1e-12);
  });

  test('gives the power.t.test(delta = 1, sd = 1, power = 0.9, type = "paired") body at its n: pt(2.200985, 11.58547, 3.403745) = 0.12756741487367926', () => {
    near(noncentralTCdf(2.200985, 11.58547, 3.403745), 0.12756741487367926, 1e-12);
  });

  test('matches Benton & Krishnamoorthy (2003, Comput. Stat. Data Anal. 43:249–267) to the 1e-12 of their tables, the large noncentralities included', () => {
    // (df, ncp, t, P[T ≤ t]) as quoted in Boost.Math's test/test_nc_t.hpp; R's pt gets the last four wrong by up to
    // 1.3e-2, from its normal approximation past ncp = 37.62.
    for (const [df, ncp, t, p] of [
      [3, 1, 2.34, 0.801888999613917],
      [126, -2, -4.33, 1.252846196792878e-2],
      [20, 23, 23, 0.460134400391924],
      [20, 33, 34, 0.532008386378725],
      [12, 38, 39, 0.495868184917805],
      [12, 39, 39, 0.446304024668836],
      [200, 38, 39, 0.666194209961795],
      [200, 42, 40, 0.179292265426085],
    ] as const) {
      near(noncentralTCdf(t, df, ncp), p, 3e-13, `df=${df} ncp=${ncp} t=${t}`);
    }
  });

  test('matches 35- and 40-digit values: Mathematica’s CDF[NoncentralStudentTDistribution[2, 4], 5] and Boost.Math’s test/nct.ipp at |ncp| from 31 to 223', () => {
    // Mathematica via Boost ticket 10480; the nct.ipp rows are (df, ncp, t) exactly representable, and P, here
    // rounded to the nearest double.
    near(noncentralTCdf(5, 2, 4), 0.532020698669953, 3e-15);
    for (const [df, ncp, t, p] of [
      [13.519168853759766, 40.5575065612793, 53.93296432495117, 0.8875082903101746],
      [15.170950889587402, 60.68380355834961, 80.29798126220703, 0.8999784514511158],
      [34.77311706542969, 173.86558532714844, 210.820098876953125, 0.923154709840464],
      [55.6997184753418, -222.7988739013672, -254.28379821777344, 0.10194030021015098],
      [61.63347625732422, 46.22510528564453, 68.86083984375, 0.9999214808466396],
      [41.61368942260742, -31.21026611328125, -50.41753005981445, 0.00015049522243296083],
      [63.41996383666992, -62.7857666015625, -64.99910736083984, 0.37383229531425965],
    ] as const) {
      near(noncentralTCdf(t, df, ncp), p, 1e-14, `df=${df} ncp=${ncp} t=${t}`);
    }
    // The far tail keeps its relative accuracy: 1.5e-4 to 13 digits.
    close(noncentralTCdf(-50.41753005981445, 41.61368942260742, -31.21026611328125), 1.504952224329608e-4, 1e-12);
  });

  test('agrees with an independent quadrature to 1e-12 on 9 df for t from 20 to 60 across the noncentrality where R switches to its normal approximation (37.62)', () => {
    // The quadrature of E[Φ(t·U − δ)] (noncentral-t-reference.test.util.ts) reproduces the values above to 1e-15.
    near(referenceNoncentralTCdf(5, 2, 4), 0.532020698669953, 1e-14, 'quadrature');
    near(referenceNoncentralTCdf(39, 12, 38), 0.495868184917805, 3e-13, 'quadrature');
    let worst = 0;
    for (const ncp of [30, 37.5, 37.7, 40, 50, 60]) {
      for (let t = 20; t <= 60; t += 2) {
        const expected = referenceNoncentralTCdf(t, 9, ncp);
        near(noncentralTCdf(t, 9, ncp), expected, 1e-12, `t=${t} ncp=${ncp}`);
        near(noncentralTCdf(-t, 9, -ncp), 1 - expected, 1e-12, `t=${-t} ncp=${-ncp}`);
        worst = Math.max(worst, Math.abs(noncentralTCdf(t, 9, ncp) - expected));
      }
    }
    assert.ok(worst < 1e-12, `worst ${worst}`);
  });

  test('matches mpmath 1.3’s 30-digit quadrature of E[Φ(t·U − δ)] where R’s pt is off by up to 1e-2', () => {
    // mp.dps = 30; mp.quad of exp(log 2 + (ν/2) log(ν/2) − lgamma(ν/2) + (ν − 1) log u − ν u²/2) · ncdf(t·u − δ),
    // split at δ/t (the values here rounded to doubles). The AS 243 code this replaced, R's pt algorithm with its
    // normal approximation, gave 0.12061, 0.92722 and 0.97066 for the last three.
    for (const [t, df, ncp, p] of [
      [20, 9, 30, 0.01802561755817739],
      [40, 9, 50, 0.12130966590549627],
      [60, 9, 37.7, 0.9376849995383241],
      [52.53, 29, 38.9, 0.9752193482732625],
    ] as const) {
      near(noncentralTCdf(t, df, ncp), p, 1e-15, `t=${t} df=${df} ncp=${ncp}`);
    }
  });

  test('agrees with the quadrature on a thousand to a million degrees of freedom (R switches to a normal approximation past 4e5)', () => {
    for (const [t, df, ncp] of [
      [2, 1000, 2.5],
      [45, 1000, 44],
      [1.96, 99_999, 3.2],
      [3, 1e6, 2],
      [300, 1e6, 300],
      [296, 1e6, 300],
      [-296, 1e6, -300],
    ] as const) {
      near(noncentralTCdf(t, df, ncp), referenceNoncentralTCdf(t, df, ncp), 1e-12, `t=${t} df=${df} ncp=${ncp}`);
    }
  });

  test('is a distribution function for every t, df and ncp: in [0, 1], non-decreasing in t, non-increasing in ncp', () => {
    for (const df of [2, 9, 29, 1e3, 99_999, 1e7]) {
      for (const ncp of [-400, -60, -37.7, -5, -0.1, 0.1, 5, 25.3, 37.7, 60, 400]) {
        let previous = 0;
        for (const t of [-1e6, -500, -60, -38, -2, -1e-9, 0, 1e-9, 1.96, 2, 38, 60, 400, 500, 1e6]) {
          const p = noncentralTCdf(t, df, ncp);
          assert.ok(p >= 0 && p <= 1, `P[T ≤ ${t}; ${df}, ${ncp}] = ${p}`);
          assert.ok(p >= previous - 1e-14, `not monotone in t at t=${t} df=${df} ncp=${ncp}: ${previous} then ${p}`);
          previous = p;
        }
      }
      let previous = 1;
      for (const ncp of [-100, -40, -37.6, -1, 0, 1, 37.6, 37.7, 40, 100]) {
        const p = noncentralTCdf(38, df, ncp);
        assert.ok(p <= previous + 1e-14, `not monotone in ncp at df=${df} ncp=${ncp}`);
        previous = p;
      }
    }
  });

  test('reduces to the central t at ncp = 0', () => {
    assert.equal(noncentralTCdf(1.3, 7, 0), studentTCdf(1.3, 7));
  });
});
