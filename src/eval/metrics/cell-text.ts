// A table cell as text, the common ground of the text metrics: strings as they are, numbers and booleans in their
// JavaScript text form, JSON values (objects, arrays) as canonical JSON with sorted keys.

import { canonicalJson } from '../../request/canonical-json.js';

/**
 * The text of a cell, or null when the cell is missing (null or undefined).
 * Numbers use JavaScript's shortest round-trip form (`3.0` → `"3"`, `1e21` → `"1e+21"`), booleans `true`/`false`,
 * bigints their digits; objects and arrays canonical JSON, so key order never matters.
 */
export function cellText(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return null;
    case 'object':
      return value === null ? null : canonicalJson(value);
    default:
      return null;
  }
}

/**
 * The acceptable reference texts of a cell for the text-similarity metrics: one text, or, when the reference is an
 * array (a DuckDB LIST column, a JSON array), each non-null element's text — the row then scores against the best
 * of them, as SQuAD's `metric_max_over_ground_truths` does. Null when there is no reference text at all.
 */
export function referenceTexts(reference: unknown): string[] | null {
  if (Array.isArray(reference)) {
    const texts: string[] = [];
    for (const element of reference as unknown[]) {
      const text = cellText(element);
      if (text !== null) texts.push(text);
    }
    return texts.length > 0 ? texts : null;
  }
  const text = cellText(reference);
  return text === null ? null : [text];
}

/** The highest of `score(reference)` over the references: the row scores against its best reference. */
export function bestOver(references: readonly string[], score: (reference: string) => number): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const reference of references) {
    const value = score(reference);
    if (value > best) best = value;
  }
  return best;
}
