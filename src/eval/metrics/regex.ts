// regex: the answer has the expected shape (a date, an ID, one of a few labels), checked with a regular expression
// and no reference. The pattern is compiled once in `prepare`, never per row.

import { cellText } from './cell-text.js';
import type { Metric } from './metric.js';
import { checkOptionNames } from './metric-options.js';

/** `g` and `y` make `RegExp.test` remember where it stopped, so one row's match would move the next row's start. */
const STATEFUL_FLAGS = /[gy]/;

/**
 * 1 when the answer's text (see cellText: numbers and booleans as text, JSON as canonical JSON) contains a match of
 * option `pattern` (JavaScript syntax; anchor it with `^…$` to match the whole answer), else 0; null when the
 * answer is missing. Option `flags`: JavaScript regex flags such as `i`, `s`, `m`, `u` (not `g` or `y`). The reference
 * is not used. In a `--metric` spec `pattern=` takes the rest of the spec, commas included, so give `flags` first.
 */
export const regexMetric: Metric = {
  name: 'regex',
  kind: 'binary',
  range: [0, 1],
  description: 'answer (as text) contains a match of option pattern (JavaScript syntax, ^…$ for whole); option flags',
  needsReference: false,
  prepare(options) {
    checkOptionNames('regex', options, ['pattern', 'flags']);
    const pattern = options['pattern'];
    if (pattern === undefined || pattern === '') {
      throw new Error('Metric `regex` needs option `pattern`, e.g. regex:pattern=^\\d{4}-\\d{2}-\\d{2}$');
    }
    const flags = (options['flags'] ?? '').trim();
    if (STATEFUL_FLAGS.test(flags)) {
      throw new Error(
        `Option \`flags\` of metric \`regex\` must not hold g or y (they make matching stateful), got "${flags}"`,
      );
    }
    const compiled = compile(pattern, flags);
    return (answer) => {
      const text = cellText(answer);
      if (text === null) return null;
      return compiled.test(text) ? 1 : 0;
    };
  },
};

function compile(pattern: string, flags: string): RegExp {
  try {
    new RegExp('', flags);
  } catch {
    throw new Error(`Option \`flags\` of metric \`regex\` holds an unknown or repeated flag, got "${flags}"`);
  }
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`Option \`pattern\` of metric \`regex\` is not a valid regular expression (${why})`);
  }
}
