// Ctrl-C stops dispatching, lets in-flight requests finish, writes what is done in order to the partial file (the
// output's own name is only ever a complete run's), and says so.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSim, type SimServer } from '../src/sim/index.js';
import { readRows, startCli, tempDir, writeReviewsCsv } from './helpers.js';

let sim: SimServer;
before(async () => (sim = await startSim({ port: 0, latencyMs: 100 })));
after(() => sim.close());

test('SIGINT: exit 130, the finished rows are written in input order to the partial file, the rest are not', async () => {
  const dir = tempDir('interrupt');
  const input = await writeReviewsCsv(join(dir, 'in.csv'), 5000);
  const out = join(dir, 'out.parquet');
  const running = startCli([
    'run',
    input,
    '-p',
    'x {{text}}',
    '-m',
    'openai:m',
    '--base-url',
    `${sim.url}/v1`,
    '-o',
    out,
    '--concurrency',
    '8',
  ]);
  while (sim.stats().requests < 40) await sleep(20);
  running.child.kill('SIGINT');
  const result = await running.done;
  assert.equal(result.code, 130, result.stderr);
  assert.match(result.stderr, /stopping: no new requests/);
  assert.match(result.stdout, /interrupted: [\d,]+ rows were not processed/);
  assert.equal(existsSync(out), false, 'no complete output: the run did not complete');
  const rows = await readRows(join(dir, 'out.partial.parquet'));
  assert.ok(rows.length >= 40 && rows.length < 5000, `wrote ${rows.length}`);
  assert.deepEqual(
    rows.map((r) => Number(r['id'])),
    Array.from({ length: rows.length }, (_, i) => i),
  );
  assert.ok(rows.every((r) => r['_status'] === 'ok'));
  assert.equal(sim.stats().byStatus['200'], rows.length, 'every answered request is in the output');
});
