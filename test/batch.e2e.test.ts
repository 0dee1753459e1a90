// Batch mode end to end, as a user runs it against `llmap sim`: a 60,000-row job split into batches by
// --batch-max-requests, killed with SIGKILL after submitting and again while downloading, then completed with every row
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
  // Results are sent at 20 MB/s, so a run can be stopped while it downloads.
  sim = await startSim({ port: 0, batchDelayMs: 3000, batchDownloadBytesPerS: 20 * 1024 * 1024 });
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
  test(`${provider}: 60,000 rows in three batches survive kill -9 after submission and during download`, async () => {
    const dir = tempDir(`batch-${provider}`);
    const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 60_000);
    const out = join(dir, 'sentiment.parquet');
    const env = { LLMAP_CACHE_DIR: join(dir, 'cache') };
    const model =
      provider === 'openai'
        ? ['-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`]
        : ['-m', 'anthropic:claude-haiku-4-5', '--base-url', sim.url];
    const args = ['run', input, '-p', PROMPT, ...model, '-o', out, '--mode', 'batch', '--batch-poll', '0.3'];
    args.push('--batch-max-requests', '20000');
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
    const summary = JSON.parse(third.stdout) as {
      rows: { ok: number };
      batch: { submitted: number; tokens: { input: number }; savedUsd: number };
    };
    assert.equal(summary.rows.ok, 60_000);
    assert.ok(summary.batch.tokens.input > 0 && summary.batch.savedUsd > 0, JSON.stringify(summary.batch));

    const stats = batches();
    assert.equal(stats.created, 3, 'each batch created once');
    assert.equal(stats.requests, 60_000, 'each request submitted once');
    assert.equal(stats.resubmitted, 0);
    assert.ok(stats.downloads >= 4, `results downloaded again after the kill (${stats.downloads} downloads)`);
    assert.equal(sim.stats().requests, 0, 'nothing was asked online');

    const [shape] = await duckdbRows(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT _row_id)::INTEGER AS ids, ` +
        `count(*) FILTER (WHERE _status = 'ok' AND answer IS NOT NULL)::INTEGER AS ok FROM '${out}'`,
    );
    assert.deepEqual(shape, { n: 60_000, ids: 60_000, ok: 60_000 });
  });
}

/** A simulator where 3% of batch items fail and the second batch created expires with 70% of it done. */
async function faultySim(): Promise<SimServer> {
  // With seed 1, the expiry draws of the first four batches are 0.97, 0.07, 0.90, 0.98: only the second expires.
  return startSim({ port: 0, seed: 1, batchDelayMs: 300, batchItemErrorRate: 0.03, batchExpireRate: 0.3 });
}

interface BatchJson {
  rows: { ok: number; failed: number };
  batch: { submitted: number; followUp: number; online: number; failedItems: number };
}

async function faultyRun(policy: string | undefined) {
  const faulty = await faultySim();
  try {
    const dir = tempDir('batch-faults');
    const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 3000);
    const out = join(dir, 'out.parquet');
    const result = await runCli([
      'run',
      input,
      '-p',
      PROMPT,
      '-m',
      'openai:gpt-4o-mini',
      '--base-url',
      `${faulty.url}/v1`,
      '-o',
      out,
      '--mode',
      'batch',
      '--batch-max-requests',
      '1000',
      '--batch-poll',
      '0.1',
      '--json',
      ...(policy ? ['--on-batch-failure', policy] : []),
    ]);
    const summary = JSON.parse(result.stdout || '{}') as BatchJson;
    const rows = await duckdbRows(
      `SELECT _status AS status, _error AS error, count(*)::INTEGER AS n FROM '${out}' GROUP BY ALL ORDER BY n DESC`,
    );
    return { result, summary, rows, stats: faulty.stats() };
  } finally {
    await faulty.close();
  }
}

test('3% failed items and one expired batch: a follow-up batch, then online, and every row ends ok', async () => {
  const { result, summary, rows, stats } = await faultyRun(undefined);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(rows, [{ status: 'ok', error: null, n: 3000 }]);
  assert.equal(stats.batches.expired, 1);
  // 300 unexecuted items of the expired batch, and about 3% of the other 2,700, went to one follow-up batch.
  assert.ok(summary.batch.followUp > 300 && summary.batch.followUp < 450, JSON.stringify(summary.batch));
  assert.equal(stats.batches.created, 4);
  assert.equal(stats.batches.resubmitted, 0, 'a follow-up batch carries new custom_ids');
  // What failed again in the follow-up batch was asked online, once each.
  assert.ok(summary.batch.online > 0, JSON.stringify(summary.batch));
  assert.equal(stats.byStatus['200'], summary.batch.online);
  assert.match(result.stderr, /failed or expired batch items: [\d,]+ sent to a follow-up batch · [\d,]+ asked online/);
});

test('--on-batch-failure online: failed items go online at once, with no follow-up batch', async () => {
  const { result, summary, rows, stats } = await faultyRun('online');
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(rows, [{ status: 'ok', error: null, n: 3000 }]);
  assert.equal(stats.batches.created, 3);
  assert.equal(summary.batch.followUp, 0);
  assert.ok(summary.batch.online > 300, JSON.stringify(summary.batch));
  assert.equal(stats.byStatus['200'], summary.batch.online);
});

test('--on-batch-failure fail: failed items end failed with the batch’s reason, and nothing is asked again', async () => {
  const { result, summary, rows, stats } = await faultyRun('fail');
  assert.equal(result.code, 1, result.stderr);
  assert.equal(stats.batches.created, 3);
  assert.equal(stats.requests, 0, 'nothing asked online');
  const failed = rows.filter((r) => r['status'] === 'failed');
  const total = (list: typeof rows) => list.reduce((sum, r) => sum + (r['n'] as number), 0);
  assert.equal(total(failed), summary.batch.failedItems);
  assert.equal(total(rows.filter((r) => r['status'] === 'ok')) + total(failed), 3000);
  // The expired batch's 300 unexecuted requests, and the items that failed with a server error.
  const expired = failed.filter((r) => /^batch_expired: .*\(--on-batch-failure fail\)$/.test(r['error'] as string));
  assert.equal(total(expired), 300);
  assert.ok(failed.some((r) => /^HTTP 500.*\(in the batch\) \(--on-batch-failure fail\)$/.test(r['error'] as string)));
});

test('cached rows are answered at once and never submitted; --detach submits, exits 5, and `llmap status` collects', async () => {
  const dir = tempDir('batch-cache');
  const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 1000);
  const env = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  const base = ['-p', PROMPT, '-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`];
  const online = await runCli(['run', input, ...base, '-o', join(dir, 'first.parquet'), '--limit', '400'], env);
  assert.equal(online.code, 0, online.stderr);

  sim.resetStats();
  const args = ['run', input, ...base, '-o', join(dir, 'all.parquet'), '--mode', 'batch', '--batch-poll', '0.2'];
  const detached = await runCli([...args, '--detach'], env);
  assert.equal(detached.code, 5, detached.stderr);
  assert.match(detached.stdout, /400 from the cache · 0 asked/);
  assert.match(detached.stdout, /detached: 600 rows wait for their batches/);
  assert.equal(sim.stats().batches.requests, 600, 'the 400 cached rows were not submitted');

  const stateDir = join(dir, '.llmap', 'all.parquet');
  const pending = await runCli(['status', stateDir, '--no-poll'], env);
  assert.match(pending.stdout, /stopped \(detached: 600 rows wait for provider batches\)/);
  assert.match(pending.stdout, /batches: {3}1 in flight · 0 collected · requests 600 pending/);
  // `llmap status` polls (running the job's command with --detach) until the batch has ended and the output is written.
  let collected = await runCli(['status', stateDir], env);
  for (let i = 0; i < 20 && !/finished/.test(collected.stdout); i++) {
    await sleep(500);
    collected = await runCli(['status', stateDir], env);
  }
  assert.match(collected.stdout, /state: {5}finished/);
  assert.match(collected.stderr, /400 from the run state · 0 from the cache · 600 asked/);
  assert.equal(sim.stats().batches.created, 1);
  assert.equal(sim.stats().requests, 0);
  const [shape] = await duckdbRows(
    `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE _status = 'ok')::INTEGER AS ok FROM '${join(dir, 'all.parquet')}'`,
  );
  assert.deepEqual(shape, { n: 1000, ok: 1000 });
});

test('--mode auto --deadline inside the batch window: batches are cancelled at the cutoff and the rest goes online', async () => {
  const slow = await startSim({ port: 0, batchDelayMs: 60_000 });
  try {
    const dir = tempDir('batch-deadline');
    const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 500);
    const out = join(dir, 'out.parquet');
    const started = Date.now();
    const result = await runCli([
      'run',
      input,
      '-p',
      PROMPT,
      '-m',
      'openai:gpt-4o-mini',
      '--base-url',
      `${slow.url}/v1`,
      '-o',
      out,
      '--mode',
      'auto',
      '--deadline',
      '6s',
      '--rpm',
      '10000',
      '--batch-poll',
      '0.2',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /mode auto: the deadline is inside the 24 h batch window: batch until/);
    const summary = JSON.parse(result.stdout) as BatchJson;
    assert.equal(summary.rows.ok, 500);
    // The batch was cancelled a few seconds in, with part of it done: the rest was asked online, before the deadline.
    assert.ok(summary.batch.online > 0 && summary.batch.online < 500, JSON.stringify(summary.batch));
    assert.equal(slow.stats().byStatus['200'], summary.batch.online);
    assert.equal(summary.batch.followUp, 0, 'no follow-up batch once time is short');
    assert.ok(Date.now() - started < 15_000);
  } finally {
    await slow.close();
  }
});

test('estimate --mode batch shows the batches and the discounted cost; the run pays batch prices and says what it saved', async () => {
  const dir = tempDir('batch-estimate');
  const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 1200);
  const job = [input, '-p', PROMPT, '-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`, '--max-tokens', '40'];
  const batch = [
    '-o',
    join(dir, 'out.parquet'),
    '--mode',
    'batch',
    '--batch-max-requests',
    '500',
    '--batch-poll',
    '0.2',
  ];
  sim.resetStats();
  const estimated = await runCli(['estimate', ...job, ...batch]);
  assert.equal(estimated.code, 0, estimated.stderr);
  assert.match(estimated.stdout, /batches: {11}3 of at most 500 requests/);
  assert.match(estimated.stdout, /cost batch: .*\(−50%\) {2}← --mode batch/);
  const estimate = JSON.parse((await runCli(['estimate', ...job, ...batch, '--json'])).stdout) as {
    cost: { online: { max: number }; batch: { max: number } };
  };
  assert.ok(Math.abs(estimate.cost.batch.max - estimate.cost.online.max / 2) < 1e-12);
  assert.equal(sim.stats().batches.created, 0, 'estimate submits nothing');

  const ran = await runCli(['run', ...job, ...batch, '--json']);
  assert.equal(ran.code, 0, ran.stderr);
  const summary = JSON.parse(ran.stdout) as {
    cost: { runUsd: number };
    tokens: { input: number; output: number; paid: boolean };
    batch: { savedUsd: number; tokens: { input: number; output: number } };
  };
  assert.deepEqual(summary.tokens, { ...summary.batch.tokens, paid: true }, 'every paid token was a batch token');
  assert.ok(summary.cost.runUsd <= estimate.cost.batch.max);
  // Half price: what was paid equals what was saved.
  assert.ok(Math.abs(summary.batch.savedUsd - summary.cost.runUsd) < 1e-12, JSON.stringify(summary));
  // `llmap status` prices the job the same way.
  const status = await runCli(['status', join(dir, '.llmap', 'out.parquet')]);
  assert.match(
    status.stdout,
    new RegExp(
      `\\$${summary.cost.runUsd.toFixed(4).replace('.', '\\.')} at the prices of .*batch-answered tokens at half price`,
    ),
  );
});

test('a batch API that refuses the run (bad key) stops it with exit 3, records no row, and the fixed run completes', async () => {
  const guarded = await startSim({ port: 0, apiKey: 'sk-right', batchDelayMs: 200 });
  try {
    const dir = tempDir('batch-refused');
    const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 300);
    const args = ['run', input, '-p', PROMPT, '-m', 'openai:gpt-4o-mini', '--base-url', `${guarded.url}/v1`];
    const batch = ['-o', join(dir, 'out.parquet'), '--mode', 'batch', '--batch-poll', '0.1'];
    const refused = await runCli([...args, ...batch], { OPENAI_API_KEY: 'sk-wrong' });
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stdout, /stopped: the provider refused the run: openai batch API, upload: HTTP 401/);
    assert.doesNotMatch(refused.stderr + refused.stdout, /sk-wrong/);
    assert.equal(guarded.stats().batches.created, 0);

    const fixed = await runCli([...args, ...batch], { OPENAI_API_KEY: 'sk-right' });
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.match(fixed.stdout, /ok 300 · failed 0/);
    assert.equal(guarded.stats().batches.created, 1);
  } finally {
    await guarded.close();
  }
});
