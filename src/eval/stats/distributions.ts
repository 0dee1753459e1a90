// Distribution functions the eval statistics need: log-gamma, the regularized incomplete beta and its inverse, the
// normal, Student t, binomial and noncentral t distribution functions. Pure functions on doubles, checked against
// R's lgamma/pbeta/qbeta/pnorm/qnorm/pt/qt/pbinom in the tests beside this file: about 1e-14 relative error across
// the range, deep tails and a Student t on ten million degrees of freedom included. Algorithms: Lanczos log-gamma
// with Stirling's series from 15 up; the incomplete beta by its continued fraction (modified Lentz), in
// double-double arithmetic once the shapes are large, with Loader's saddle-point prefactor; Cody's rational
// approximations for the normal distribution function; Wichura's AS 241 for its inverse; for the noncentral t, the
// Poisson mixture of incomplete beta functions summed outwards from its largest term (Benton & Krishnamoorthy 2003).

import { add, divide, fromNumber, multiply, subtract, toNumber, twoSum, type DoubleDouble } from './double-double.js';

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EPSILON = Number.EPSILON;

// Lanczos approximation, g = 7, nine terms (Godfrey's coefficients): |relative error of Γ| < 1e-15 for x ≥ 0.5.
const LANCZOS_G = 7;
const LANCZOS = [
  0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905,
  -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7,
] as const;

/** ln |Γ(x)|; Infinity at zero and the negative integers. */
export function logGamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  if (x >= 15) return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI + stirlingError(x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] ?? 0) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * δ(x) = ln Γ(x) − [(x − ½) ln x − x + ln √(2π)], the error of Stirling's formula, for x > 0. An asymptotic series
 * from 15 up (error below 1e-17), the definition below.
 */
function stirlingError(x: number): number {
  if (x >= 15) {
    const x2 = x * x;
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * x2)) / x2) / x2) / x2) / x;
  }
  return logGamma(x) - ((x - 0.5) * Math.log(x) - x + LN_SQRT_2PI);
}

/** ln B(a, b), arranged so that no two large terms cancel when one or both shapes are large. */
function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (p >= 10) {
    const correction = stirlingError(p) + stirlingError(q) - stirlingError(p + q);
    return (
      -0.5 * Math.log(q) + LN_SQRT_2PI + correction + (p - 0.5) * Math.log(p / (p + q)) + q * Math.log1p(-p / (p + q))
    );
  }
  if (q >= 10) {
    const correction = stirlingError(q) - stirlingError(p + q);
    return logGamma(p) + correction + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return logGamma(p) + logGamma(q) - logGamma(p + q);
}

/** x ln(x/m) + m − x, accurately when x is close to m (Loader 2000). */
function deviance(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    const v = (x - m) / (x + m);
    let sum = (x - m) * v;
    let term = 2 * x * v;
    const v2 = v * v;
    for (let j = 1; j < 1000; j++) {
      term *= v2;
      const next = sum + term / (2 * j + 1);
      if (next === sum) return sum;
      sum = next;
    }
    return sum;
  }
  return x * Math.log(x / m) + m - x;
}

/** ln of x^a y^b / B(a, b), with y = 1 − x given separately so that neither loses digits near 0 or 1. */
function logBetaPrefactor(x: number, y: number, a: number, b: number): number {
  if (Math.min(a, b) >= 10) {
    const n = a + b;
    return (
      0.5 * Math.log((a * b) / n) -
      LN_SQRT_2PI +
      stirlingError(n) -
      stirlingError(a) -
      stirlingError(b) -
      deviance(a, n * x) -
      deviance(b, n * y)
    );
  }
  const logX = x < 0.5 ? Math.log(x) : Math.log1p(-y);
  const logY = y < 0.5 ? Math.log(y) : Math.log1p(-x);
  return a * logX + b * logY - logBeta(a, b);
}

/** The continued fraction for I_x(a, b) (modified Lentz), converging fast for x < (a + 1) / (a + b + 2). */
function betaContinuedFraction(x: number, y: number, a: number, b: number): number {
  const tiny = 1e-300;
  const maxIterations = 10_000 + Math.ceil(20 * Math.sqrt(a + b));
  let c = 1;
  // 1 − (a + b)x / (a + 1); for x near 1 written with y = 1 − x, which keeps its digits when it is small.
  let d = x <= 0.5 ? 1 - ((a + b) * x) / (a + 1) : (1 - b + (a + b) * y) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    let coefficient = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + coefficient * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + coefficient / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    coefficient = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + coefficient * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + coefficient / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) return h;
  }
  throw new Error(`incomplete beta did not converge for x=${x}, a=${a}, b=${b}`);
}

/** Shapes summing past this evaluate the continued fraction in double-double arithmetic. */
const EXTENDED_PRECISION_SHAPES = 1000;

/**
 * The same continued fraction in double-double arithmetic, for large shapes: there the partial denominators
 * 1 + coefficient·d cancel to a few digits at every step, and in doubles the rounding of x alone (to 1e-16) moves
 * the result by up to a·1e-16.
 */
function betaContinuedFractionExtended(x: DoubleDouble, a: number, b: number): number {
  const one = fromNumber(1);
  const tiny = fromNumber(1e-300);
  const guard = (value: DoubleDouble): DoubleDouble => (Math.abs(value.hi) < 1e-300 ? tiny : value);
  const sum = twoSum(a, b);
  const maxIterations = 10_000 + Math.ceil(20 * Math.sqrt(a + b));
  let c = one;
  let d = divide(one, guard(subtract(one, divide(multiply(sum, x), twoSum(a, 1)))));
  let h = d;
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    let coefficient = divide(
      multiply(multiply(fromNumber(m), twoSum(b, -m)), x),
      multiply(twoSum(a, m2 - 1), twoSum(a, m2)),
    );
    d = divide(one, guard(add(one, multiply(coefficient, d))));
    c = guard(add(one, divide(coefficient, c)));
    h = multiply(h, multiply(d, c));
    coefficient = divide(
      multiply(multiply(twoSum(a, m), add(sum, fromNumber(m))), x),
      multiply(twoSum(a, m2), twoSum(a, m2 + 1)),
    );
    coefficient = { hi: -coefficient.hi, lo: -coefficient.lo };
    d = divide(one, guard(add(one, multiply(coefficient, d))));
    c = guard(add(one, divide(coefficient, c)));
    const delta = multiply(d, c);
    h = multiply(h, delta);
    if (Math.abs(toNumber(subtract(delta, one))) < 1e-17) return toNumber(h);
  }
  throw new Error(`incomplete beta did not converge for x=${toNumber(x)}, a=${a}, b=${b}`);
}

/**
 * The continued fraction at x for shapes a, b, with complement y: in double-double for large shapes, with x taken
 * as 1 − y exactly when y is the smaller (and so the more accurately known) of the two.
 */
function continuedFraction(x: number, y: number, a: number, b: number): number {
  if (a + b < EXTENDED_PRECISION_SHAPES) return betaContinuedFraction(x, y, a, b);
  return betaContinuedFractionExtended(x <= y ? fromNumber(x) : twoSum(1, -y), a, b);
}

/**
 * Both tails of the beta(a, b) distribution at x, [I_x(a, b), 1 − I_x(a, b)], with y = 1 − x passed in exactly. The
 * smaller tail is computed directly, so each is accurate relative to itself.
 */
export function betaTails(x: number, y: number, a: number, b: number): [lower: number, upper: number] {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`Expected beta shapes to be positive, got a=${a}, b=${b}`);
  if (Number.isNaN(x) || Number.isNaN(y)) return [NaN, NaN];
  if (x <= 0) return [0, 1];
  if (y <= 0) return [1, 0];
  if (a === Infinity || b === Infinity) throw new RangeError('Expected finite beta shapes');
  const prefactor = Math.exp(logBetaPrefactor(x, y, a, b));
  if (x < (a + 1) / (a + b + 2)) {
    const lower = (prefactor * continuedFraction(x, y, a, b)) / a;
    return [lower, 1 - lower];
  }
  const upper = (prefactor * continuedFraction(y, x, b, a)) / b;
  return [1 - upper, upper];
}

/** I_x(a, b), the regularized incomplete beta function: the beta(a, b) distribution function at x. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  return betaTails(x, 1 - x, a, b)[0];
}

/**
 * The x with I_x(a, b) = p: Newton steps on the tail that p names most accurately (the lower tail for p ≤ ½, the
 * upper for p > ½), kept inside a shrinking bracket and replaced by bisection whenever they leave it.
 */
export function betaQuantile(p: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`Expected beta shapes to be positive, got a=${a}, b=${b}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`Expected a probability in [0, 1], got ${p}`);
  if (p === 0) return 0;
  if (p === 1) return 1;
  const useLower = p <= 0.5;
  const target = useLower ? p : 1 - p;
  // f(x) = tail(x) − target, increasing in x on the lower tail and decreasing on the upper.
  const f = (x: number): number => {
    const [lower, upper] = betaTails(x, 1 - x, a, b);
    return useLower ? lower - target : target - upper;
  };
  const logDensity = (x: number): number => logBetaPrefactor(x, 1 - x, a, b) - Math.log(x) - Math.log1p(-x);
  let low = 0;
  let high = 1;
  let x = initialBetaGuess(p, a, b);
  for (let iteration = 0; iteration < 1000; iteration++) {
    const fx = f(x);
    if (fx === 0) return x;
    if (fx < 0) low = x;
    else high = x;
    let next = x - fx / Math.exp(logDensity(x));
    if (!(next > low && next < high)) {
      // Bisect, geometrically when the bracket spans orders of magnitude near 0 or 1.
      if (low > 0 && high / low > 16) next = Math.sqrt(low * high);
      else if (high < 1 && (1 - low) / (1 - high) > 16) next = 1 - Math.sqrt((1 - low) * (1 - high));
      else next = 0.5 * (low + high);
    }
    if (Math.abs(next - x) <= 4 * EPSILON * Math.min(next, 1 - next) || next === low || next === high) return next;
    x = next;
  }
  return x;
}

/** A starting point for betaQuantile: the normal approximation, pulled back inside (0, 1) when it falls outside. */
function initialBetaGuess(p: number, a: number, b: number): number {
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1)));
  const guess = mean + normalQuantile(p) * sd;
  if (guess > 0 && guess < 1) return guess;
  return guess <= 0 ? mean * 1e-3 : 1 - (1 - mean) * 1e-3;
}

// Cody (1969, 1993, ACM TOMS Algorithm 715) rational approximations for the normal distribution function. Here and
// in AS 241 below, each published coefficient is written as the double nearest to it.
const CODY_A = [2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356] as const;
const CODY_A4 = 0.06568233791820745;
const CODY_B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673] as const;
const CODY_C = [
  0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726, 6848.190450536283,
  11602.65143764735, 9842.714838383978,
] as const;
const CODY_C8 = 1.0765576773720192e-8;
const CODY_D = [
  22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097, 34900.95272114598,
  38912.00328609327, 19685.429676859992,
] as const;
const CODY_P = [
  0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934, 2.9112874951168793e-5,
] as const;
const CODY_P5 = 0.023073441764940174;
const CODY_Q = [
  1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 7.297515550839662e-5,
] as const;

/** Φ(z), the standard normal distribution function. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const y = Math.abs(z);
  if (y <= 0.66291) {
    const square = y > EPSILON / 2 ? z * z : 0;
    let numerator = CODY_A4 * square;
    let denominator = square;
    for (let i = 0; i < 3; i++) {
      numerator = (numerator + (CODY_A[i] ?? 0)) * square;
      denominator = (denominator + (CODY_B[i] ?? 0)) * square;
    }
    return 0.5 + (z * (numerator + CODY_A[3])) / (denominator + CODY_B[3]);
  }
  // The upper tail Q(|z|) = φ(|z|) · R(|z|), with φ split so that exp(−z²/2) keeps its digits.
  let tail: number;
  if (y <= Math.sqrt(32)) {
    let numerator = CODY_C8 * y;
    let denominator = y;
    for (let i = 0; i < 7; i++) {
      numerator = (numerator + (CODY_C[i] ?? 0)) * y;
      denominator = (denominator + (CODY_D[i] ?? 0)) * y;
    }
    tail = (numerator + CODY_C[7]) / (denominator + CODY_D[7]);
  } else if (y < 50) {
    const inverseSquare = 1 / (z * z);
    let numerator = CODY_P5 * inverseSquare;
    let denominator = inverseSquare;
    for (let i = 0; i < 4; i++) {
      numerator = (numerator + (CODY_P[i] ?? 0)) * inverseSquare;
      denominator = (denominator + (CODY_Q[i] ?? 0)) * inverseSquare;
    }
    tail = (inverseSquare * (numerator + CODY_P[4])) / (denominator + CODY_Q[4]);
    tail = (1 / Math.sqrt(2 * Math.PI) - tail) / y;
  } else {
    return z > 0 ? 1 : 0;
  }
  const rounded = Math.floor(y * 16) / 16;
  const rest = (y - rounded) * (y + rounded);
  tail *= Math.exp(-rounded * rounded * 0.5) * Math.exp(-rest * 0.5);
  return z > 0 ? 1 - tail : tail;
}

// Wichura (1988), Algorithm AS 241 (PPND16): the normal quantile to about 1e-16.
const AS241_CENTRAL_NUMERATOR = [
  3.3871328727963665, 133.14166789178438, 1971.5909503065513, 13731.69376550946, 45921.95393154987, 67265.7709270087,
  33430.57558358813, 2509.0809287301227,
] as const;
const AS241_CENTRAL_DENOMINATOR = [
  1, 42.31333070160091, 687.1870074920579, 5394.196021424751, 21213.794301586597, 39307.89580009271, 28729.085735721943,
  5226.495278852854,
] as const;
const AS241_NEAR_NUMERATOR = [
  1.4234371107496835, 4.630337846156546, 5.769497221460691, 3.6478483247632045, 1.2704582524523684, 0.2417807251774506,
  0.022723844989269184, 0.0007745450142783414,
] as const;
const AS241_NEAR_DENOMINATOR = [
  1, 2.053191626637759, 1.6763848301838038, 0.6897673349851, 0.14810397642748008, 0.015198666563616457,
  0.0005475938084995345, 1.0507500716444169e-9,
] as const;
const AS241_FAR_NUMERATOR = [
  6.657904643501103, 5.463784911164114, 1.7848265399172913, 0.29656057182850487, 0.026532189526576124,
  0.0012426609473880784, 2.7115555687434876e-5, 2.0103343992922881e-7,
] as const;
const AS241_FAR_DENOMINATOR = [
  1, 0.599832206555888, 0.1369298809227358, 0.014875361290850615, 0.0007868691311456133, 1.8463183175100548e-5,
  1.421511758316446e-7, 2.0442631033899397e-15,
] as const;

/** Σ coefficients[i] · x^i by Horner's rule. */
function polynomial(coefficients: readonly number[], x: number): number {
  let sum = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) sum = sum * x + (coefficients[i] ?? 0);
  return sum;
}

/** Φ⁻¹(p), the standard normal quantile; ∓Infinity at 0 and 1. */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) throw new RangeError(`Expected a probability in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * polynomial(AS241_CENTRAL_NUMERATOR, r)) / polynomial(AS241_CENTRAL_DENOMINATOR, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value = polynomial(AS241_NEAR_NUMERATOR, r) / polynomial(AS241_NEAR_DENOMINATOR, r);
  } else {
    r -= 5;
    value = polynomial(AS241_FAR_NUMERATOR, r) / polynomial(AS241_FAR_DENOMINATOR, r);
  }
  return q < 0 ? -value : value;
}

function checkDegreesOfFreedom(df: number): void {
  if (!(df > 0)) throw new RangeError(`Expected positive degrees of freedom, got ${df}`);
}

/** P[T ≤ t] for Student's t with df degrees of freedom (df may be fractional or Infinity). */
export function studentTCdf(t: number, df: number): number {
  checkDegreesOfFreedom(df);
  if (Number.isNaN(t)) return NaN;
  if (df === Infinity) return normalCdf(t);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  // P[|T| > |t|] = I_x(df/2, 1/2) with x = df / (df + t²).
  const ratio = (t * t) / df;
  const x = ratio === Infinity ? 0 : 1 / (1 + ratio);
  const y = ratio === Infinity ? 1 : ratio / (1 + ratio);
  const tail = 0.5 * betaTails(x, y, df / 2, 0.5)[0];
  return t > 0 ? 1 - tail : tail;
}

/** The t with P[T ≤ t] = p for Student's t with df degrees of freedom. */
export function studentTQuantile(p: number, df: number): number {
  checkDegreesOfFreedom(df);
  if (Number.isNaN(p) || p < 0 || p > 1) throw new RangeError(`Expected a probability in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  if (df === Infinity) return normalQuantile(p);
  if (df === 1) return Math.tan(Math.PI * (p - 0.5));
  if (df === 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
  const tail = Math.min(p, 1 - p);
  let magnitude: number;
  if (df > 1e7) {
    // Abramowitz & Stegun 26.7.5, the expansion about the normal quantile; the first omitted term is O(1/df³).
    const z = -normalQuantile(tail);
    const z2 = z * z;
    magnitude = z + (z * (z2 + 1)) / (4 * df) + (z * ((5 * z2 + 16) * z2 + 3)) / (96 * df * df);
  } else if (tail < 0.25) {
    // 2·tail = I_x(df/2, 1/2) with x = df / (df + t²).
    const x = betaQuantile(2 * tail, df / 2, 0.5);
    magnitude = Math.sqrt((df * (1 - x)) / x);
  } else {
    // Near the centre the complementary form keeps the digits of small t: 1 − 2·tail = I_y(1/2, df/2).
    const y = betaQuantile(1 - 2 * tail, 0.5, df / 2);
    magnitude = Math.sqrt((df * y) / (1 - y));
  }
  // Two Newton steps on the distribution function polish the last digits.
  const logNormalizer = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI);
  for (let step = 0; step < 2 && df <= 1e7; step++) {
    const density = Math.exp(logNormalizer - ((df + 1) / 2) * Math.log1p((magnitude * magnitude) / df));
    const error = studentTCdf(-magnitude, df) - tail;
    if (!(density > 0)) break;
    magnitude += error / density;
  }
  return p < 0.5 ? -magnitude : magnitude;
}

/** P[X ≤ k] for X ~ Binomial(n, p); k is floored, so any real k works. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Expected a non-negative integer n, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`Expected a probability in [0, 1], got ${p}`);
  if (Number.isNaN(k)) return NaN;
  const x = Math.floor(k);
  if (x < 0) return 0;
  if (x >= n) return 1;
  if (p === 0) return 1;
  if (p === 1) return 0;
  // P[X ≤ k] = I_{1−p}(n − k, k + 1).
  return betaTails(1 - p, p, n - x, x + 1)[0];
}

/** e^{−m} m^ξ / Γ(ξ + 1), a Poisson weight at a real ξ ≥ 0, by Loader's (2000) saddle-point form: accurate for any m. */
function poissonWeight(xi: number, m: number): number {
  if (xi === 0) return Math.exp(-m);
  return Math.exp(-stirlingError(xi) - deviance(xi, m)) / Math.sqrt(2 * Math.PI * xi);
}

/**
 * A positive number kept as mantissa·2^exponent with the mantissa in [2^−512, 2^512], so that a long product of
 * ratios neither underflows nor overflows on the way (g(a) below can start under 1e-308 and grow for a while).
 */
class Scaled {
  private exponent: number;
  private scale: number;
  private constructor(
    private mantissa: number,
    exponent: number,
  ) {
    this.exponent = exponent;
    this.scale = 2 ** exponent;
  }

  static fromLog(log: number): Scaled {
    const exponent = log < -600 && log > -Infinity ? Math.floor(log / Math.LN2) + 1 : 0;
    return new Scaled(Math.exp(log - exponent * Math.LN2), exponent);
  }

  get value(): number {
    return this.mantissa * this.scale;
  }

  multiply(ratio: number): void {
    this.mantissa *= ratio;
    if (this.mantissa > 2 ** 512 && this.exponent < 0) this.rescale(512);
    else if (this.mantissa < 2 ** -512 && this.mantissa > 0) this.rescale(-512);
  }

  private rescale(by: number): void {
    this.mantissa *= 2 ** -by;
    this.exponent += by;
    this.scale = 2 ** this.exponent;
  }
}

/** Weights below this add nothing a probability can show (and arithmetic on subnormals is slow). */
const NEGLIGIBLE_WEIGHT = 1e-300;

/** Past this many weights the series pays for two more beta tails to bound what is left (see tailBounds). */
const LONG_SERIES = 1e4;

/**
 * Bounds on the beta tail over the terms of poissonBetaSeries that can still matter, [lower tail as the series runs
 * backward, upper tail as it runs forward]: the tail at the farthest index whose Poisson weights are not negligible
 * (Chernoff: P[X ≤ m − k] ≤ e^(−k²/2m) and P[X ≥ m + k] ≤ e^(−k²/2(m + k)), below e^−745 for the reaches here).
 * Without them a series whose tails are all 0 (a t far from δ) would run ~40√m terms to learn so. Plain 1 for
 * short series, where they would cost more than they save.
 */
function tailBounds(
  m: number,
  s: number,
  first: number,
  x: number,
  y: number,
  b: number,
  upper: boolean,
): [lowest: number, highest: number] {
  if (m < LONG_SERIES) return [1, 1];
  if (upper) {
    const far = s + first + Math.ceil(40 * Math.sqrt(m) + 1600);
    return [1, betaTails(x, y, far + 0.5, b)[1]];
  }
  const near = s + Math.max(0, Math.floor(m - s - 38.6 * Math.sqrt(m)));
  return [betaTails(x, y, near + 0.5, b)[0], 1];
}

/**
 * Σ_{j ≥ 0} w(s + j)·B(s + j + ½), with w(ξ) = e^{−m} m^ξ / Γ(ξ + 1) and B(a) the lower (I_x(a, b)) or the upper
 * (1 − I_x(a, b)) beta tail at x (y = 1 − x). Summed from the weights' mode outwards both ways (Benton &
 * Krishnamoorthy 2003), so no weight underflows however large m is: the first weight and the beta tail there are
 * computed directly, the rest by the recurrences w(ξ ± 1) and B(a + 1) = B(a) ∓ g(a) with
 * g(a) = x^a y^b / (a·B(a, b)), g(a + 1) = g(a)·x(a + b)/(a + 1). Each direction stops once a bound on all it has left
 * (the largest beta tail still to come times the Poisson mass beyond, a geometric series) is below the last digit of
 * the sum, or once the tail left is only rounding.
 */
function poissonBetaSeries(m: number, s: number, x: number, y: number, b: number, upper: boolean): number {
  const first = Math.max(0, Math.floor(m - s));
  const xi0 = s + first;
  const a0 = xi0 + 0.5;
  const w0 = poissonWeight(xi0, m);
  const [lower0, upper0] = betaTails(x, y, a0, b);
  const tail0 = upper ? upper0 : lower0;
  const logG0 = logBetaPrefactor(x, y, a0, b) - Math.log(a0);
  const [lowest, highest] = tailBounds(m, s, first, x, y, b, upper);
  const floor = 4 * EPSILON * tail0;
  const tolerance = EPSILON / 8;
  let sum = w0 * tail0;

  // Forward: ξ = xi0 + 1, xi0 + 2, … (the lower tail shrinks, the upper grows to at most 1).
  let w = w0;
  let tail = tail0;
  let g = Scaled.fromLog(logG0);
  for (let xi = xi0, a = a0; w > NEGLIGIBLE_WEIGHT; xi++, a++) {
    tail = upper ? tail + g.value : tail - g.value;
    if (!upper && tail <= floor) break;
    g.multiply((x * (a + b)) / (a + 1));
    w *= m / (xi + 1);
    sum += w * tail;
    const ratio = m / (xi + 2);
    if (ratio < 1 && ((upper ? highest : tail) * w * ratio) / (1 - ratio) <= tolerance * sum) break;
  }

  // Backward: ξ = xi0 − 1, …, s (the lower tail grows to at most 1, the upper shrinks).
  w = w0;
  tail = tail0;
  g = Scaled.fromLog(logG0);
  for (let xi = xi0, a = a0; xi >= s + 1 && w > NEGLIGIBLE_WEIGHT; xi--, a--) {
    g.multiply(a / (x * (a - 1 + b)));
    tail = upper ? tail - g.value : tail + g.value;
    if (upper && tail <= floor) break;
    w *= xi / m;
    sum += w * tail;
    const ratio = (xi - 1) / m;
    if (ratio < 1 && ((upper ? tail : lowest) * w * ratio) / (1 - ratio) <= tolerance * sum) break;
  }
  return sum;
}

/**
 * Both tails [P[T ≤ t], P[T > t]] of the noncentral t for t > 0, from the mixture representation (Johnson, Kotz &
 * Balakrishnan 1995, 31.15; the series of Lenth's AS 243): with x = t²/(t² + df), m = δ²/2 and b = df/2,
 *   P[T ≤ t] = Φ(−δ) + ½ Σ_j [w(j)·I_x(j + ½, b) + sign(δ)·w(j + ½)·I_x(j + 1, b)],
 *   P[T > t] = ½ Σ_j [w(j)·(1 − I_x(j + ½, b)) + sign(δ)·w(j + ½)·(1 − I_x(j + 1, b))]
 * (the second because Σ_j w(j) = 1 and Σ_j w(j + ½) = erf(|δ|/√2)). The tail on the far side of δ is summed and the
 * other is its complement, so for δ > 0 every term is positive and the smaller tail keeps its relative accuracy.
 */
function noncentralTTails(t: number, df: number, delta: number): [lower: number, upper: number] {
  const ratio = (t * t) / df;
  if (ratio === Infinity) return [1, 0];
  if (ratio === 0) return [normalCdf(-delta), normalCdf(delta)];
  const x = ratio / (1 + ratio);
  const y = 1 / (1 + ratio);
  const m = 0.5 * delta * delta;
  const b = 0.5 * df;
  const sign = Math.sign(delta);
  // For t > 0, P[T ≤ t] ≥ P[T ≤ 0] = Φ(−δ). For δ < 0 the two series cancel to a small difference, and holding the
  // result to this bound keeps their rounding from showing.
  const atZero = normalCdf(-delta);
  if (t >= delta) {
    const series = poissonBetaSeries(m, 0, x, y, b, true) + sign * poissonBetaSeries(m, 0.5, x, y, b, true);
    const upper = Math.min(normalCdf(delta), Math.max(0, 0.5 * series));
    return [1 - upper, upper];
  }
  const series = poissonBetaSeries(m, 0, x, y, b, false) + sign * poissonBetaSeries(m, 0.5, x, y, b, false);
  const lower = Math.min(1, atZero + Math.max(0, 0.5 * series));
  return [lower, 1 - lower];
}

/**
 * P[T ≤ t] for the noncentral t distribution with df degrees of freedom (df may be fractional or Infinity) and
 * noncentrality ncp, for every t, df and ncp: the Poisson mixture of incomplete beta functions summed from its
 * largest term outwards (Benton & Krishnamoorthy 2003, as Boost.Math does). Absolute error below 1e-14, and relative
 * error about 1e-13 in either tail when t and ncp have the same sign. R's pt(t, df, ncp) (AS 243) switches to a
 * normal approximation for |ncp| > 37.62 or df > 4e5, which is off by up to 1e-2 there; this does not.
 */
export function noncentralTCdf(t: number, df: number, ncp: number): number {
  checkDegreesOfFreedom(df);
  if (Number.isNaN(t) || Number.isNaN(ncp)) return NaN;
  if (ncp === 0) return studentTCdf(t, df);
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  if (!Number.isFinite(ncp)) return ncp > 0 ? 0 : 1;
  if (df === Infinity) return normalCdf(t - ncp);
  if (t === 0) return normalCdf(-ncp);
  // For t < 0, P[T ≤ t; δ] = P[T > −t; −δ].
  return t > 0 ? noncentralTTails(t, df, ncp)[0] : noncentralTTails(-t, df, -ncp)[1];
}
