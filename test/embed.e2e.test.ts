// `llmap embed` against the simulator's /v1/embeddings, as a user runs it: many rows per request, vectors of the
// asked dimension equal to what the endpoint sent, resume and cache, and bad rows failing alone.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { embeddingOf } from '../src/sim/handle-embeddings.js';
import { duckdbRows, readColumnTypes, runCli, tempDir, writeReviewsCsv } from './helpers.js';

let sim: SimServer;
before(async () => {
  sim = await startSim({ port: 0, latencyMs: 5 });
});
after(() => sim.close());

test('10,000 rows become 10,000 vectors of the asked dimension in a few dozen requests', async () => {
  const dir = tempDir('embed');
  const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 10_000);
  const out = join(dir, 'emb.parquet');
  const cache = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  const args = ['embed', input, '--column', 'text', '-m', 'openai:text-embedding-3-small', '--dimensions', '64'];
  const baseUrl = ['--base-url', `${sim.url}/v1`, '-o', out];
  sim.resetStats();
  const result = await runCli([...args, ...baseUrl], cache);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /10,000 of 10,000 rows written/);
  assert.match(result.stdout, /embedding dimension 64/);
  const stats = sim.stats();
  assert.equal(stats.embeddings.inputs, 10_000);
  assert.ok(stats.requests <= 50, `${stats.requests} requests for 10,000 rows`);

  assert.equal((await readColumnTypes(out))['embedding'], 'FLOAT[]');
  const [shape] = await duckdbRows(
    `SELECT count(*)::INTEGER AS n, min(len(embedding))::INTEGER AS shortest, max(len(embedding))::INTEGER AS longest, ` +
      `count(*) FILTER (WHERE _status = 'ok')::INTEGER AS ok FROM '${out}'`,
  );
  assert.deepEqual(shape, { n: 10_000, shortest: 64, longest: 64, ok: 10_000 });
  // The vector written is the one the endpoint sent for that row's text.
  const sample = await duckdbRows(`SELECT text, embedding FROM '${out}' WHERE id IN (0, 4321, 9999) ORDER BY id`);
  for (const row of sample) {
    const expected = Array.from(embeddingOf('text-embedding-3-small', row['text'] as string, 64));
    assert.deepEqual(row['embedding'], expected);
  }

  // The same command again asks nothing; another output of the same texts is answered by the cache.
  sim.resetStats();
  const again = await runCli([...args, ...baseUrl], cache);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /10,000 from the run state/);
  const other = await runCli([...args, '--base-url', `${sim.url}/v1`, '-o', join(dir, 'copy.jsonl')], cache);
  assert.equal(other.code, 0, other.stderr);
  assert.match(other.stdout, /10,000 from the cache/);
  assert.equal(sim.stats().requests, 0);
});

test('an empty text fails its own row; the rest of its batch is embedded', async () => {
  const dir = tempDir('embed-bad');
  const input = join(dir, 'texts.csv');
  writeFileSync(input, 'id,text\n1,first text\n2,\n3,third text\n');
  const out = join(dir, 'emb.jsonl');
  const result = await runCli([
    'embed',
    input,
    '--column',
    'text',
    '-m',
    'openai:text-embedding-3-small',
    '--base-url',
    `${sim.url}/v1`,
    '-o',
    out,
  ]);
  assert.equal(result.code, 1, result.stderr);
  const rows = await duckdbRows(
    `SELECT id, _status, _error, len(embedding)::INTEGER AS dims FROM '${out}' ORDER BY id`,
  );
  assert.deepEqual(
    rows.map((row) => [row['_status'], row['dims']]),
    [
      ['ok', 1536],
      ['failed', null],
      ['ok', 1536],
    ],
  );
  assert.match(rows[1]!['_error'] as string, /the text to embed is empty/);
});

test('embed names a missing column before anything is sent', async () => {
  const dir = tempDir('embed-col');
  const input = join(dir, 'texts.csv');
  writeFileSync(input, 'id,text\n1,a\n');
  sim.resetStats();
  const result = await runCli([
    'embed',
    input,
    '--column',
    'body',
    '-m',
    'openai:text-embedding-3-small',
    '--base-url',
    `${sim.url}/v1`,
    '-o',
    join(dir, 'o.jsonl'),
  ]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /body/);
  assert.equal(sim.stats().requests, 0);
});
