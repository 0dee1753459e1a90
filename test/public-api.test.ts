// The package entry, imported by name as a user imports it: what runJob's results are made of has a name there.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BatchSummary, RunStats, RunSummary, StopReason } from 'llmap';
import { runJob } from 'llmap';

test('runJob and the types of its results come from the package entry', () => {
  const stopped: StopReason = { kind: 'interrupted' };
  const describe = (summary: RunSummary): [StopReason | undefined, BatchSummary | undefined] => [
    summary.stopped,
    summary.batch,
  ];
  const onStart = (stats: RunStats) => stats.done;
  assert.equal(typeof runJob, 'function');
  assert.equal(typeof describe, 'function');
  assert.equal(typeof onStart, 'function');
  assert.equal(stopped.kind, 'interrupted');
});
