// bleu: sentence-level BLEU (Papineni et al. 2002) — the geometric mean of modified (clipped) n-gram precisions
// times a brevity penalty — computed as sacreBLEU's `sentence_bleu` does: 13a tokens, exponential smoothing of
// orders without matches (Chen & Cherry 2014, method 3) and effective order for sentences shorter than n.

import { cellText, referenceTexts } from './cell-text.js';
import type { Metric } from './metric.js';
import { booleanOption, checkOptionNames, choiceOption, numberOption } from './metric-options.js';
import { splitWords } from './split-words.js';
import { tokenize13a } from './tokenize-13a.js';

/**
 * How an n-gram order without any match is scored (Chen & Cherry 2014, "A Systematic Comparison of Smoothing
 * Techniques for Sentence-Level BLEU"), named as in sacreBLEU:
 * - `exp`: the k-th order without matches gets precision 1 / (2^k · total) — method 3, NIST's geometric smoothing,
 *   NLTK's `method3`, sacreBLEU's default for sentence BLEU.
 * - `floor`: such an order gets precision smoothValue / total (default 0.1) — method 1, NLTK's `method1`.
 * - `add-k`: orders above 1 get smoothValue (default 1) added to matches and totals — method 2 (Lin & Och 2004),
 *   sacreBLEU's `add-k`.
 * - `none`: an order without matches makes the score 0 (NLTK without smoothing gives ~1e-77 there instead).
 */
export type BleuSmoothing = 'exp' | 'floor' | 'add-k' | 'none';

export interface BleuOptions {
  /** The highest n-gram order, with uniform weights 1/maxOrder. @default 4 */
  readonly maxOrder?: number;
  /** @default 'exp' */
  readonly smoothing?: BleuSmoothing;
  /** The value of `floor` and `add-k` smoothing. @default 0.1 for floor, 1 for add-k */
  readonly smoothValue?: number;
  /**
   * Average only over the orders the hypothesis has n-grams for (a 3-token hypothesis is scored on 1- to 3-grams),
   * as sacreBLEU's `sentence_bleu`; when false such a hypothesis scores 0, as in corpus BLEU. @default true
   */
  readonly effectiveOrder?: boolean;
}

/** The sufficient statistics of BLEU for one hypothesis: clipped matches and totals per order, and the lengths. */
export interface NgramStatistics {
  /** matches[n-1]: hypothesis n-grams also in a reference, each clipped to its largest count in any one reference. */
  readonly matches: readonly number[];
  /** totals[n-1]: hypothesis n-grams, max(0, length − n + 1). */
  readonly totals: readonly number[];
  readonly hypothesisLength: number;
  /** The reference length closest to the hypothesis length; the shorter one on a tie (mteval-v13a, NLTK, sacreBLEU). */
  readonly referenceLength: number;
}

interface HypothesisNgram {
  readonly order: number;
  count: number;
  /** The largest count of this n-gram in any one reference. */
  inReference: number;
}

/** Counts the n-grams of the hypothesis and clips them by the references (Papineni 2002, §2.1). */
export function ngramStatistics(
  hypothesis: readonly string[],
  references: readonly (readonly string[])[],
  maxOrder: number,
): NgramStatistics {
  if (references.length === 0) throw new RangeError('BLEU needs at least one reference');
  // Tokens become small integers and n-grams the keys `3,7,7`: unique for any token text, spaces included.
  const ids = new Map<string, number>();
  const ngrams = new Map<string, HypothesisNgram>();
  for (let i = 0; i < hypothesis.length; i++) {
    let key = '';
    for (let n = 1; n <= maxOrder && i + n <= hypothesis.length; n++) {
      const token = hypothesis[i + n - 1]!;
      let id = ids.get(token);
      if (id === undefined) ids.set(token, (id = ids.size));
      key = n === 1 ? `${id}` : `${key},${id}`;
      const ngram = ngrams.get(key);
      if (ngram) ngram.count++;
      else ngrams.set(key, { order: n, count: 1, inReference: 0 });
    }
  }
  let referenceLength = -1;
  const counts = new Map<string, number>();
  for (const reference of references) {
    counts.clear();
    for (let i = 0; i < reference.length; i++) {
      let key = '';
      for (let n = 1; n <= maxOrder && i + n <= reference.length; n++) {
        const id = ids.get(reference[i + n - 1]!);
        // A token the hypothesis lacks ends every n-gram through it: none of them can match.
        if (id === undefined) break;
        key = n === 1 ? `${id}` : `${key},${id}`;
        // Every prefix of a hypothesis n-gram is one too, so no longer n-gram from here can match either.
        if (!ngrams.has(key)) break;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    for (const [key, count] of counts) {
      const ngram = ngrams.get(key)!;
      if (count > ngram.inReference) ngram.inReference = count;
    }
    const distance = Math.abs(reference.length - hypothesis.length);
    const best = Math.abs(referenceLength - hypothesis.length);
    if (referenceLength < 0 || distance < best || (distance === best && reference.length < referenceLength)) {
      referenceLength = reference.length;
    }
  }
  const matches = new Array<number>(maxOrder).fill(0);
  for (const ngram of ngrams.values()) matches[ngram.order - 1]! += Math.min(ngram.count, ngram.inReference);
  const totals = Array.from({ length: maxOrder }, (_, n) => Math.max(0, hypothesis.length - n));
  return { matches, totals, hypothesisLength: hypothesis.length, referenceLength };
}

/**
 * BLEU in [0, 1] from its statistics, following sacreBLEU's `BLEU.compute_bleu` (which reports it ×100):
 * BP · exp(Σ log pₙ / N), BP = 1 when the hypothesis is at least as long as the reference, else exp(1 − r/c).
 * No matching unigram at all gives 0 whatever the smoothing.
 */
export function bleuFromStatistics(statistics: NgramStatistics, options: BleuOptions = {}): number {
  const { matches, totals, hypothesisLength: c, referenceLength: r } = statistics;
  const smoothing = options.smoothing ?? 'exp';
  const smoothValue = options.smoothValue ?? (smoothing === 'add-k' ? 1 : 0.1);
  const effectiveOrder = options.effectiveOrder ?? true;
  const maxOrder = matches.length;
  if (!matches.some((m) => m > 0)) return 0;
  const brevityPenalty = c < r ? (c > 0 ? Math.exp(1 - r / c) : 0) : 1;

  let logSum = 0;
  let order = maxOrder;
  let halvings = 1;
  for (let n = 1; n <= maxOrder; n++) {
    let matched = matches[n - 1]!;
    let total = totals[n - 1]!;
    if (smoothing === 'add-k' && n > 1) {
      matched += smoothValue;
      total += smoothValue;
    }
    if (total === 0) {
      // The hypothesis is shorter than n: with effective order the mean stops here, without it the score is 0.
      if (!effectiveOrder) return 0;
      order = n - 1;
      break;
    }
    let precision: number;
    if (matched > 0) precision = matched / total;
    else if (smoothing === 'exp') precision = 1 / ((halvings *= 2) * total);
    else if (smoothing === 'floor') precision = smoothValue / total;
    else return 0;
    logSum += Math.log(precision);
  }
  return brevityPenalty * Math.exp(logSum / order);
}

/**
 * Sentence BLEU of a tokenised hypothesis against one or more tokenised references. The defaults are sacreBLEU's
 * `sentence_bleu` (order 4, `exp` smoothing, effective order); `{ smoothing: 'none' }` gives NLTK's `sentence_bleu`
 * for hypotheses of at least maxOrder tokens.
 */
export function sentenceBleu(
  hypothesis: readonly string[],
  references: readonly (readonly string[])[],
  options: BleuOptions = {},
): number {
  const maxOrder = options.maxOrder ?? 4;
  if (!Number.isInteger(maxOrder) || maxOrder < 1) throw new RangeError(`BLEU order must be a positive integer`);
  return bleuFromStatistics(ngramStatistics(hypothesis, references, maxOrder), options);
}

const SMOOTHINGS: readonly BleuSmoothing[] = ['exp', 'floor', 'add-k', 'none'];

/**
 * Sentence BLEU of the answer against the reference, in [0, 1]; null when either is missing. An array reference is
 * a set of references used together, as BLEU defines for several reference translations.
 * Options: `order` (1–9, default 4), `smoothing` (exp | floor | add-k | none, default exp), `lowercase` (default
 * false: case-sensitive like sacreBLEU), `tokenize` (13a: sacreBLEU's default; none: split at whitespace only).
 */
export const bleuMetric: Metric = {
  name: 'bleu',
  kind: 'continuous',
  range: [0, 1],
  description:
    'sentence BLEU-4 as sacreBLEU (13a tokens, exp smoothing); options order, smoothing, lowercase, tokenize',
  needsReference: true,
  prepare(options) {
    checkOptionNames('bleu', options, ['order', 'smoothing', 'lowercase', 'tokenize']);
    const maxOrder = numberOption('bleu', options, 'order', { fallback: 4, min: 1, max: 9, integer: true });
    const smoothing = choiceOption('bleu', options, 'smoothing', SMOOTHINGS, 'exp');
    const lowercase = booleanOption('bleu', options, 'lowercase', false);
    const split =
      choiceOption('bleu', options, 'tokenize', ['13a', 'none'], '13a') === '13a' ? tokenize13a : splitWords;
    const tokens = (text: string) => split(lowercase ? text.toLowerCase() : text);
    const bleuOptions: BleuOptions = { maxOrder, smoothing };
    return (answer, reference) => {
      const a = cellText(answer);
      const references = referenceTexts(reference);
      if (a === null || references === null) return null;
      return sentenceBleu(tokens(a), references.map(tokens), bleuOptions);
    };
  },
};
