// The metrics `llmap eval` scores table rows with, by name. A new metric is one file and one line here.
// embedding_cosine is not among them: its inputs are embeddings fetched by the engine (a model metric, like the
// judge), so the eval plan handles it by name and cosine.ts exports its scorer for that path.

import { bleuMetric } from './bleu.js';
import { exactMatchNormalisedMetric } from './exact-match-normalised.js';
import { exactMatchMetric } from './exact-match.js';
import { fieldMatchMetric } from './field-match.js';
import type { Metric } from './metric.js';
import { numericMetric } from './numeric.js';
import { regexMetric } from './regex.js';
import { rougeLMetric } from './rouge-l.js';
import { f1Metric } from './token-f1.js';

/** In the order `llmap eval --list-metrics` shows them. */
export const METRICS: readonly Metric[] = Object.freeze([
  exactMatchMetric,
  exactMatchNormalisedMetric,
  f1Metric,
  bleuMetric,
  rougeLMetric,
  fieldMatchMetric,
  numericMetric,
  regexMetric,
]);

const BY_NAME: ReadonlyMap<string, Metric> = new Map(METRICS.map((metric) => [metric.name, metric]));

export function metricNamed(name: string): Metric | undefined {
  return BY_NAME.get(name);
}
