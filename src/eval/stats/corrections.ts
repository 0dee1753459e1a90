// Multiplicity corrections for a family of p-values: Holm's step-down (familywise error) and Benjamini–Hochberg's
// step-up (false discovery rate). Adjusted p-values come back in the input order and are computed with the same
// operations in the same order as R's p.adjust(p, "holm") and p.adjust(p, "BH"), so they agree to the last bit.

function check(pValues: readonly number[]): void {
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Expected p-values in [0, 1], got ${p} at index ${i}`);
  });
}

/** Indices of `values` sorted by value (stable, like R's order()), ascending or descending. */
function order(values: readonly number[], descending: boolean): number[] {
  const indices = values.map((_, i) => i);
  const sign = descending ? -1 : 1;
  return indices.sort((a, b) => sign * ((values[a] as number) - (values[b] as number)) || a - b);
}

/** Holm (1979): with p₍₁₎ ≤ … ≤ p₍ₙ₎, adjusted p₍ᵢ₎ = min(1, max_{j ≤ i} (n − j + 1)·p₍ⱼ₎). */
export function holm(pValues: readonly number[]): number[] {
  check(pValues);
  const n = pValues.length;
  const adjusted = new Array<number>(n);
  let runningMax = 0;
  order(pValues, false).forEach((index, position) => {
    runningMax = Math.max(runningMax, (n - (position + 1) + 1) * (pValues[index] as number));
    adjusted[index] = Math.min(1, runningMax);
  });
  return adjusted;
}

/** Benjamini & Hochberg (1995): adjusted p₍ᵢ₎ = min(1, min_{j ≥ i} (n / j)·p₍ⱼ₎). */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  check(pValues);
  const n = pValues.length;
  const adjusted = new Array<number>(n);
  let runningMin = Infinity;
  order(pValues, true).forEach((index, position) => {
    const rank = n - position;
    runningMin = Math.min(runningMin, (n / rank) * (pValues[index] as number));
    adjusted[index] = Math.min(1, runningMin);
  });
  return adjusted;
}
