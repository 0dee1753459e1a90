// Answers cut off at max_tokens, end to end: the README's triage job with a max_tokens too small for its answer,
// against the simulator (which cuts the answer at max_tokens and says so as OpenAI and Anthropic do), online, from
// the cache, and in batch mode; and a free-text answer cut off the same way.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { readRows, runCli, storiesCsv, STORIES_MODEL, STORY_SCHEMA, tempDir } from './helpers.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const TICKETS = join(EXAMPLES, 'tickets.csv');
const TRIAGE = ['-p', join(EXAMPLES, 'triage.md'), '-s', join(EXAMPLES, 'triage.schema.json')];
const CUT_OFF =
  /^answer cut off at 20 tokens \(max_tokens\) before it was complete: raise the limit with --max-tokens N or max_tokens: N in the prompt's front matter$/;
const ROWS = 300;

function jsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('an answer cut off at max_tokens', () => {
  const dir = tempDir('truncated');
  const cache = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  let sim: SimServer;
  before(async () => {
    sim = await startSim({ port: 0, batchDelayMs: 300 });
  });
  after(() => sim.close());

  for (const provider of ['openai', 'anthropic'] as const) {
    test(`${provider}: the triage job with --max-tokens 20 ends invalid rows that say so, after one call each`, async () => {
      const out = join(dir, `${provider}.parquet`);
      const model =
        provider === 'openai'
          ? ['-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`]
          : ['-m', 'anthropic:claude-haiku-4-5', '--base-url', sim.url];
      const args = ['run', TICKETS, ...TRIAGE, ...model, '--max-tokens', '20', '-o', out];
      sim.resetStats();
      const result = await runCli(args, cache);
      assert.equal(result.code, 1, result.stderr);
      // No repair turn: one request per distinct ticket, whatever the provider.
      assert.ok(sim.stats().requests <= ROWS, `${sim.stats().requests} requests for ${ROWS} rows`);
      const rows = await readRows(out);
      assert.equal(rows.length, ROWS);
      for (const row of rows) {
        assert.deepEqual([row['_status'], row['_attempts'], row['category']], ['invalid', 1, null]);
        assert.match(String(row['_error']), CUT_OFF);
      }
      const quarantined = jsonLines(`${out}.quarantine.jsonl`);
      assert.equal(quarantined.length, ROWS);
      assert.match(String(quarantined[0]!['error']), CUT_OFF);
      const report = result.stdout + result.stderr;
      assert.match(report, /ok 0 · failed 0 · invalid 300/);
      assert.match(
        report,
        /cut off at max_tokens: 300 answer\(s\) \(see _error\); raise the limit with --max-tokens N or max_tokens: N in the prompt's front matter/,
      );

      // From the cache, the same answer is reported the same way, without a call.
      sim.resetStats();
      const again = await runCli([...args, '--fresh'], cache);
      assert.equal(again.code, 1, again.stderr);
      assert.equal(sim.stats().requests, 0);
      const fromCache = await readRows(out);
      assert.deepEqual(
        fromCache.map((row) => [row['_status'], row['_error'], row['_attempts'], row['_cached']]),
        rows.map((row) => [row['_status'], row['_error'], row['_attempts'], true]),
      );
      assert.match(again.stdout + again.stderr, /cut off at max_tokens: 300 answer\(s\)/);
    });
  }

  test('with a limit the answers fit, no row is cut off and the summary says nothing of it', async () => {
    const out = join(dir, 'roomy.parquet');
    const result = await runCli(
      ['run', TICKETS, ...TRIAGE, '-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`, '-o', out],
      cache,
    );
    assert.equal(result.code, 0, result.stderr);
    const rows = await readRows(out);
    assert.ok(rows.every((row) => row['_status'] === 'ok' && row['_error'] === null));
    assert.doesNotMatch(result.stdout + result.stderr, /cut off/);
  });

  test('batch mode: an item cut off at max_tokens is invalid without a repair turn online', async () => {
    const out = join(dir, 'batch.parquet');
    sim.resetStats();
    const result = await runCli(
      [
        'run',
        TICKETS,
        ...TRIAGE,
        '-m',
        'openai:gpt-4o-mini',
        '--base-url',
        `${sim.url}/v1`,
        '--max-tokens',
        '20',
      ].concat(['-o', out, '--mode', 'batch', '--batch-poll', '0.1', '--limit', '40', '--no-cache']),
      cache,
    );
    assert.equal(result.code, 1, result.stderr);
    assert.equal(sim.stats().requests, 0, 'no online call: nothing was repaired');
    // A --limit run is a trial: its rows are in the partial file.
    const rows = await readRows(join(dir, 'batch.partial.parquet'));
    assert.equal(rows.length, 40);
    for (const row of rows) {
      assert.deepEqual([row['_status'], row['_attempts']], ['invalid', 1]);
      assert.match(String(row['_error']), CUT_OFF);
    }
  });

  test('a local model: a JSON answer cut off at max_tokens under its grammar is invalid and says so, after one call', async () => {
    const input = storiesCsv(dir, 12);
    const schema = join(dir, 'story.schema.json');
    writeFileSync(schema, JSON.stringify(STORY_SCHEMA));
    const out = join(dir, 'local.jsonl');
    const result = await runCli(
      ['run', input, '-p', 'Story: {{text}}', '-s', schema, '-m', `llama:${STORIES_MODEL}`, '--threads', '1'].concat([
        '--max-tokens',
        '4',
        '-o',
        out,
      ]),
      cache,
    );
    assert.equal(result.code, 1, result.stderr);
    const rows = jsonLines(out);
    assert.equal(rows.length, 12);
    for (const row of rows) {
      assert.deepEqual([row['_status'], row['_attempts'], row['_output_tokens']], ['invalid', 1, 4]);
      assert.match(
        String(row['_error']),
        /^answer cut off at 4 tokens \(max_tokens\) before it was complete: .*--max-tokens/,
      );
    }
  });

  test('free text: a story cut off at max_tokens stays ok with its text, and _error notes the cut', async () => {
    const out = join(dir, 'stories.jsonl');
    const result = await runCli(
      ['run', TICKETS, '-p', 'Summarise this ticket in three sentences: {{body}}', '-m', 'openai:gpt-4o-mini'].concat([
        '--base-url',
        `${sim.url}/v1`,
        '--max-tokens',
        '3',
        '--limit',
        '25',
        '-o',
        out,
      ]),
      cache,
    );
    assert.equal(result.code, 0, result.stderr);
    const rows = jsonLines(join(dir, 'stories.partial.jsonl'));
    assert.equal(rows.length, 25);
    for (const row of rows) {
      assert.equal(row['_status'], 'ok');
      assert.ok(typeof row['answer'] === 'string' && row['answer'].length > 0);
      assert.equal(row['_output_tokens'], 3);
      assert.match(
        String(row['_error']),
        /^answer cut off at 3 tokens \(max_tokens\); the text is kept as it is: raise the limit with --max-tokens N/,
      );
    }
    assert.match(result.stdout + result.stderr, /ok 25 · failed 0 · invalid 0/);
    assert.match(result.stdout + result.stderr, /cut off at max_tokens: 25 answer\(s\)/);
  });
});
