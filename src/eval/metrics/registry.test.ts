import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { embeddingCosineMetric } from './cosine.js';
import type { Metric, MetricOptions } from './metric.js';
import { METRICS, metricNamed } from './registry.js';

/** Options for metrics that cannot be prepared without some. */
const REQUIRED_OPTIONS: Record<string, MetricOptions> = { regex: { pattern: '^[a-z]+$' } };

const SAMPLES: unknown[] = [
  null,
  undefined,
  '',
  ' ',
  'Paris',
  'paris ',
  'The Denver Broncos!',
  'the the the the the the the',
  'The quick brown fox jumps over the lazy dog',
  'Ünïcode café 東京 😀',
  'a'.repeat(5000),
  Array.from({ length: 3000 }, (_, i) => `w${i % 97}`).join(' '),
  '3',
  '3.0',
  '$1,234.50',
  'true',
  '[1, 2]',
  0,
  3,
  -2.5,
  1e21,
  Number.NaN,
  true,
  false,
  [],
  ['Paris', 'paris'],
  [1, 2, 2],
  [0.1, 0.2, 0.3],
  [-0.1, 0.2, -0.3],
  Float32Array.of(1, 0, 0),
  { a: 1, b: [true, null] },
  { b: [true, null], a: 1 },
];

function check(metric: Metric) {
  const score = metric.prepare(REQUIRED_OPTIONS[metric.name] ?? {});
  const [low, high] = metric.range;
  for (const answer of SAMPLES) {
    for (const reference of SAMPLES) {
      const value = score(answer, reference);
      if (value === null) continue;
      const pair = `${metric.name}(${String(answer).slice(0, 30)}, ${String(reference).slice(0, 30)}) = ${value}`;
      assert.ok(value >= low && value <= high, `out of range: ${pair}`);
      if (metric.kind === 'binary') assert.ok(value === 0 || value === 1, `not 0/1: ${pair}`);
    }
  }
}

describe('metric registry', () => {
  test('names are unique snake_case', () => {
    const names = METRICS.map((m) => m.name);
    assert.equal(new Set(names).size, names.length);
    for (const name of [...names, embeddingCosineMetric.name]) assert.match(name, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
  });

  test('holds the pure table metrics; embedding_cosine is scored by the engine from embeddings', () => {
    assert.deepEqual(
      METRICS.map((m) => m.name),
      ['exact_match', 'exact_match_norm', 'f1', 'bleu', 'rouge_l', 'field_match', 'numeric', 'regex'],
    );
    assert.equal(metricNamed('embedding_cosine'), undefined);
  });

  test('finds each metric by its name, and nothing by another', () => {
    for (const metric of METRICS) assert.equal(metricNamed(metric.name), metric);
    assert.equal(metricNamed('exact-match'), undefined);
    assert.equal(metricNamed(''), undefined);
  });

  test('every metric declares a one-line description and a sensible range', () => {
    for (const metric of [...METRICS, embeddingCosineMetric]) {
      assert.ok(metric.description.length > 0 && !metric.description.includes('\n'), metric.name);
      assert.ok(metric.range[0] < metric.range[1], metric.name);
      if (metric.kind === 'binary') assert.deepEqual(metric.range, [0, 1], metric.name);
    }
  });

  test('every score on sample pairs is within its metric’s range, and binary scores are 0 or 1', () => {
    for (const metric of [...METRICS, embeddingCosineMetric]) check(metric);
  });

  test('a missing answer is never scored', () => {
    for (const metric of [...METRICS, embeddingCosineMetric]) {
      const score = metric.prepare(REQUIRED_OPTIONS[metric.name] ?? {});
      for (const reference of SAMPLES) assert.equal(score(null, reference), null, metric.name);
    }
  });

  test('a missing reference is never scored by a metric that needs one', () => {
    for (const metric of [...METRICS, embeddingCosineMetric].filter((m) => m.needsReference)) {
      const score = metric.prepare(REQUIRED_OPTIONS[metric.name] ?? {});
      for (const answer of SAMPLES) assert.equal(score(answer, null), null, metric.name);
    }
  });

  test('every metric rejects an option it does not know, naming it', () => {
    for (const metric of [...METRICS, embeddingCosineMetric]) {
      const options = { ...REQUIRED_OPTIONS[metric.name], no_such_option: '1' };
      assert.throws(() => metric.prepare(options), /Unknown option `no_such_option`/, metric.name);
    }
  });
});
