// Batch mode end to end, as a user runs it against `llmap sim`: a 120,000-row job split into batches by the
// provider's limits, killed with SIGKILL after submitting and again while downloading, then completed with every row
// answered once and every batch created once; failed and expired items handled by each --on-batch-failure policy;
// cached rows never submitted.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { duckdbRows, runCli, startCli, tempDir, writeReviewsCsv, type RunningCli } from './helpers.js';

let sim: SimServer;
before(async () => {
  // Results are sent at 40 MB/s, so a run can be stopped while it downloads.
  sim = await startSim({ port: 0, batchDelayMs: 3000, batchDownloadBytesPerS: 40 * 1024 * 1024 });
});
after(() => sim.close());

const PROMPT = 'Sentiment of this review, one word: {{text}}';

async function until(what: string, run: RunningCli, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const ended = run.done.then((r) => r);
  const started = Date.now();
  while (!condition()) {
    const finished = await Promise.race([ended, sleep(20).then(() => undefined)]);
    if (finished) assert.fail(`the run ended (exit ${finished.code}) before ${what}: ${finished.stderr}`);
    if (Date.now() - started > timeoutMs) assert.fail(`timed out waiting for ${what}`);
  }
}

async function killed(run: RunningCli): Promise<void> {
  run.child.kill('SIGKILL');
  const result = await run.done;
  assert.equal(result.code, null, 'the run was killed, not ended');
}

for (const provider of ['openai', 'anthropic'] as const) {
  test(`${provider}: 120,000 rows in three batches survive kill -9 after submission and during download`, async () => {
    const dir = tempDir(`batch-${provider}`);
    const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 120_000);
    const out = join(dir, 'sentiment.parquet');
    const env = { LLMAP_CACHE_DIR: join(dir, 'cache') };
    const model =
      provider === 'openai'
        ? ['-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`]
        : ['-m', 'anthropic:claude-haiku-4-5', '--base-url', sim.url, '--batch-max-requests', '50000'];
    const args = ['run', input, '-p', PROMPT, ...model, '-o', out, '--mode', 'batch', '--batch-poll', '0.3'];
    const batches = () => (provider === 'openai' ? sim.stats().batches : sim.stats().messageBatches);
    sim.resetStats();

    // 1. Killed once the third batch is created: its creation may not be recorded yet.
    const first = startCli(args, env);
    await until('three batches were created', first, () => batches().created >= 3);
    await killed(first);

    // 2. Killed while it downloads results.
    const second = startCli(args, env);
    await until('a download started', second, () => batches().downloading > 0);
    await sleep(150);
    await killed(second);

    // 3. Completes.
    const third = await runCli([...args, '--json'], env);
    assert.equal(third.code, 0, third.stderr);
    const summary = JSON.parse(third.stdout) as { rows: { ok: number }; batch: { submitted: number } };
    assert.equal(summary.rows.ok, 120_000);
    assert.match(third.stderr, /paid at batch prices: [\d,]+ in · [\d,]+ out · saved \$/);

    const stats = batches();
    assert.equal(stats.created, 3, 'each batch created once');
    assert.equal(stats.requests, 120_000, 'each request submitted once');
    assert.equal(stats.resubmitted, 0);
    assert.ok(stats.downloads >= 4, `results downloaded again after the kill (${stats.downloads} downloads)`);
    assert.equal(sim.stats().requests, 0, 'nothing was asked online');

    const [shape] = await duckdbRows(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT _row_id)::INTEGER AS ids, ` +
        `count(*) FILTER (WHERE _status = 'ok' AND answer IS NOT NULL)::INTEGER AS ok FROM '${out}'`,
    );
    assert.deepEqual(shape, { n: 120_000, ids: 120_000, ok: 120_000 });
  });
}
