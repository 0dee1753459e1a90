import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunSummary } from '../run-job.js';
import { renderSummary } from './render-summary.js';

const summary = (overrides: Partial<RunSummary> = {}): RunSummary => ({
  outputPath: '/data/out.parquet',
  output: '/data/out.parquet',
  quarantine: undefined,
  stateDir: '/data/.llmap/out.parquet',
  rows: {
    total: 400,
    written: 400,
    ok: 400,
    failed: 0,
    invalid: 0,
    skipped: 0,
    resumed: 0,
    cached: 350,
    duplicates: 350,
    truncated: 0,
  },
  tokens: { input: 5_000, output: 1_000, paid: true },
  retries: 0,
  elapsedMs: 2_000,
  stopped: undefined,
  warnings: [],
  notes: [],
  cost: { runUsd: 0.0013, jobUsd: 0.0013, pricesAsOf: '2025-10' },
  ...overrides,
});

test('rows answered by another row’s identical request are counted apart from the cache', () => {
  assert.match(
    renderSummary(summary()),
    /\n {2}answered: 0 from the run state · 0 from the cache · 350 duplicates of another row's request · 50 asked\n/,
  );
  const rows = { ...summary().rows, cached: 400, duplicates: 0 };
  assert.match(renderSummary(summary({ rows })), /answered: 0 from the run state · 400 from the cache · 0 asked\n/);
});

test('a local model’s tokens are generated, not paid; what earlier runs paid is still the job so far', () => {
  const local = summary({ tokens: { input: 5_000, output: 1_000, paid: false } });
  assert.match(
    renderSummary({ ...local, cost: { runUsd: 0, jobUsd: 0, pricesAsOf: '2025-10' } }),
    /\n {2}tokens generated: 5,000 in · 1,000 out \(no cost\)\n/,
  );
  assert.match(
    renderSummary({ ...local, cost: { runUsd: 0, jobUsd: 0.25, pricesAsOf: '2025-10' } }),
    /tokens generated: 5,000 in · 1,000 out \(no cost\) · job so far \$0\.2500 \(prices of 2025-10\)\n/,
  );
  assert.doesNotMatch(renderSummary(local), /tokens paid/);
});

test('a model of an earlier run whose price is unknown is named, not counted', () => {
  const cost = { runUsd: 0.01, jobUsd: 0.01, pricesAsOf: '2025-10', unpriced: ['openai:my-finetune'] };
  assert.match(
    renderSummary(summary({ cost })),
    /tokens paid: 5,000 in · 1,000 out · \$0\.0100 \(job so far \$0\.0100, not counting tokens of openai:my-finetune \(price unknown\), prices of 2025-10\)/,
  );
});

test('answers cut off at max_tokens are counted, with how to raise the limit', () => {
  const rows = { ...summary().rows, ok: 0, invalid: 400, truncated: 400 };
  assert.match(
    renderSummary(summary({ rows })),
    /\n {2}cut off at max_tokens: 400 answer\(s\) \(see _error\); raise the limit with --max-tokens N or max_tokens: N in the prompt's front matter\n/,
  );
  assert.doesNotMatch(renderSummary(summary()), /cut off/);
});

test('rows a data check left unasked are counted as skipped, with where to find why', () => {
  const rows = { ...summary().rows, ok: 390, skipped: 10 };
  const text = renderSummary(summary({ rows }));
  assert.match(text, /\n {2}ok 390 · failed 0 · invalid 0 · skipped 10\n/);
  assert.match(
    text,
    /\n {2}skipped: 10 row\(s\) failed a data check \(--expect-action skip\): written with _status = skipped and the rule as _error, not asked; a run whose data passes asks them\n/,
  );
  assert.doesNotMatch(renderSummary(summary()), /skipped/);
});
