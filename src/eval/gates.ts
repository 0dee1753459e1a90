// Quality gates: `--gate "exact_match >= 0.92"`, `--gate "f1.ci_low >= 0.8"`,
// `--gate "regression(exact_match) <= 0.02"`. A gate reads one number from the statistics (a score's mean, an
// end of its interval, its row count) or from the comparison with a baseline (the regression A − B, or an end of
// its interval) and compares it with a threshold. Parsed before any row is read; evaluated on overall figures.

import { InputError } from '../job/input-error.js';
import type { Comparison } from './compare-runs.js';
import type { ScoreStats } from './summarise.js';

const STATS = ['mean', 'ci_low', 'ci_high', 'n'] as const;
type Stat = (typeof STATS)[number];
const OPERATORS = ['>=', '<=', '>', '<', '=='] as const;
type Operator = (typeof OPERATORS)[number];

export interface Gate {
  readonly text: string;
  /** `regression(score)`: baseline − candidate, so a positive value is a loss. */
  readonly regression: boolean;
  readonly score: string;
  readonly stat: Stat;
  readonly operator: Operator;
  readonly threshold: number;
}

export interface GateResult {
  readonly gate: Gate;
  /** The figure the gate read; undefined when it does not exist (no row scored, too few rows for an interval). */
  readonly value: number | undefined;
  readonly passed: boolean;
  readonly reason: string | undefined;
}

const GATE =
  /^\s*(regression\(\s*([^()\s]+)\s*\)|[^\s<>=!]+?)(?:\.(mean|ci_low|ci_high|n))?\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/;

export function parseGate(text: string): Gate {
  const match = GATE.exec(text);
  if (!match) {
    throw new InputError(
      `--gate "${text}": expected SCORE[.mean|.ci_low|.ci_high|.n] OP NUMBER or regression(SCORE) OP NUMBER, ` +
        `with OP one of >= <= > < ==, e.g. "exact_match >= 0.92" or "regression(f1) <= 0.02"`,
    );
  }
  const regression = match[2] !== undefined;
  return {
    text: text.trim(),
    regression,
    score: regression ? match[2]! : match[1]!,
    stat: (match[3] ?? 'mean') as Stat,
    operator: match[4] as Operator,
    threshold: Number(match[5]),
  };
}

/** Fails early when a gate names a score that will not be computed, or a regression without a baseline. */
export function checkGates(gates: readonly Gate[], scores: readonly string[], hasBaseline: boolean): void {
  for (const gate of gates) {
    if (!scores.includes(gate.score)) {
      throw new InputError(`--gate "${gate.text}": no score ${gate.score}; the scores are ${scores.join(', ')}`);
    }
    if (gate.regression && !hasBaseline) {
      throw new InputError(`--gate "${gate.text}": a regression needs a baseline (--baseline FILE, or llmap compare)`);
    }
    if (gate.regression && gate.stat === 'n') {
      throw new InputError(`--gate "${gate.text}": a regression has a mean and an interval, not a row count`);
    }
  }
}

/** Gates on a score read the candidate's overall statistics; regressions read the comparison. */
export function evaluateGates(
  gates: readonly Gate[],
  stats: readonly ScoreStats[],
  comparison: Comparison | undefined,
): GateResult[] {
  return gates.map((gate) => {
    const { value, reason } = gate.regression ? regressionValue(gate, comparison!) : statValue(gate, stats);
    const passed = value !== undefined && compare(value, gate.operator, gate.threshold);
    return { gate, value, passed, reason };
  });
}

function statValue(
  gate: Gate,
  stats: readonly ScoreStats[],
): { value: number | undefined; reason: string | undefined } {
  const overall = stats.find((s) => s.score === gate.score && s.segment === undefined)!;
  switch (gate.stat) {
    case 'n':
      return { value: overall.n, reason: undefined };
    case 'mean':
      return { value: overall.mean, reason: overall.mean === undefined ? 'no row scored' : undefined };
    case 'ci_low':
    case 'ci_high': {
      const value = gate.stat === 'ci_low' ? overall.interval?.low : overall.interval?.high;
      return { value, reason: value === undefined ? (overall.note ?? 'no interval') : undefined };
    }
  }
}

function regressionValue(
  gate: Gate,
  comparison: Comparison,
): { value: number | undefined; reason: string | undefined } {
  const result = comparison.results.find((r) => r.score === gate.score && r.segment === undefined);
  if (!result || result.difference === undefined) return { value: undefined, reason: 'no row scored in both runs' };
  // The regression is A − B: the negated difference, and its interval flipped.
  switch (gate.stat) {
    case 'ci_low':
    case 'ci_high': {
      if (!result.interval) return { value: undefined, reason: result.note ?? 'no interval' };
      return { value: gate.stat === 'ci_low' ? -result.interval.high : -result.interval.low, reason: undefined };
    }
    default:
      return { value: -result.difference, reason: undefined };
  }
}

function compare(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case '>=':
      return value >= threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
    case '==':
      return value === threshold;
  }
}

export const GATE_STATS = STATS;
export const GATE_OPERATORS = OPERATORS;
