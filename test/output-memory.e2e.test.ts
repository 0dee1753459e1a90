// The output at the scale and shape of a real job: the README's triage job (a `tags` list among its answers) over
// 50,000 varied tickets writes its Parquet file, and an output that cannot be written costs nothing to write
// again: the answers are in the run state, and the same command writes the file without asking anything.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { duckdbRows, readColumnTypes, runCli, tempDir, writeTicketsCsv } from './helpers.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const TRIAGE = ['-p', join(EXAMPLES, 'triage.md'), '-s', join(EXAMPLES, 'triage.schema.json')];

let sim: SimServer;
before(async () => (sim = await startSim({ port: 0 })));
after(() => sim.close());

const triage = (input: string, out: string) => [
  'run',
  input,
  ...TRIAGE,
  '-m',
  'openai:gpt-4o-mini',
  '--base-url',
  `${sim.url}/v1`,
  '-o',
  out,
];

test("the README's triage job over 50,000 varied tickets writes its Parquet output, tags list and all", async () => {
  const dir = tempDir('output-memory');
  const input = await writeTicketsCsv(join(dir, 'tickets.csv'), 50_000);
  const out = join(dir, 'triage.parquet');
  const result = await runCli(triage(input, out), { LLMAP_CACHE_DIR: join(dir, 'cache') });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /50,000 of 50,000 rows written/);
  assert.equal((await readColumnTypes(out))['tags'], 'VARCHAR[]');
  const [summary] = await duckdbRows(
    `SELECT count(*)::INTEGER AS rows, count(*) FILTER (WHERE _status = 'ok')::INTEGER AS ok,
            count(*) FILTER (WHERE body LIKE '% (ref ' || (rn - 1) || ')')::INTEGER AS in_order,
            count(*) FILTER (WHERE len(tags) > 0)::INTEGER AS tagged
     FROM (SELECT *, row_number() OVER () AS rn FROM '${out}')`,
  );
  assert.equal(summary!['rows'], 50_000);
  assert.equal(summary!['ok'], 50_000);
  assert.equal(summary!['in_order'], 50_000, 'every row in input order');
  assert.ok((summary!['tagged'] as number) > 10_000, `${String(summary!['tagged'])} rows with tags`);
  assert.deepEqual(
    readdirSync(dir).filter((name) => name.startsWith('.triage')),
    [],
    'no staging, temporary or spill file is left',
  );
});

test('an output that cannot be written keeps every answer: the same command again writes it, asking nothing', async () => {
  const dir = tempDir('output-fails');
  const input = await writeTicketsCsv(join(dir, 'tickets.csv'), 300);
  const out = join(dir, 'triage.parquet');
  const env = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  mkdirSync(out); // a folder where the file should go: the last step, the rename, cannot replace it
  sim.resetStats();
  const failed = await runCli(triage(input, out), env);
  assert.equal(failed.code, 7, failed.stderr);
  assert.match(failed.stdout, /300 rows written|0 of 300 rows written/);
  assert.match(
    failed.stdout,
    new RegExp(`output: not written: ${out.replaceAll('.', '\\.')} could not be written: .*`),
  );
  assert.match(failed.stdout, /resume: every answer is in the run state .*run the same command again/);
  assert.equal(sim.stats().requests, 300);
  const status = await runCli(['status', join(dir, '.llmap', 'triage.parquet'), '--no-poll'], env);
  assert.match(status.stdout, /stopped \(output not written: /);

  rmdirSync(out);
  sim.resetStats();
  const again = await runCli(triage(input, out), env);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(sim.stats().requests, 0, 'no request was sent again');
  assert.match(again.stdout, /300 from the run state · 0 from the cache · 0 asked/);
  const rows = await duckdbRows(`SELECT ticket_id, _status FROM '${out}'`);
  assert.equal(rows.length, 300);
  assert.ok(rows.every((r) => r['_status'] === 'ok'));
});
