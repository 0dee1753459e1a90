import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BatchSettings } from '../job/job.js';
import { BATCH_WINDOW_MS, planBatch } from './batch-plan.js';

const HOUR = 3600 * 1000;
const settings = (mode: BatchSettings['mode'], deadlineMs?: number): BatchSettings => ({
  mode,
  deadlineMs,
  detach: false,
  onFailure: 'batch',
  maxRequests: undefined,
  maxBytes: undefined,
  pollMs: 30_000,
});
const now = 1_700_000_000_000;

test('online asks nothing of batches; batch and auto without a deadline batch everything with no cutoff', () => {
  assert.equal(
    planBatch({ settings: settings('online'), now, requests: 10, rpm: undefined, firstBatchAt: undefined }).batch,
    false,
  );
  for (const mode of ['batch', 'auto'] as const) {
    const plan = planBatch({ settings: settings(mode), now, requests: 10, rpm: undefined, firstBatchAt: undefined });
    assert.deepEqual([plan.batch, plan.cutoffAt], [true, undefined]);
  }
});

test('auto: a deadline past the 24 h window batches, with the cutoff leaving time to finish online', () => {
  const plan = planBatch({
    settings: settings('auto', 48 * HOUR),
    now,
    requests: 60_000,
    rpm: 1000,
    firstBatchAt: undefined,
  });
  assert.equal(plan.batch, true);
  // 60,000 requests at 1,000 a minute take an hour online.
  assert.equal(plan.cutoffAt, now + 48 * HOUR - HOUR);
  assert.match(plan.note, /allows the 24 h batch window/);
});

test('auto: a deadline inside the window batches until the cutoff, then goes online (the split)', () => {
  const plan = planBatch({
    settings: settings('auto', 6 * HOUR),
    now,
    requests: 120_000,
    rpm: 1000,
    firstBatchAt: undefined,
  });
  assert.equal(plan.batch, true);
  assert.equal(plan.cutoffAt, now + 4 * HOUR);
  assert.ok(6 * HOUR < BATCH_WINDOW_MS);
  assert.match(plan.note, /batch until .* then what is not done goes online \(at 1000 requests\/min\)/);
  // Without a known rate, half the time is kept for the online part.
  const unknown = planBatch({
    settings: settings('auto', 6 * HOUR),
    now,
    requests: 120_000,
    rpm: undefined,
    firstBatchAt: undefined,
  });
  assert.equal(unknown.cutoffAt, now + 3 * HOUR);
});

test('auto: a deadline too short for any batch goes online; the deadline counts from the first batch', () => {
  const tight = planBatch({
    settings: settings('auto', HOUR),
    now,
    requests: 120_000,
    rpm: 1000,
    firstBatchAt: undefined,
  });
  assert.equal(tight.batch, false);
  assert.match(tight.note, /no time for a batch: online/);
  const resumed = planBatch({
    settings: settings('auto', 6 * HOUR),
    now,
    requests: 60_000,
    rpm: 1000,
    firstBatchAt: now - 2 * HOUR,
  });
  assert.equal(resumed.cutoffAt, now + 3 * HOUR);
});
