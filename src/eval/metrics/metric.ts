// The contract of a scoring metric of `llmap eval`: a small pure function with a documented range, prepared once
// from its command-line options and then called per row. Adding a metric is one file plus a line in registry.ts.

export type MetricKind = 'binary' | 'continuous';

/** Options given on the command line as `name:key=value,key=value`; values are strings, parsed by the metric. */
export type MetricOptions = Readonly<Record<string, string>>;

export interface Metric {
  /** The score's name in tables and gates, e.g. `exact_match`. snake_case. */
  readonly name: string;
  /** binary: every score is 0 or 1 (paired comparison uses McNemar); continuous: any number in range. */
  readonly kind: MetricKind;
  /** The inclusive range of a score, e.g. [0, 1]. */
  readonly range: readonly [number, number];
  /** One line for `llmap eval --list-metrics`. */
  readonly description: string;
  /** Whether a reference value is needed (regex is not). */
  readonly needsReference: boolean;
  /**
   * Parses and checks the options once (throw an Error naming the bad option); returns the scorer for rows.
   * Unknown option names are errors too, so a typo never silently falls back to a default.
   */
  prepare(options: MetricOptions): Scorer;
}

/**
 * Scores one row. answer and reference are cell values as read from a table: string, number, boolean, null, or (for
 * JSON answers) objects/arrays. Returns null when the row cannot be scored (answer or needed reference missing/null).
 */
export type Scorer = (answer: unknown, reference: unknown) => number | null;
