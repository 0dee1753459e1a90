import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelPrice } from '../cost/prices.js';
import type { Job } from '../job/job.js';
import { RunStats } from '../observe/run-stats.js';
import type { Published } from '../table/publish-output.js';
import { summarise, type SummaryInput } from './run-summary.js';

// Only what the summary reads of a job: its --limit, its state directory, the date of its prices.
const job = (limit?: number) =>
  ({ limit, state: { dir: '/data/.llmap/out.parquet' }, prices: { asOf: '2025-10' } }) as unknown as Job;

const price: ModelPrice = { input: 0.15, output: 0.6, batchDiscount: 0.5 };

function input(overrides: Partial<SummaryInput> = {}): SummaryInput {
  const stats = new RunStats(1000, 0);
  stats.ok = 1000;
  stats.inputTokens = 1_000_000;
  stats.outputTokens = 100_000;
  const published: Published = {
    path: '/data/out.parquet',
    partial: false,
    rows: 1000,
    quarantine: undefined,
    notes: [],
  };
  return {
    job: job(),
    output: '/data/out.parquet',
    published,
    outputError: undefined,
    stats,
    resumedAtStart: 0,
    stopped: undefined,
    price,
    spentBefore: { usd: 1, unpriced: [] },
    warnings: [],
    notes: ['a note'],
    breaker: undefined,
    batch: undefined,
    elapsedMs: 2000,
    ...overrides,
  };
}

test('a complete run names its output and prices its tokens, the job so far including earlier runs', () => {
  const summary = summarise(input());
  assert.equal(summary.output, '/data/out.parquet');
  assert.equal(summary.partial, undefined);
  assert.equal(summary.rows.written, 1000);
  // 1 M input tokens at $0.15 and 100 k output at $0.60.
  assert.deepEqual(summary.cost, { runUsd: 0.21, jobUsd: 1.21, pricesAsOf: '2025-10' });
  assert.deepEqual(summary.tokens, { input: 1_000_000, output: 100_000, paid: true });
});

test('a partial file says why: a --limit trial, or a run that stopped', () => {
  const partial: Published = {
    path: '/data/out.partial.parquet',
    partial: true,
    rows: 50,
    quarantine: undefined,
    notes: [],
  };
  const limited = summarise(input({ job: job(50), published: partial }));
  assert.deepEqual([limited.output, limited.partial, limited.outputPath], [partial.path, 'limit', '/data/out.parquet']);
  const stopped = summarise(input({ published: partial, stopped: { kind: 'interrupted' } }));
  assert.equal(stopped.partial, 'stopped');
});

test('an output that could not be written is no output, with the reason; the writer’s notes follow the provider’s', () => {
  const failed = summarise(input({ published: undefined, outputError: 'disk full' }));
  assert.deepEqual([failed.output, failed.outputError, failed.rows.written], ['', 'disk full', 0]);
  const degraded = summarise(input({ published: { ...input().published!, notes: ['wrote again'] } }));
  assert.deepEqual(degraded.notes, ['a note', 'wrote again']);
});

test('a free model’s tokens are not paid, and earlier models without a price are named', () => {
  const free = summarise(input({ price: { input: 0, output: 0, batchDiscount: 0 } }));
  assert.equal(free.tokens.paid, false);
  const unpriced = summarise(input({ spentBefore: { usd: 0, unpriced: ['openai:my-model'] } }));
  assert.deepEqual(unpriced.cost?.unpriced, ['openai:my-model']);
});
