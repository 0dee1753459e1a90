// What a job spent across its runs, and where its answers came from, as the summary, --json, --budget and
// `llmap status` report them: a job started with a free local model (the real stories260K GGUF) and continued with a
// hosted model (the simulator, at a price given with --prices); and rows whose requests repeat within one run.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { readRows, runCli, storiesCsv, STORIES_MODEL, tempDir } from './helpers.js';

interface Summary {
  rows: { total: number; ok: number; resumed: number; cached: number; duplicates: number };
  tokens: { input: number; output: number; paid: boolean };
  cost?: { runUsd: number; jobUsd: number };
  stopped?: { kind: string };
}

/** The --json summary: the line of stdout that is a JSON object (a human summary may share stdout). */
function jsonSummary(stdout: string): Summary {
  return JSON.parse(stdout.split('\n').find((line) => line.startsWith('{'))!) as Summary;
}

describe("a job's spend across runs with different models", () => {
  const dir = tempDir('spend');
  const input = storiesCsv(dir, 24);
  const out = join(dir, 'stories.jsonl');
  const cache = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  // A cent a token: the local run's tokens at this price would be about $10.
  const prices = join(dir, 'prices.json');
  writeFileSync(
    prices,
    JSON.stringify({ asOf: 'test', models: { 'openai:gpt-4o-mini': { input: 10_000, output: 10_000 } } }),
  );
  const job = ['run', input, '-p', 'Once upon a time, {{text}}', '-o', out, '--max-tokens', '24', '--json'];
  let sim: SimServer;
  before(async () => {
    sim = await startSim({ port: 0 });
  });
  after(() => sim.close());

  test('a local model run costs nothing, and its summary says its tokens were generated, not paid', async () => {
    const local = await runCli([...job, '-m', `llama:${STORIES_MODEL}`, '--threads', '1', '--prices', prices], cache);
    assert.equal(local.code, 0, local.stderr);
    const summary = jsonSummary(local.stdout);
    assert.ok(summary.tokens.input > 200 && summary.tokens.output > 100, JSON.stringify(summary.tokens));
    // Priced as the hosted model, these tokens would spend the next run's budget before it starts.
    assert.ok((summary.tokens.input + summary.tokens.output) * 0.01 > 5);
    assert.equal(summary.tokens.paid, false);
    assert.deepEqual([summary.cost?.runUsd, summary.cost?.jobUsd], [0, 0]);
    assert.match(local.stdout + local.stderr, /tokens generated: [\d,]+ in · [\d,]+ out \(no cost\)\n/);
    assert.doesNotMatch(local.stdout + local.stderr, /tokens paid/);
  });

  test('a hosted run after it: the job so far is what the hosted model cost, and the budget is not eaten by the local run', async () => {
    const hosted = ['-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`, '--prices', prices];
    // Worst case per call about $0.40 (a ~15-token prompt plus 24 tokens at a cent each): 8 rows fit in $5; the
    // local run's tokens priced at this model's price would not.
    const result = await runCli([...job, ...hosted, '--limit', '8', '--budget', '5'], cache);
    assert.equal(result.code, 0, result.stderr);
    const summary = jsonSummary(result.stdout);
    assert.equal(summary.stopped, undefined);
    assert.equal(summary.rows.ok, 8);
    assert.equal(summary.tokens.paid, true);
    const cost = summary.cost!;
    assert.ok(cost.runUsd > 0.5, `run cost $${cost.runUsd}`);
    assert.equal(cost.jobUsd, cost.runUsd);
    const usd = (x: number) => `\\$${x.toFixed(4).replace('.', '\\.')}`;
    assert.match(
      result.stdout + result.stderr,
      new RegExp(
        `tokens paid: [\\d,]+ in · [\\d,]+ out · ${usd(cost.runUsd)} \\(job so far ${usd(cost.jobUsd)}, prices of test\\)`,
      ),
    );

    // `llmap status` prices each model's tokens at that model's price (the built-in table's, there).
    const status = await runCli(['status', join(dir, '.llmap', 'stories.jsonl')]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      /tokens: {4}[\d,]+ in · [\d,]+ out \(paid calls, all runs\) · \$\d+\.\d{4} at the prices of 2025-10\n/,
    );
    assert.match(status.stdout, /\n {13}llama:.*stories260K\.gguf: [\d,]+ in · [\d,]+ out · no cost\n/);
    assert.match(status.stdout, /\n {13}openai:gpt-4o-mini: [\d,]+ in · [\d,]+ out · \$\d+\.\d{4}\n/);
  });

  test('a local run after a hosted one keeps what the hosted run spent in the job so far', async () => {
    const before = JSON.parse((await runCli(['status', join(dir, '.llmap', 'stories.jsonl'), '--json'])).stdout) as {
      counts: { spend: { model: string; inputTokens: number; outputTokens: number }[] };
    };
    const hostedSpend = before.counts.spend.find((s) => s.model === 'openai:gpt-4o-mini')!;
    const local = await runCli([...job, '-m', `llama:${STORIES_MODEL}`, '--threads', '1', '--prices', prices], cache);
    assert.equal(local.code, 0, local.stderr);
    const summary = jsonSummary(local.stdout);
    // The 8 rows the hosted model answered are asked again locally (another model is another request); the others
    // are still the local answers of the first run.
    assert.deepEqual([summary.rows.resumed, summary.rows.ok], [16, 24]);
    const hostedUsd = (hostedSpend.inputTokens + hostedSpend.outputTokens) * 0.01;
    assert.ok(Math.abs(summary.cost!.jobUsd - hostedUsd) < 1e-9, `${summary.cost!.jobUsd} vs ${hostedUsd}`);
    assert.match(
      local.stdout + local.stderr,
      /tokens generated: [\d,]+ in · [\d,]+ out \(no cost\) · job so far \$\d+\.\d{4} \(prices of test\)/,
    );
    assert.equal((await readRows(out)).length, 24);
  });
});

describe('rows whose requests repeat within a run', () => {
  const dir = tempDir('duplicates');
  let sim: SimServer;
  before(async () => {
    sim = await startSim({ port: 0 });
  });
  after(() => sim.close());

  test('are counted as duplicates of another row’s request, not as answers from the cache', async () => {
    // 400 tickets with their own ids, but only 50 distinct texts: 350 rows ask what another row asks.
    const input = join(dir, 'tickets.csv');
    const lines = ['id,text'];
    for (let i = 0; i < 400; i++) lines.push(`${i},"Ticket ${i % 50}: the blender ${i % 3 ? 'leaks' : 'won’t start'}"`);
    writeFileSync(input, lines.join('\n') + '\n');
    const cache = { LLMAP_CACHE_DIR: join(dir, 'cache') };
    const args = ['run', input, '--id', 'id', '-p', 'Category of: {{text}}', '-m', 'openai:gpt-4o-mini'].concat([
      '--base-url',
      `${sim.url}/v1`,
      '-o',
      join(dir, 'out.parquet'),
      '--json',
    ]);
    const distinct = new Set(lines.slice(1).map((line) => line.slice(line.indexOf(',') + 1))).size;
    sim.resetStats();
    const first = await runCli(args, cache);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(sim.stats().requests, distinct);
    const summary = jsonSummary(first.stdout);
    assert.deepEqual([summary.rows.cached, summary.rows.duplicates], [400 - distinct, 400 - distinct]);
    assert.match(
      first.stdout + first.stderr,
      new RegExp(
        `answered: 0 from the run state · 0 from the cache · ${400 - distinct} duplicates of another row's request · ${distinct} asked`,
      ),
    );
    const rows = await readRows(join(dir, 'out.parquet'));
    assert.equal(rows.filter((row) => row['_cached'] === true).length, 400 - distinct);

    // Started over: every answer is in the cache from the first run, so none is a duplicate.
    const again = await runCli([...args, '--fresh'], cache);
    assert.equal(again.code, 0, again.stderr);
    const fromCache = jsonSummary(again.stdout);
    assert.deepEqual([fromCache.rows.cached, fromCache.rows.duplicates], [400, 0]);
    assert.match(again.stdout + again.stderr, /answered: 0 from the run state · 400 from the cache · 0 asked/);
  });
});
