// f1: SQuAD token-level F1 — the harmonic mean of precision and recall over the multisets of normalised tokens
// (evaluate-v1.1.py `f1_score`), the partial-credit companion of exact_match_norm.

import { bestOver, cellText, referenceTexts } from './cell-text.js';
import type { Metric } from './metric.js';
import { checkOptionNames } from './metric-options.js';
import { answerTokens } from './normalise-text.js';

/**
 * F1 of two token lists as multisets: a token counts as shared as many times as it occurs in both.
 * Both empty → 1 and one empty → 0, as SQuAD v2.0's `compute_f1` does. (v1.1's `f1_score` returns 0 when both are
 * empty, which would score a correct empty answer as wrong; otherwise the two scripts agree.)
 */
export function tokenF1(prediction: readonly string[], truth: readonly string[]): number {
  if (prediction.length === 0 || truth.length === 0) return prediction.length === truth.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const token of prediction) counts.set(token, (counts.get(token) ?? 0) + 1);
  let same = 0;
  for (const token of truth) {
    const left = counts.get(token);
    if (left !== undefined && left > 0) {
      counts.set(token, left - 1);
      same++;
    }
  }
  if (same === 0) return 0;
  const precision = same / prediction.length;
  const recall = same / truth.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * Token F1 of the normalised answer against the normalised reference, in [0, 1]; null when either is missing.
 * An array reference is a list of acceptable answers, scored by the best (SQuAD's max over ground truths).
 */
export const f1Metric: Metric = {
  name: 'f1',
  kind: 'continuous',
  range: [0, 1],
  description: 'SQuAD token F1 over normalised tokens (partial credit for overlapping words)',
  needsReference: true,
  prepare(options) {
    checkOptionNames('f1', options, []);
    return (answer, reference) => {
      const a = cellText(answer);
      const references = referenceTexts(reference);
      if (a === null || references === null) return null;
      const tokens = answerTokens(a);
      return bestOver(references, (r) => tokenF1(tokens, answerTokens(r)));
    };
  },
};
