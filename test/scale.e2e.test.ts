// The headline job: 100,000 rows through llmap sim into a typed Parquet file, in order, all ok, and no
// prompt paid for twice. (Its speed is measured in bench/, not asserted here.)

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { duckdbRows, runCli, tempDir, writeReviewsCsv } from './helpers.js';

let sim: SimServer;
before(async () => (sim = await startSim({ port: 0 })));
after(() => sim.close());

test('100,000 rows: exactly 100,000 typed rows in input order, every one ok, each prompt answered once', async () => {
  const dir = tempDir('scale');
  const input = await writeReviewsCsv(join(dir, 'reviews.csv'), 100_000);
  const out = join(dir, 'reviews.parquet');
  const schema = JSON.stringify({
    type: 'object',
    properties: { sentiment: { type: 'string', enum: ['positive', 'negative'] }, score: { type: 'number' } },
    required: ['sentiment', 'score'],
  });
  const started = Date.now();
  const result = await runCli([
    'run',
    input,
    '-p',
    'Review: {{text}}',
    '-s',
    schema,
    '-m',
    'openai:m',
    '--base-url',
    `${sim.url}/v1`,
    '-o',
    out,
  ]);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(result.code, 0, result.stderr);
  const [summary] = await duckdbRows(
    `SELECT count(*) AS n, count(*) FILTER (_status = 'ok') AS ok,
            bool_and(id = rn) AS in_order, typeof(any_value(score)) AS score_type
     FROM (SELECT *, row_number() OVER () - 1 AS rn FROM '${out}')`,
  );
  assert.deepEqual(summary, { n: '100000', ok: '100000', in_order: true, score_type: 'DOUBLE' });
  assert.equal(sim.stats().prompts.distinct, 100_000);
  assert.equal(sim.stats().prompts.answeredMoreThanOnce, 0);
  console.log(`# 100,000 rows in ${seconds.toFixed(1)} s (${Math.round(100_000 / seconds)} rows/s)`);
});
