// field_match: typed equality of one field of a JSON answer with its reference column — what per-field accuracy
// is made of (the eval engine pairs each schema property with a reference column). Equal means equal as data,
// not as text: 3, "3" and 3.0 match, " Paris " matches "paris", true matches "true".

import { canonicalJson } from '../../request/canonical-json.js';
import type { Metric } from './metric.js';
import { checkOptionNames } from './metric-options.js';

/** A decimal number as JSON or a CSV column would write it: no hex, no `Infinity`, no thousands separators. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * The value a cell stands for, as a string that is equal for equal values (so equality is transitive and arrays
 * compare as sorted multisets):
 * - numbers by value: `n:3` for 3, 3.0, "3", "3.00", " +3 ", "3e0"; integer text exactly, even beyond 2^53
 *   (DuckDB hands BIGINT and DECIMAL cells over as text, so a reference column of numbers often arrives as strings);
 * - booleans: `b:true` for true, "true", " TRUE "; no 1/0 or yes/no;
 * - other strings trimmed, NFC-normalised and lowercased;
 * - arrays as the sorted values of their elements (order and duplicates: a multiset);
 * - objects as their canonical JSON (sorted keys, exact values);
 * - a string holding a JSON array or object (a list written to CSV) as that array or object.
 * Two strings that both read as numbers therefore compare as numbers: "1.10" matches "1.1" and "007" matches "7".
 */
export function fieldValueKey(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return numberKey(value);
    case 'bigint':
      return `n:${value.toString()}`;
    case 'boolean':
      return `b:${value}`;
    case 'string':
      return stringKey(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `a:${JSON.stringify((value as unknown[]).map(fieldValueKey).sort())}`;
      return `o:${canonicalJson(value)}`;
    default:
      return 'null';
  }
}

function numberKey(value: number): string {
  // Integers by their exact digits so that a JSON number and a BIGINT's text agree (`1e21` → `1000…0`, -0 → 0).
  return Number.isInteger(value) ? `n:${BigInt(value).toString()}` : `n:${value}`;
}

function stringKey(value: string): string {
  const text = value.trim();
  if (INTEGER.test(text)) return `n:${BigInt(text).toString()}`;
  if (DECIMAL.test(text)) return numberKey(Number(text));
  const lower = text.normalize('NFC').toLowerCase();
  if (lower === 'true' || lower === 'false') return `b:${lower}`;
  const first = text.charAt(0);
  if ((first === '[' && text.endsWith(']')) || (first === '{' && text.endsWith('}'))) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null) return fieldValueKey(parsed);
    } catch {
      // Not JSON after all: an ordinary string that happens to start with a bracket.
    }
  }
  return `s:${lower}`;
}

/** 1 when the answer field and the reference are the same value (see {@link fieldValueKey}), else 0; null when either is missing. */
export const fieldMatchMetric: Metric = {
  name: 'field_match',
  kind: 'binary',
  range: [0, 1],
  description: 'typed equality of a JSON answer field and its reference (3 = "3" = 3.0; strings trimmed, any case)',
  needsReference: true,
  prepare(options) {
    checkOptionNames('field_match', options, []);
    return (answer, reference) => {
      if (answer === null || answer === undefined || reference === null || reference === undefined) return null;
      return fieldValueKey(answer) === fieldValueKey(reference) ? 1 : 0;
    };
  },
};
