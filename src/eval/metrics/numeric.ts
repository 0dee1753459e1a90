// numeric: the answer is the right number within a tolerance. Answers are read leniently (a model writes "1,234.5"
// or "$3" as often as 1234.5), references the same way; an answer that is no number at all is simply wrong.

import type { Metric } from './metric.js';
import { checkOptionNames, numberOption } from './metric-options.js';

/**
 * sign? currency? digits fraction? exponent? percent?, the whole text (after trimming) and nothing else:
 * - sign: `+`, `-` or the minus sign `−` (U+2212);
 * - currency: one of `$ € £ ¥`, after the sign (`-$3`);
 * - digits: plain (`1234`) or in comma-separated groups of three (`1,234,567`); a comma anywhere else (`1,5`) makes
 *   the text no number, since it may be a decimal comma;
 * - fraction: `.5`, `3.`, `3.25`; exponent: `1e3`, `2.5E-4`;
 * - percent: a trailing `%` is dropped and the number kept as written (`50%` → 50, not 0.5).
 */
const LENIENT_NUMBER = /^([+\-\u2212]?)[$€£¥]?(\d{1,3}(?:,\d{3})+|\d*)(\.\d*)?([eE][+-]?\d+)?%?$/;

/**
 * The number a cell holds, read leniently: a finite JSON number or a bigint as it is, a string by the rules of
 * {@link LENIENT_NUMBER}. Undefined for anything else: text with words (`"42 apples"`, `"about 3"`), `NaN`,
 * `Infinity`, hex, booleans, objects — no number is dug out of prose.
 */
export function parseLenientNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  const match = LENIENT_NUMBER.exec(value.trim());
  if (!match) return undefined;
  const [, sign = '', digits = '', fraction = '', exponent = ''] = match;
  if (digits === '' && fraction.length < 2) return undefined; // no digit at all: "", "$", ".", "-%"
  const number = Number(`${sign === '' || sign === '+' ? '' : '-'}${digits.replaceAll(',', '')}${fraction}${exponent}`);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * 1 when |answer − reference| ≤ max(tolerance, relative · |reference|), else 0. Options `tolerance` (absolute,
 * default 0: exact) and `relative` (a fraction of the reference, default 0). A missing answer or a missing or
 * unreadable reference gives null (the row cannot be scored); an answer that is no number scores 0.
 */
export const numericMetric: Metric = {
  name: 'numeric',
  kind: 'binary',
  range: [0, 1],
  description: 'answer is the reference number within max(tolerance, relative*|reference|); "1,234.5", "$3" read',
  needsReference: true,
  prepare(options) {
    checkOptionNames('numeric', options, ['tolerance', 'relative']);
    const infinite = Number.POSITIVE_INFINITY;
    const tolerance = numberOption('numeric', options, 'tolerance', { fallback: 0, min: 0, max: infinite });
    const relative = numberOption('numeric', options, 'relative', { fallback: 0, min: 0, max: infinite });
    return (answer, reference) => {
      if (answer === null || answer === undefined) return null;
      const expected = parseLenientNumber(reference);
      if (expected === undefined) return null;
      const given = parseLenientNumber(answer);
      if (given === undefined) return 0;
      return Math.abs(given - expected) <= Math.max(tolerance, relative * Math.abs(expected)) ? 1 : 0;
    };
  },
};
