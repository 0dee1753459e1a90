// `llmap sql` end to end against the simulator: the requests a query makes are the distinct calls its result needs
// (counted at the simulator), the answers are the ones `llmap run` gives, a re-run asks nothing, failed calls are
// NULL with their reasons, and a query killed with -9 resumes without asking again what was answered.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { duckdbRows, duckdbRun, readRows, runCli, startCli, tempDir } from './helpers.js';

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    label: { type: 'string', enum: ['bug', 'billing', 'other'] },
    tags: { type: 'array', items: { type: 'string' } },
    detail: { type: 'object', properties: { score: { type: 'integer' } }, required: ['score'] },
  },
  required: ['label', 'tags', 'detail'],
  additionalProperties: false,
});

/** A Parquet table of `rows` rows: `id`, and `body` with `distinct` different texts (long and non-ASCII). */
async function table(path: string, rows: number, distinct: number): Promise<string> {
  await duckdbRun(
    `COPY (SELECT i AS id, 'Ticket ' || (i % ${distinct}) || ': la café-app plante ✓ — ' || repeat('lorem ', (i % ${distinct}) % 7) AS body ` +
      `FROM range(${rows}) r(i)) TO '${path}' (FORMAT parquet)`,
  );
  return path;
}

describe('llmap sql against llmap sim', () => {
  let sim: SimServer;
  const dir = tempDir('sql');
  const model = ['-m', 'openai:gpt-4o-mini'];
  let base: string[];
  before(async () => {
    sim = await startSim({ port: 0 });
    base = [...model, '--base-url', `${sim.url}/v1`];
  });
  after(() => sim.close());

  test('100,000 rows of 1,000 distinct prompts ask 1,000 requests, answer as `llmap run` does, and a re-run asks nothing', async () => {
    const input = await table(join(dir, 'hundred-k.parquet'), 100_000, 1_000);
    const env = { LLMAP_CACHE_DIR: join(dir, 'cache-1') };
    const query = `SELECT id, body, llm('Label: ' || body) AS label FROM '${input}'`;
    const out = join(dir, 'labels.parquet');
    sim.resetStats();
    const first = await runCli(['sql', query, ...base, '-o', out], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(sim.stats().requests, 1_000);
    assert.match(first.stderr, /100,000 row\(s\) → .*labels\.parquet; 1,000 distinct call\(s\) in 2 run\(s\)/);

    // The same prompts through `llmap run`, with a cache of its own: the same answers.
    await duckdbRun(
      `COPY (SELECT DISTINCT body FROM '${input}') TO '${join(dir, 'distinct.parquet')}' (FORMAT parquet)`,
    );
    const run = await runCli(
      ['run', join(dir, 'distinct.parquet'), '-p', 'Label: {{body}}', ...base, '-o', join(dir, 'run.parquet')],
      { LLMAP_CACHE_DIR: join(dir, 'cache-run') },
    );
    assert.equal(run.code, 0, run.stderr);
    const differences = await duckdbRows(
      `SELECT count(*) AS n FROM '${out}' s JOIN '${join(dir, 'run.parquet')}' r USING (body) WHERE s.label IS DISTINCT FROM r.answer`,
    );
    assert.equal(Number(differences[0]!['n']), 0);
    assert.equal((await readRows(out)).length, 100_000);

    sim.resetStats();
    const again = await runCli(['sql', query, ...base, '-o', out], env);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(sim.stats().requests, 0, 'a re-run is answered by the run state');
  });

  test('nested calls, WHERE, CASE and LIMIT ask only the calls the result needs', async () => {
    const input = await table(join(dir, 'ten-k.parquet'), 10_000, 10_000);
    const cases: [string, number, number][] = [
      [`SELECT llm('Shorter: ' || llm(body)) AS a FROM '${input}' WHERE id < 10`, 20, 10],
      [`SELECT CASE WHEN id % 100 = 0 THEN llm(body) ELSE 'skipped' END AS a FROM '${input}'`, 100, 10_000],
      [`SELECT id FROM '${input}' WHERE id % 2 = 0 AND id < 1000 AND llm_filter('Is it urgent? ' || body)`, 500, -1],
      [`SELECT llm(body) AS a FROM '${input}' LIMIT 7`, 7, 7],
      // A call with constant arguments, which DuckDB evaluates once while planning.
      [`SELECT id, llm('Say hello') AS a FROM '${input}' WHERE id < 3`, 1, 3],
      // Every unknown filter answer reads as false, so the first run stops at its first slice of 2,048 calls
      // rather than scanning all 10,000 rows; the second finds its 5 rows among them.
      [`SELECT id FROM '${input}' WHERE llm_filter('Is it about billing? ' || body) LIMIT 5`, 2_048, 5],
    ];
    for (const [index, [query, requests, rows]] of cases.entries()) {
      sim.resetStats();
      const result = await runCli(['sql', query, ...base, '--json', '--state', join(dir, `needs-${index}`)]);
      assert.equal(result.code, 0, `${query}\n${result.stderr}`);
      assert.equal(sim.stats().requests, requests, query);
      const lines = result.stdout.trim().split('\n').filter(Boolean);
      if (rows >= 0) assert.equal(lines.length, rows, query);
      else assert.ok(lines.length > 0 && lines.length < 500, `${query}: ${lines.length} rows`);
      assert.ok(!lines.some((line) => line.includes('null')), `${query}: every value answered`);
    }
  });

  test('with 5% faults the query completes: failed calls are NULL, their reasons visible, no broken answer a value', async () => {
    const faulty = await startSim({ port: 0, errorRate: 0.05, malformedRate: 0.05, seed: 7 });
    try {
      const input = await table(join(dir, 'faults.parquet'), 2_000, 2_000);
      const out = join(dir, 'faults-out.parquet');
      const query =
        `SELECT id, llm_json(body, schema := '${SCHEMA}') AS value, try_llm_json(body, schema := '${SCHEMA}') AS t ` +
        `FROM '${input}'`;
      const result = await runCli([
        'sql',
        query,
        ...model,
        '--base-url',
        `${faulty.url}/v1`,
        '--max-attempts',
        '1',
        '-o',
        out,
      ]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /failed \(NULL\): (failed|invalid) [\d,]+/);
      const rows = await readRows(out);
      assert.equal(rows.length, 2_000);
      const failed = rows.filter((row) => row['value'] === null);
      assert.ok(failed.length > 40 && failed.length < 400, `${failed.length} failed`);
      for (const row of rows) {
        const t = row['t'] as { result: unknown; error: string | null };
        if (row['value'] === null) {
          assert.equal(t.result, null);
          assert.match(t.error ?? '', /^(failed|invalid): \S/);
        } else {
          assert.equal(t.error, null);
          assert.deepEqual(t.result, row['value']);
          const value = row['value'] as { label: string; tags: unknown[]; detail: { score: unknown } };
          assert.ok(['bug', 'billing', 'other'].includes(value.label), JSON.stringify(value));
          assert.ok(Array.isArray(value.tags) && Number.isInteger(Number(value.detail.score)), JSON.stringify(value));
        }
      }
    } finally {
      await faulty.close();
    }
  });

  test('kill -9 during a 100,000-row llm_json query, then the same command: complete, nothing answered twice but what was in flight', async () => {
    const slow = await startSim({ port: 0, latencyMs: 15 });
    try {
      const input = await table(join(dir, 'kill.parquet'), 100_000, 6_000);
      const out = join(dir, 'kill-out.parquet');
      const args = ['sql', `SELECT id, body, llm_json(body, schema := '${SCHEMA}') AS v FROM '${input}'`];
      const flags = [...model, '--base-url', `${slow.url}/v1`, '--max-concurrency', '32', '-o', out];
      const env = { LLMAP_CACHE_DIR: join(dir, 'cache-kill') };
      const running = startCli([...args, ...flags], env);
      while (slow.stats().prompts.distinct < 2_500) await new Promise((r) => setTimeout(r, 20));
      running.child.kill('SIGKILL');
      await running.done;
      const answeredBeforeKill = slow.stats().prompts.distinct;
      assert.ok(answeredBeforeKill < 6_000, 'the kill landed mid-query');

      const resumed = await runCli([...args, ...flags], env);
      assert.equal(resumed.code, 0, resumed.stderr);
      const stats = slow.stats();
      assert.equal(stats.prompts.distinct, 6_000);
      assert.ok(stats.prompts.answeredMoreThanOnce <= 32, `${stats.prompts.answeredMoreThanOnce} answered twice`);
      const check = await duckdbRows(
        `SELECT count(*) AS n, count(v) AS answered, count(DISTINCT body) AS prompts, ` +
          `count(DISTINCT (body, v::VARCHAR)) AS pairs FROM '${out}'`,
      );
      assert.deepEqual(Object.fromEntries(Object.entries(check[0]!).map(([k, v]) => [k, Number(v)])), {
        n: 100_000,
        answered: 100_000,
        prompts: 6_000,
        pairs: 6_000,
      });
    } finally {
      await slow.close();
    }
  });

  test('bad queries exit 2 before any call, naming what is wrong', async () => {
    const input = await table(join(dir, 'bad.parquet'), 10, 10);
    sim.resetStats();
    const cases: [string[], RegExp][] = [
      [['sql', `SELECT nope FROM '${input}'`], /the query failed: Binder Error: .*"nope"/],
      [['sql', `INSERT INTO t SELECT 1`], /runs one SELECT/],
      [['sql', `SELECT llm_json(body) FROM '${input}'`], /llm_json\(\) needs its schema as a constant/],
      [['sql', `SELECT llm(body, model := 'gpt-4o') FROM '${input}'`], /model gpt-4o has no provider prefix/],
      [['sql', `SELECT llm_json(body, schema := '{"type": "string"}') FROM '${input}'`], /JSON Schema/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli([...args, ...base]);
      assert.equal(result.code, 2, `${args[1]}\n${result.stderr}`);
      assert.match(result.stderr, message, args[1]);
    }
    assert.equal(sim.stats().requests, 0);
  });
});
