// An independent reference for the noncentral t distribution function, for the tests: no series, no incomplete
// beta, no log-gamma and none of distributions.ts. T = (Z + δ)/U with U = √(V/df), V ~ χ²_df, so
//   P[T ≤ t] = E[Φ(t·U − δ)] = ∫ Φ(t·u − δ) f(u) du / ∫ f(u) du,   f(u) = u^(df−1) e^(−df·u²/2),
// the density of U up to its constant (the ratio needs no Γ). Both integrals by composite 10-point Gauss–Legendre on
// panels narrower than the integrand's features (a quarter of the spread of U, and of the width 1/|t| of Φ's step
// where Φ is not 0 or 1), over the range where f is above e^−60 of its peak; Φ from erfc by its positive-term series below 3 and its continued fraction
// above. About 1e-14 absolute error (checked in distributions.test.ts against published values).

/** erfc(x) for x ≥ 0. */
function erfcNonNegative(x: number): number {
  if (x < 3) {
    // erf(x) = (2/√π) e^(−x²) Σ_n 2^n x^(2n+1) / (1·3·…·(2n+1)): every term positive, so no digits cancel.
    let term = x;
    let sum = x;
    for (let n = 1; n < 500 && term > 1e-18 * sum; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated from level 60 up (converged
  // to the last digit from level 30 on at x = 3).
  let fraction = x;
  for (let k = 60; k >= 1; k--) fraction = x + k / 2 / fraction;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / fraction;
}

/** Φ(z), independently of distributions.ts. */
export function referenceNormalCdf(z: number): number {
  return z < 0 ? 0.5 * erfcNonNegative(-z / Math.SQRT2) : 1 - 0.5 * erfcNonNegative(z / Math.SQRT2);
}

/** Nodes and weights of n-point Gauss–Legendre on [−1, 1], the nodes by Newton's method on P_n. */
function gaussLegendre(n: number): { nodes: number[]; weights: number[] } {
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= n; i++) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let derivative = 1;
    for (let iteration = 0; iteration < 100; iteration++) {
      let previous = 1;
      let current = x;
      for (let k = 2; k <= n; k++)
        [previous, current] = [current, ((2 * k - 1) * x * current - (k - 1) * previous) / k];
      derivative = (n * (x * current - previous)) / (x * x - 1);
      const step = current / derivative;
      x -= step;
      if (Math.abs(step) < 1e-17) break;
    }
    nodes.push(x);
    weights.push(2 / ((1 - x * x) * derivative * derivative));
  }
  return { nodes, weights };
}

const RULE = gaussLegendre(10);

/** P[T ≤ t] for the noncentral t with df ≥ 2 degrees of freedom and noncentrality delta, by quadrature. */
export function referenceNoncentralTCdf(t: number, df: number, delta: number): number {
  const mode = Math.sqrt((df - 1) / df);
  const logShape = (u: number): number => (df - 1) * Math.log(u / mode) - (df * (u * u - mode * mode)) / 2;
  // The range where f is above e^−60 of its peak, by bisection on each side of the mode.
  const edge = (from: number, to: number): number => {
    let inside = from;
    let outside = to;
    for (let i = 0; i < 200; i++) {
      const middle = 0.5 * (inside + outside);
      if (logShape(middle) > -60) inside = middle;
      else outside = middle;
    }
    return outside;
  };
  const low = edge(mode, 0);
  const high = edge(mode, mode + 50);
  // Φ(t·u − δ) is 0 or 1 to the last digit outside the band −40 ≤ t·u − δ ≤ 9: panels there need only follow f.
  const spread = 1 / Math.sqrt(2 * df);
  const bandEnds = t === 0 ? [low, low] : [(delta - 40) / t, (delta + 9) / t].sort((p, q) => p - q);
  const bandLow = Math.min(high, Math.max(low, bandEnds[0]!));
  const bandHigh = Math.min(high, Math.max(low, bandEnds[1]!));
  const fine = Math.min(spread, t === 0 ? Infinity : 1 / Math.abs(t)) / 4;
  let mass = 0;
  let weighted = 0;
  const integrate = (from: number, to: number, width: number): void => {
    if (!(to > from)) return;
    const panels = Math.ceil((to - from) / width);
    const h = (to - from) / panels;
    for (let panel = 0; panel < panels; panel++) {
      const centre = from + (panel + 0.5) * h;
      for (let i = 0; i < RULE.nodes.length; i++) {
        const u = centre + 0.5 * h * RULE.nodes[i]!;
        const density = 0.5 * h * RULE.weights[i]! * Math.exp(logShape(u));
        const z = t * u - delta;
        mass += density;
        weighted += density * (z < -40 ? 0 : z > 9 ? 1 : referenceNormalCdf(z));
      }
    }
  };
  integrate(low, bandLow, spread / 4);
  integrate(bandLow, bandHigh, fine);
  integrate(bandHigh, high, spread / 4);
  return weighted / mass;
}
