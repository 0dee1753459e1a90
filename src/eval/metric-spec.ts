// `--metric name:key=value,key=value` → a metric and its options. The spec is parsed and the metric prepared once,
// so a bad name or option is an input error before any row is read.

import { InputError } from '../job/input-error.js';
import type { Metric, MetricOptions } from './metrics/metric.js';
import { METRICS, metricNamed } from './metrics/registry.js';

/** Metrics that need a model: scored through the engine (judge) or an embedding provider (cosine). */
export const MODEL_METRICS = ['judge', 'embedding_cosine'] as const;

export interface MetricSpec {
  readonly name: string;
  readonly options: MetricOptions;
  /** The spec as written, for messages. */
  readonly text: string;
}

export function parseMetricSpec(text: string): MetricSpec {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const options: Record<string, string> = {};
  if (colon >= 0) {
    for (const part of splitOptions(text.slice(colon + 1))) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new InputError(`--metric ${text}: expected key=value options after the colon, got "${part}"`);
      options[part.slice(0, eq).trim()] = part.slice(eq + 1);
    }
  }
  if (!name) throw new InputError(`--metric ${text}: no metric name`);
  if (!metricNamed(name) && !(MODEL_METRICS as readonly string[]).includes(name)) {
    const known = [...METRICS.map((m) => m.name), 'judge'].join(', ');
    throw new InputError(`--metric ${text}: unknown metric ${name}; known metrics: ${known}`);
  }
  return { name, options, text };
}

/** Options are split at commas, except inside a regex option's value (`pattern=` takes the rest of the spec). */
function splitOptions(text: string): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    if (/^\s*pattern=/.test(rest)) {
      parts.push(rest);
      break;
    }
    const comma = rest.indexOf(',');
    parts.push(comma < 0 ? rest : rest.slice(0, comma));
    rest = comma < 0 ? '' : rest.slice(comma + 1);
  }
  return parts.filter((p) => p.trim() !== '');
}

/** Prepares a pure metric's scorer, naming the spec when its options are wrong. */
export function prepareMetric(metric: Metric, spec: MetricSpec) {
  try {
    return metric.prepare(spec.options);
  } catch (error) {
    throw new InputError(`--metric ${spec.text}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
