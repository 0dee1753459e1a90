// exact_match: the answer is the reference, character for character. Strict by design (no trimming, no case
// folding); exact_match_norm is the forgiving sibling.

import { cellText } from './cell-text.js';
import type { Metric } from './metric.js';
import { checkOptionNames } from './metric-options.js';

/**
 * 1 when the answer's text equals the reference's text, else 0; null when either is missing.
 * Both sides go through {@link cellText}: numbers and booleans compare by their text form (`3` matches `"3"` but
 * not `"3.0"`; `true` matches `"true"` but not `"True"`), objects and arrays by canonical JSON (key order ignored).
 */
export const exactMatchMetric: Metric = {
  name: 'exact_match',
  kind: 'binary',
  range: [0, 1],
  description: 'answer equals reference as text (numbers, booleans by text form; JSON by canonical form); no trimming',
  needsReference: true,
  prepare(options) {
    checkOptionNames('exact_match', options, []);
    return (answer, reference) => {
      const a = cellText(answer);
      const r = cellText(reference);
      if (a === null || r === null) return null;
      return a === r ? 1 : 0;
    };
  },
};
