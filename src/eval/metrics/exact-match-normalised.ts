// exact_match_norm: exact match after the SQuAD v1.1 answer normalisation (lowercase, no punctuation, no articles,
// single spaces) — the EM of the SQuAD leaderboard.

import { bestOver, cellText, referenceTexts } from './cell-text.js';
import type { Metric } from './metric.js';
import { checkOptionNames } from './metric-options.js';
import { normaliseAnswer } from './normalise-text.js';

/**
 * 1 when the normalised answer equals the normalised reference, else 0; null when either is missing.
 * An array reference is a list of acceptable answers: 1 when any of them matches (SQuAD's max over ground truths).
 * A JSON answer is normalised from its canonical JSON text.
 */
export const exactMatchNormalisedMetric: Metric = {
  name: 'exact_match_norm',
  kind: 'binary',
  range: [0, 1],
  description: 'exact match after SQuAD normalisation (lowercase, no punctuation/articles, single spaces)',
  needsReference: true,
  prepare(options) {
    checkOptionNames('exact_match_norm', options, []);
    return (answer, reference) => {
      const a = cellText(answer);
      const references = referenceTexts(reference);
      if (a === null || references === null) return null;
      const normalised = normaliseAnswer(a);
      return bestOver(references, (r) => (normaliseAnswer(r) === normalised ? 1 : 0));
    };
  },
};
