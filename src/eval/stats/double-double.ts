// Double-double arithmetic: a number as an unevaluated sum hi + lo of two doubles, about 32 significant digits
// (Dekker 1971; Knuth's TwoSum). Used where a recurrence cancels digits it cannot afford to lose (the incomplete
// beta's continued fraction with a huge shape parameter). Only what that needs: +, −, ×, ÷.

export interface DoubleDouble {
  readonly hi: number;
  readonly lo: number;
}

const SPLITTER = 134217729; // 2^27 + 1

/** The exact sum a + b as a double-double (Knuth's TwoSum). */
export function twoSum(a: number, b: number): DoubleDouble {
  const hi = a + b;
  const bb = hi - a;
  return { hi, lo: a - (hi - bb) + (b - bb) };
}

/** Renormalises hi + lo when |hi| ≥ |lo|. */
function quickTwoSum(a: number, b: number): DoubleDouble {
  const hi = a + b;
  return { hi, lo: b - (hi - a) };
}

/** The exact product a · b as a double-double (Dekker's split, no fused multiply-add needed). */
export function twoProduct(a: number, b: number): DoubleDouble {
  const hi = a * b;
  const ca = SPLITTER * a;
  const aHigh = ca - (ca - a);
  const aLow = a - aHigh;
  const cb = SPLITTER * b;
  const bHigh = cb - (cb - b);
  const bLow = b - bHigh;
  return { hi, lo: aHigh * bHigh - hi + aHigh * bLow + aLow * bHigh + aLow * bLow };
}

export function fromNumber(a: number): DoubleDouble {
  return { hi: a, lo: 0 };
}

export function add(x: DoubleDouble, y: DoubleDouble): DoubleDouble {
  const s = twoSum(x.hi, y.hi);
  const t = twoSum(x.lo, y.lo);
  const u = quickTwoSum(s.hi, s.lo + t.hi);
  return quickTwoSum(u.hi, u.lo + t.lo);
}

export function subtract(x: DoubleDouble, y: DoubleDouble): DoubleDouble {
  return add(x, { hi: -y.hi, lo: -y.lo });
}

export function multiply(x: DoubleDouble, y: DoubleDouble): DoubleDouble {
  const p = twoProduct(x.hi, y.hi);
  return quickTwoSum(p.hi, p.lo + (x.hi * y.lo + x.lo * y.hi));
}

export function divide(x: DoubleDouble, y: DoubleDouble): DoubleDouble {
  const q1 = x.hi / y.hi;
  const r1 = subtract(x, multiply(y, fromNumber(q1)));
  const q2 = r1.hi / y.hi;
  const r2 = subtract(r1, multiply(y, fromNumber(q2)));
  const q3 = r2.hi / y.hi;
  const q = quickTwoSum(q1, q2);
  return add(q, fromNumber(q3));
}

/** The nearest double. */
export function toNumber(x: DoubleDouble): number {
  return x.hi + x.lo;
}
