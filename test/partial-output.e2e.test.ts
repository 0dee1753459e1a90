// Only a complete run publishes the output's name. A run stopped by Ctrl-C or the budget, or limited to its first
// rows, writes `<name>.partial.<ext>` and leaves a complete output from an earlier run exactly as it was; the run
// that completes replaces the output and removes the partial file. `llmap embed` and batch mode follow the rule.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSim, type SimServer } from '../src/sim/index.js';
import { readRows, runCli, startCli, tempDir, writeReviewsCsv } from './helpers.js';

const ROWS = 1000;
const OLD_PROMPT = 'Label: {{text}}';
const NEW_PROMPT = 'Label this review in one word: {{text}}';

let sim: SimServer;
before(async () => (sim = await startSim({ port: 0, latencyMs: 20 })));
after(() => sim.close());

/** A folder with a review table, and an output that a complete run of the old prompt wrote. */
async function completeOutput(name: string) {
  const dir = tempDir(`partial-${name}`);
  const input = await writeReviewsCsv(join(dir, 'reviews.csv'), ROWS);
  const out = join(dir, 'labels.parquet');
  const env = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  const run = (prompt: string, ...extra: string[]) => runCli(job(input, out, prompt, ...extra), env);
  const first = await run(OLD_PROMPT, '--json');
  assert.equal(first.code, 0, first.stderr);
  return { dir, input, out, env, run, partial: join(dir, 'labels.partial.parquet'), first, digest: digest(out) };
}

const job = (input: string, out: string, prompt: string, ...extra: string[]) => [
  'run',
  input,
  '-p',
  prompt,
  '-m',
  'openai:gpt-4o-mini',
  '--base-url',
  `${sim.url}/v1`,
  '-o',
  out,
  ...extra,
];

function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const ids = (rows: readonly Record<string, unknown>[]) => rows.map((r) => Number(r['id']));
const firstIds = (n: number) => Array.from({ length: n }, (_, i) => i);
const escaped = (path: string) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('Ctrl-C over a complete output: it is left as it was, the done rows go to the partial file', async () => {
  const { input, out, env, run, partial, digest: before } = await completeOutput('sigint');
  const oldHashes = new Set((await readRows(out)).map((r) => r['_prompt_hash']));
  sim.resetStats();
  const running = startCli([...job(input, out, NEW_PROMPT), '--concurrency', '8'], env);
  while (sim.stats().requests < 40) await sleep(20);
  running.child.kill('SIGINT');
  const stopped = await running.done;
  assert.equal(stopped.code, 130, stopped.stderr);

  assert.equal(digest(out), before, 'the complete output is untouched');
  const rows = await readRows(partial);
  assert.ok(rows.length >= 40 && rows.length < ROWS, `${rows.length} rows`);
  assert.deepEqual(ids(rows), firstIds(rows.length), 'the done rows, in input order');
  assert.ok(
    rows.every((r) => r['_status'] === 'ok' && !oldHashes.has(r['_prompt_hash'])),
    "the new prompt's answers",
  );
  assert.match(
    stopped.stdout,
    new RegExp(
      `output: ${escaped(partial)} \\(partial: ${rows.length} of 1,000 rows; only a run that completes writes ` +
        `${escaped(out)}, and one there now is left as it was\\)`,
    ),
  );

  // The run that completes writes the output and removes the partial file; the answered rows are not asked again.
  sim.resetStats();
  const finished = await run(NEW_PROMPT);
  assert.equal(finished.code, 0, finished.stderr);
  assert.ok(sim.stats().requests <= ROWS - rows.length, `${sim.stats().requests} requests`);
  const complete = await readRows(out);
  assert.deepEqual(ids(complete), firstIds(ROWS));
  assert.ok(complete.every((r) => !oldHashes.has(r['_prompt_hash'])));
  assert.equal(existsSync(partial), false, 'the stale partial file is removed');
  assert.match(finished.stdout, new RegExp(`output: ${escaped(out)}\\n`));
});

test('--limit is a trial run: its rows go to the partial file, never over the complete output', async () => {
  const { dir, out, run, partial, digest: before } = await completeOutput('limit');
  sim.resetStats();
  const trial = await run(OLD_PROMPT, '--limit', '50');
  assert.equal(trial.code, 0, trial.stderr);
  assert.equal(digest(out), before, 'the complete output is untouched');
  assert.deepEqual(ids(await readRows(partial)), firstIds(50));
  assert.match(
    trial.stdout,
    new RegExp(
      `output: ${escaped(partial)} \\(partial: a --limit trial run; a run without --limit writes ${escaped(out)}\\)`,
    ),
  );
  assert.equal(sim.stats().requests, 0, 'the trial rows came from the run state');
  const status = await runCli(['status', join(dir, '.llmap', 'labels.parquet')]);
  assert.match(
    status.stdout,
    new RegExp(`\\n {2}partial: {3}${escaped(partial)} \\(the rows of a run that did not complete`),
  );

  const full = await run(OLD_PROMPT);
  assert.equal(full.code, 0, full.stderr);
  assert.equal((await readRows(out)).length, ROWS);
  assert.equal(existsSync(partial), false);
});

test('a run stopped by --budget (exit 4) writes the partial file and leaves the complete output', async () => {
  const { out, run, partial, first, digest: before } = await completeOutput('budget');
  const spent = (JSON.parse(first.stdout) as { cost: { jobUsd: number } }).cost.jobUsd;
  // What the old prompt's run spent, and room for some of the new prompt's rows but not all.
  const capped = await run(NEW_PROMPT, '--budget', (spent + 0.004).toFixed(4), '--json');
  assert.equal(capped.code, 4, capped.stderr);
  const summary = JSON.parse(capped.stdout) as {
    output: string;
    outputPath: string;
    partial?: string;
    rows: { written: number };
  };
  assert.deepEqual(
    { output: summary.output, outputPath: summary.outputPath, partial: summary.partial },
    { output: partial, outputPath: out, partial: 'stopped' },
  );
  assert.ok(summary.rows.written > 0 && summary.rows.written < ROWS, `${summary.rows.written} rows`);
  assert.equal(digest(out), before, 'the complete output is untouched');
  assert.deepEqual(ids(await readRows(partial)), firstIds(summary.rows.written));
});

test('llmap embed follows the same rule: --limit writes the partial file beside a complete output', async () => {
  const dir = tempDir('partial-embed');
  const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 300);
  const out = join(dir, 'vectors.parquet');
  const env = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  const embed = (...extra: string[]) =>
    runCli(
      ['embed', input, '--column', 'text', '-m', 'openai:text-embedding-3-small', '--dimensions', '8']
        .concat(['--base-url', `${sim.url}/v1`, '-o', out])
        .concat(extra),
      env,
    );
  assert.equal((await embed()).code, 0);
  const before = digest(out);
  const trial = await embed('--limit', '20');
  assert.equal(trial.code, 0, trial.stderr);
  assert.equal(digest(out), before);
  const rows = await readRows(join(dir, 'vectors.partial.parquet'));
  assert.deepEqual(ids(rows), firstIds(20));
  assert.ok(rows.every((r) => Array.isArray(r['embedding']) && (r['embedding'] as number[]).length === 8));
});

test('batch mode: --detach writes nothing over a complete output; the run that collects the batch publishes', async () => {
  const { out, run, partial, digest: before } = await completeOutput('batch');
  const batch = ['--mode', 'batch', '--batch-poll', '0.2'];
  const detached = await run(NEW_PROMPT, ...batch, '--detach');
  assert.equal(detached.code, 5, detached.stderr);
  assert.equal(digest(out), before, 'the complete output is untouched');
  assert.equal(existsSync(partial), false, 'nothing is written while rows wait for batches');

  const collected = await run(NEW_PROMPT, ...batch);
  assert.equal(collected.code, 0, collected.stderr);
  assert.notEqual(digest(out), before);
  assert.deepEqual(ids(await readRows(out)), firstIds(ROWS));
  assert.equal(existsSync(partial), false);
});
