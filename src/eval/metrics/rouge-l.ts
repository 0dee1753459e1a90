// rouge_l: ROUGE-L (Lin 2004), the F-measure of the longest common subsequence of answer and reference tokens,
// computed as Google's rouge-score package (`rougeL`, no stemmer) does: same tokens, same F with beta = 1.

import { bestOver, cellText, referenceTexts } from './cell-text.js';
import type { Metric } from './metric.js';
import { checkOptionNames, numberOption } from './metric-options.js';

const WORD = /[a-z0-9]+/g;

/**
 * rouge-score's tokenizer without stemming: lowercase, then the runs of ASCII letters and digits. Everything else
 * separates tokens, so letters outside ASCII are dropped (`café` → `caf`; a Chinese text has no tokens) — faithful
 * to rouge-score, and a reason to prefer f1 or bleu for text that is not English.
 */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/**
 * The length of the longest common subsequence of two token lists in O(n·m) time and O(min(n, m)) memory: one row
 * of the dynamic programme over the shorter list. Tokens are first mapped to integers; rows of the longer list whose
 * token is absent from the shorter one cannot change the row and are skipped.
 */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  const m = short.length;
  if (m === 0) return 0;
  const ids = new Map<string, number>();
  const shortIds = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const token = short[j]!;
    let id = ids.get(token);
    if (id === undefined) ids.set(token, (id = ids.size));
    shortIds[j] = id;
  }
  // row[j] = LCS of the long list's prefix so far and the short list's first j tokens.
  const row = new Int32Array(m + 1);
  for (const token of long) {
    const id = ids.get(token);
    if (id === undefined) continue;
    let diagonal = 0;
    for (let j = 1; j <= m; j++) {
      const up = row[j]!;
      if (shortIds[j - 1] === id) row[j] = diagonal + 1;
      else if (row[j - 1]! > up) row[j] = row[j - 1]!;
      diagonal = up;
    }
  }
  return row[m]!;
}

export interface RougeScore {
  readonly precision: number;
  readonly recall: number;
  readonly fmeasure: number;
}

/**
 * ROUGE-L of a prediction against a target (rouge-score's `_score_lcs`): precision = LCS / prediction length,
 * recall = LCS / target length, F = 2PR / (P + R). An empty side (or no common token) scores 0 throughout, as in
 * rouge-score — also when both are empty.
 */
export function rougeL(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  const fmeasure = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, fmeasure };
}

/** The default token cap: 2,048² ≈ 4 million DP cells, about 10 ms for a row at the cap. */
export const ROUGE_MAX_TOKENS = 2048;

/**
 * ROUGE-L F-measure of the answer (prediction) against the reference (target), in [0, 1]; null when either is
 * missing. An array reference is a list of acceptable references, scored by the best (rouge-score's `score_multi`).
 * Option `max_tokens` (default 2048): longer texts are scored on their first max_tokens tokens, bounding the
 * quadratic LCS on runaway answers; precision and recall then use the truncated lengths.
 */
export const rougeLMetric: Metric = {
  name: 'rouge_l',
  kind: 'continuous',
  range: [0, 1],
  description: 'ROUGE-L F-measure (longest common subsequence of lowercase ASCII word tokens, as rouge-score)',
  needsReference: true,
  prepare(options) {
    checkOptionNames('rouge_l', options, ['max_tokens']);
    const cap = numberOption('rouge_l', options, 'max_tokens', {
      fallback: ROUGE_MAX_TOKENS,
      min: 1,
      max: 1_000_000,
      integer: true,
    });
    const tokens = (text: string) => {
      const all = rougeTokens(text);
      return all.length > cap ? all.slice(0, cap) : all;
    };
    return (answer, reference) => {
      const a = cellText(answer);
      const references = referenceTexts(reference);
      if (a === null || references === null) return null;
      const prediction = tokens(a);
      return bestOver(references, (r) => rougeL(tokens(r), prediction).fmeasure);
    };
  },
};
