// Samples as a prom-client registry, built afresh for each scrape or push: prom-client writes the text format
// (escaping, `+Inf`, HELP and TYPE lines) and pushes it, while the values come from the runs at that moment.
// Each metric is a custom one whose `get()` returns its values, the contract prom-client's Registry reads.

import { Registry, type Metric } from 'prom-client';
import { METRICS, type MetricDefinition, type MetricKey } from './metric-definitions.js';
import type { BucketCounts, Labels, Sample } from './read-run.js';

interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
}

export function registryOf(samples: readonly Sample[]): Registry {
  const registry = new Registry();
  const byMetric = new Map<MetricKey, MetricValue[]>();
  for (const sample of samples) {
    let values = byMetric.get(sample.metric);
    if (!values) byMetric.set(sample.metric, (values = []));
    const name = METRICS[sample.metric].name;
    if ('buckets' in sample) values.push(...histogramValues(name, sample.labels, sample.buckets));
    else values.push({ value: sample.value, labels: { ...sample.labels } });
  }
  for (const [key, definition] of Object.entries(METRICS) as [MetricKey, MetricDefinition][]) {
    registry.registerMetric(customMetric(definition, byMetric.get(key) ?? []));
  }
  return registry;
}

function customMetric(definition: MetricDefinition, values: readonly MetricValue[]): Metric {
  const body = { name: definition.name, help: definition.help, type: definition.type, aggregator: 'sum', values };
  // What Registry calls on a metric (registry.js: `get()`, its `name`); prom-client types only its own classes.
  return { ...body, get: () => Promise.resolve(body) } as unknown as Metric;
}

/** Prometheus' cumulative buckets (`le`), `+Inf` last, then the sum and the count. */
function histogramValues(name: string, labels: Labels, buckets: BucketCounts): MetricValue[] {
  const values: MetricValue[] = [];
  let seen = 0;
  buckets.bounds.forEach((bound, i) => {
    seen += buckets.counts[i]!;
    values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: seen });
  });
  values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: buckets.count });
  values.push({ metricName: `${name}_sum`, labels: { ...labels }, value: buckets.sum });
  values.push({ metricName: `${name}_count`, labels: { ...labels }, value: buckets.count });
  return values;
}
