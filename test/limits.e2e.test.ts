// Rate limits, cost and budget end to end: limits learned from the simulator's headers, `llmap estimate` against
// what the run then reports, and `--budget` stopping a run and resuming it with more money.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { readRows, runCli, tempDir, writeReviewsCsv } from './helpers.js';

describe('rate limits, estimate and budget against llmap sim', () => {
  let sim: SimServer;
  const dir = tempDir('limits');
  const env = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  let input: string;
  before(async () => {
    sim = await startSim({ port: 0 });
    input = await writeReviewsCsv(join(dir, 'reviews.csv'), 2000);
  });
  after(() => sim.close());

  const job = (url: string, out: string, ...extra: string[]) =>
    ['run', input, '-p', 'Label: {{text}}', '-m', 'openai:gpt-4o-mini', '--base-url', `${url}/v1`].concat([
      '-o',
      join(dir, out),
      '--max-tokens',
      '50',
      ...extra,
    ]);

  test('a limit the provider reports in its headers is learned: no 429 storm, nothing lost', async () => {
    const limited = await startSim({ port: 0, latencyMs: 20, rpm: 50, windowS: 1 });
    try {
      const started = Date.now();
      const result = await runCli(job(limited.url, 'limited.parquet', '--limit', '300'), env);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(result.code, 0, result.stderr);
      const stats = limited.stats();
      assert.ok((stats.byStatus['429'] ?? 0) <= 3, `429s: ${stats.byStatus['429']}`);
      assert.equal(stats.byStatus['200'], 300);
      // 300 requests at 50 per window take at least 5 windows: the limit was kept, not merely survived.
      assert.ok(seconds >= 5, `${seconds} s`);
      assert.equal((await readRows(join(dir, 'limited.partial.parquet'))).length, 300); // --limit: a partial file
    } finally {
      await limited.close();
    }
  });

  test('estimate sends nothing and counts the input tokens the run then reports', async () => {
    sim.resetStats();
    const estimated = await runCli(['estimate', ...job(sim.url, 'estimated.parquet').slice(1), '--json'], env);
    assert.equal(estimated.code, 0, estimated.stderr);
    assert.equal(sim.stats().requests, 0);
    const estimate = JSON.parse(estimated.stdout) as {
      toAsk: number;
      inputTokens: number;
      cost: { online: { max: number } };
    };
    assert.equal(estimate.toAsk, 2000);

    const ran = await runCli([...job(sim.url, 'estimated.parquet'), '--json'], env);
    assert.equal(ran.code, 0, ran.stderr);
    const summary = JSON.parse(ran.stdout) as { tokens: { input: number }; cost: { runUsd: number } };
    // The simulator counts tokens exactly as llmap does: equal, well within the 1% the estimate promises.
    assert.equal(summary.tokens.input, estimate.inputTokens);
    assert.ok(summary.cost.runUsd <= estimate.cost.online.max);

    const again = await runCli(['estimate', ...job(sim.url, 'estimated.parquet').slice(1), '--json'], env);
    const after = JSON.parse(again.stdout) as { toAsk: number; answeredInState: number };
    assert.deepEqual(
      { toAsk: after.toAsk, answeredInState: after.answeredInState },
      { toAsk: 0, answeredInState: 2000 },
    );
  });

  test('--budget stops before the spend could pass it (exit 4), and a larger budget finishes the job', async () => {
    sim.resetStats();
    // A cache of its own: the estimate test's answers must not make this job free.
    const own = { LLMAP_CACHE_DIR: join(dir, 'budget-cache') };
    const capped = await runCli([...job(sim.url, 'budget.parquet', '--budget', '0.01'), '--json'], own);
    assert.equal(capped.code, 4, capped.stderr);
    assert.match(capped.stderr, /budget of \$0\.01 reached/);
    const first = JSON.parse(capped.stdout) as { rows: { written: number }; cost: { jobUsd: number } };
    assert.ok(first.cost.jobUsd <= 0.01, `spent ${first.cost.jobUsd}`);
    assert.ok(first.rows.written > 0 && first.rows.written < 2000, `${first.rows.written} rows`);

    const more = await runCli([...job(sim.url, 'budget.parquet', '--budget', '1'), '--json'], own);
    assert.equal(more.code, 0, more.stderr);
    const second = JSON.parse(more.stdout) as { rows: { written: number; resumed: number }; cost: { jobUsd: number } };
    assert.equal(second.rows.written, 2000);
    assert.equal(second.rows.resumed, first.rows.written);
    assert.ok(second.cost.jobUsd <= 1);
    assert.equal(sim.stats().prompts.answeredMoreThanOnce, 0, 'nothing was paid twice');
  });

  test('--budget on a model without a known price is an input error before any call', async () => {
    sim.resetStats();
    const result = await runCli(
      ['run', input, '-p', 'x {{text}}', '-m', 'openai:m', '--base-url', `${sim.url}/v1`, '--budget', '5'],
      env,
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--budget needs the price of openai:m, which the price table .* does not list/);
    assert.equal(sim.stats().requests, 0);
  });
});
