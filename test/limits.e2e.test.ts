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

  // The simulator as the providers document their limits: quoted per minute, enforced per second, refusals counted.
  test('a request limit the provider reports is learned and kept at an even pace: no 429 storm, nothing lost', async () => {
    // 3,000 RPM: 50 a second, never more than 50 in any second.
    const limited = await startSim({ port: 0, latencyMs: 20, rpm: 3000 });
    try {
      const started = Date.now();
      const result = await runCli(job(limited.url, 'limited.parquet', '--limit', '300'), env);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(result.code, 0, result.stderr);
      const stats = limited.stats();
      assert.ok((stats.byStatus['429'] ?? 0) <= 3, `429s: ${stats.byStatus['429']}`);
      assert.equal(stats.byStatus['200'], 300);
      // 300 requests at 50 a second take at least 5 seconds: the limit was kept, not merely survived.
      assert.ok(seconds >= 5, `${seconds} s`);
      assert.equal((await readRows(join(dir, 'limited.partial.parquet'))).length, 300); // --limit: a partial file
    } finally {
      await limited.close();
    }
  });

  test('a token limit the provider reports is learned: rows are paced by tokens and none fails on 429s', async () => {
    // Each request costs its prompt (about 15 tokens) plus max_tokens 50 against 120,000 tokens a minute: about 30
    // requests a second.
    const limited = await startSim({ port: 0, latencyMs: 20, tpm: 120_000 });
    try {
      const started = Date.now();
      const result = await runCli([...job(limited.url, 'tokens.parquet', '--limit', '200'), '--json'], env);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout) as { rows: { ok: number; failed: number } };
      assert.deepEqual(summary.rows.ok, 200);
      const stats = limited.stats();
      assert.ok((stats.byStatus['429'] ?? 0) <= 2, `429s: ${stats.byStatus['429']}`);
      const perSecond = (stats.charged['tokens'] ?? 0) / seconds;
      assert.ok(perSecond <= 2000 * 1.05, `${Math.round(perSecond)} tokens/s against 2,000`);
    } finally {
      await limited.close();
    }
  });

  test('429s from a quota shared with another client cost rows no attempt: every row ends ok', async () => {
    // 1,200 RPM (20 a second) shared with a neighbour that sends bursts of 15 each second: llmap cannot foresee the
    // bursts and meets 429s, which it waits out and asks again, beyond --max-attempts 1, until each row is answered.
    const shared = await startSim({ port: 0, latencyMs: 10, rpm: 1200 });
    let neighbourRunning = true;
    const neighbour = (async () => {
      while (neighbourRunning) {
        await Promise.all(
          Array.from({ length: 15 }, (_, i) =>
            fetch(`${shared.url}/v1/chat/completions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                model: 'm',
                messages: [{ role: 'user', content: `neighbour ${Date.now()} ${i}` }],
              }),
            }).then((response) => response.text()),
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();
    try {
      const result = await runCli(
        [...job(shared.url, 'shared.parquet', '--limit', '50', '--max-attempts', '1'), '--json'],
        env,
      );
      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout) as { rows: { ok: number; failed: number } };
      assert.deepEqual([summary.rows.ok, summary.rows.failed], [50, 0]);
      // Rows asked more than once: their 429s are counted in `_attempts`, and none failed the row.
      const rows = await readRows(join(dir, 'shared.partial.parquet'));
      assert.ok(rows.filter((row) => Number(row['_attempts']) > 1).length > 0, 'llmap met 429s and asked again');
    } finally {
      neighbourRunning = false;
      await neighbour;
      await shared.close();
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
    assert.match(
      (JSON.parse(capped.stdout) as { stopped: { message: string } }).stopped.message,
      /budget of \$0\.01 reached/,
    );
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
