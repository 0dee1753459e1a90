// Power and sample size for comparing two systems on the same rows (`llmap power`): McNemar's test for paired
// yes/no outcomes by Connor's (1987) normal-approximation formula, and the paired t test exactly as R's
// power.t.test(type = "paired", alternative = "two.sided", strict = FALSE) through the noncentral t. Sample sizes are
// numbers of rows (pairs), the smallest whole number that reaches the power.

import { noncentralTCdf, normalCdf, normalQuantile, studentTQuantile } from './distributions.js';

export interface PairedBinaryDesign {
  /** Probability that a row is right under the first system and wrong under the second. */
  readonly p10: number;
  /** Probability that a row is wrong under the first system and right under the second. */
  readonly p01: number;
  /** Two-sided significance level. */
  readonly alpha: number;
  /** Target power, 1 − β. */
  readonly power: number;
}

export interface PairedContinuousDesign {
  /** True mean of the paired differences. */
  readonly delta: number;
  /** Standard deviation of the paired differences. */
  readonly sd: number;
  /** Two-sided significance level. */
  readonly alpha: number;
  /** Target power, 1 − β. */
  readonly power: number;
}

function checkProbability(name: string, value: number): void {
  if (!(value > 0 && value < 1)) throw new RangeError(`Expected \`${name}\` to be in (0, 1), got ${value}`);
}

function checkDiscordant(p10: number, p01: number): void {
  if (!(p10 >= 0 && p01 >= 0 && p10 + p01 <= 1)) {
    throw new RangeError(`Expected discordant probabilities p10, p01 ≥ 0 with p10 + p01 ≤ 1, got ${p10}, ${p01}`);
  }
  if (p10 === p01) throw new RangeError(`Expected p10 ≠ p01 (no difference to detect), got ${p10} for both`);
}

/**
 * Rows needed for McNemar's test by Connor (1987, Biometrics 43:207–211, p. 209):
 * n = [z_{1−α/2}·√ψ + z_{1−β}·√(ψ − δ²)]² / δ² with ψ = p10 + p01 and δ = p10 − p01, rounded up.
 */
export function pairedBinarySampleSize(design: PairedBinaryDesign): number {
  const { p10, p01, alpha, power } = design;
  checkDiscordant(p10, p01);
  checkProbability('alpha', alpha);
  checkProbability('power', power);
  const discordant = p10 + p01;
  const difference = p10 - p01;
  const root =
    normalQuantile(1 - alpha / 2) * Math.sqrt(discordant) +
    normalQuantile(power) * Math.sqrt(discordant - difference * difference);
  return Math.ceil((root * root) / (difference * difference));
}

/**
 * Power of McNemar's test with n rows, the inverse of Connor's formula counting both rejection regions:
 * Φ((|δ|√n − z_{1−α/2}√ψ) / √(ψ − δ²)) + Φ((−|δ|√n − z_{1−α/2}√ψ) / √(ψ − δ²)).
 */
export function pairedBinaryPower(n: number, p10: number, p01: number, alpha: number): number {
  if (!(n > 0)) throw new RangeError(`Expected a positive number of rows, got ${n}`);
  checkDiscordant(p10, p01);
  checkProbability('alpha', alpha);
  const discordant = p10 + p01;
  const difference = Math.abs(p10 - p01);
  const z = normalQuantile(1 - alpha / 2) * Math.sqrt(discordant);
  const spread = Math.sqrt(discordant - difference * difference);
  const shift = difference * Math.sqrt(n);
  return normalCdf((shift - z) / spread) + normalCdf((-shift - z) / spread);
}

/**
 * Power of the two-sided paired t test with n rows (n ≥ 2; fractional n allowed, as in R), as R's power.t.test with
 * strict = FALSE: P[T' > t_{1−α/2, n−1}] for T' noncentral t with n − 1 df and noncentrality √n·|delta|/sd.
 */
export function pairedContinuousPower(n: number, delta: number, sd: number, alpha: number): number {
  if (!(n >= 2)) throw new RangeError(`Expected at least 2 rows, got ${n}`);
  if (!(sd > 0)) throw new RangeError(`Expected \`sd\` to be positive, got ${sd}`);
  if (!Number.isFinite(delta)) throw new RangeError(`Expected a finite \`delta\`, got ${delta}`);
  checkProbability('alpha', alpha);
  const df = n - 1;
  const critical = studentTQuantile(1 - alpha / 2, df);
  return 1 - noncentralTCdf(critical, df, (Math.sqrt(n) * Math.abs(delta)) / sd);
}

/**
 * Rows needed for the two-sided paired t test: the smallest whole n ≥ 2 whose pairedContinuousPower reaches the
 * target, which is R's power.t.test(delta, sd, power, sig.level, type = "paired")$n rounded up (found here by
 * stepping over whole numbers from the normal-theory estimate, so no root-finding tolerance enters).
 */
export function pairedContinuousSampleSize(design: PairedContinuousDesign): number {
  const { delta, sd, alpha, power } = design;
  if (!(sd > 0)) throw new RangeError(`Expected \`sd\` to be positive, got ${sd}`);
  if (!(delta !== 0 && Number.isFinite(delta))) {
    throw new RangeError(`Expected a finite, non-zero \`delta\`, got ${delta}`);
  }
  checkProbability('alpha', alpha);
  checkProbability('power', power);
  const effect = Math.abs(delta) / sd;
  const normalTheory = ((normalQuantile(1 - alpha / 2) + normalQuantile(power)) / effect) ** 2;
  if (!(normalTheory < 1e12))
    throw new RangeError(`The effect ${delta}/${sd} is too small to power (${normalTheory} rows)`);
  const reaches = (n: number): boolean => pairedContinuousPower(n, delta, sd, alpha) >= power;
  let n = Math.max(2, Math.ceil(normalTheory));
  while (!reaches(n)) n++;
  while (n > 2 && reaches(n - 1)) n--;
  return n;
}
