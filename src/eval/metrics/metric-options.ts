// Reading a metric's `key=value` options in `prepare`: every value is checked once, and a wrong or unknown option is
// an Error that names the metric, the option and what was given, before any row is scored.

import type { MetricOptions } from './metric.js';

/** Throws when `options` holds a key the metric does not know (a typo must not fall back to a default). */
export function checkOptionNames(metric: string, options: MetricOptions, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const takes = known.length > 0 ? `its options are ${known.join(', ')}` : 'it takes no options';
      throw new Error(`Unknown option \`${key}\` for metric \`${metric}\`; ${takes}`);
    }
  }
}

/** A finite number option within [min, max] (an integer when `integer` is set), or `fallback` when absent. */
export function numberOption(
  metric: string,
  options: MetricOptions,
  key: string,
  rule: { readonly fallback: number; readonly min: number; readonly max: number; readonly integer?: boolean },
): number {
  const text = options[key];
  if (text === undefined) return rule.fallback;
  const trimmed = text.trim();
  const value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  const ok =
    Number.isFinite(value) && value >= rule.min && value <= rule.max && (!rule.integer || Number.isInteger(value));
  if (!ok) {
    const what = rule.integer ? 'an integer' : 'a number';
    const within = rule.max === Number.POSITIVE_INFINITY ? `at least ${rule.min}` : `from ${rule.min} to ${rule.max}`;
    throw new Error(
      `Expected option \`${key}\` of metric \`${metric}\` to be ${what} ${within}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** One of `choices` (compared case-insensitively), or `fallback` when absent. */
export function choiceOption<T extends string>(
  metric: string,
  options: MetricOptions,
  key: string,
  choices: readonly T[],
  fallback: T,
): T {
  const text = options[key];
  if (text === undefined) return fallback;
  const wanted = text.trim().toLowerCase();
  const choice = choices.find((c) => c === wanted);
  if (choice === undefined) {
    throw new Error(
      `Expected option \`${key}\` of metric \`${metric}\` to be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`,
    );
  }
  return choice;
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`), or `fallback` when absent. */
export function booleanOption(metric: string, options: MetricOptions, key: string, fallback: boolean): boolean {
  const text = options[key];
  if (text === undefined) return fallback;
  const wanted = text.trim().toLowerCase();
  if (wanted === 'true' || wanted === '1' || wanted === 'yes') return true;
  if (wanted === 'false' || wanted === '0' || wanted === 'no') return false;
  throw new Error(
    `Expected option \`${key}\` of metric \`${metric}\` to be true or false, got ${JSON.stringify(text)}`,
  );
}
