// Fault injection end to end: 5xx, malformed answers, timeouts and truncated bodies never produce a broken answer
// marked ok, and every row ends ok or with a recorded reason.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { startSim, type SimServer } from '../src/sim/index.js';
import { readRows, runCli, tempDir, writeReviewsCsv } from './helpers.js';

const SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    score: { type: 'integer', minimum: 1, maximum: 5 },
  },
  required: ['sentiment', 'score'],
  additionalProperties: false,
};

describe('llmap run under injected faults', () => {
  const dir = tempDir('faults');
  const schemaPath = join(dir, 'schema.json');
  writeFileSync(schemaPath, JSON.stringify(SCHEMA));
  const validate = new Ajv().compile(SCHEMA);
  let input: string;
  before(async () => (input = await writeReviewsCsv(join(dir, 'in.csv'), 3000)));

  describe('5% server errors and 2% malformed answers', () => {
    let sim: SimServer;
    before(async () => (sim = await startSim({ port: 0, errorRate: 0.05, malformedRate: 0.02, seed: 7 })));
    after(() => sim.close());

    test('every row is ok or failed/invalid with a reason; no invalid answer is ok; invalid rows are quarantined', async () => {
      const out = join(dir, 'faults.parquet');
      const result = await runCli([
        'run',
        input,
        '-p',
        'Rate: {{text}}',
        '-s',
        schemaPath,
        '-m',
        'openai:m',
        '--base-url',
        `${sim.url}/v1`,
        '-o',
        out,
        '--max-attempts',
        '2',
      ]);
      const rows = await readRows(out);
      assert.equal(rows.length, 3000);
      const byStatus = { ok: 0, failed: 0, invalid: 0 } as Record<string, number>;
      for (const row of rows) {
        const status = String(row['_status']);
        byStatus[status] = (byStatus[status] ?? 0) + 1;
        if (status === 'ok') {
          assert.ok(
            validate({ sentiment: row['sentiment'], score: Number(row['score']) }),
            `row ${String(row['id'])} ok but invalid`,
          );
          assert.equal(row['_error'], null);
        } else {
          assert.ok(['failed', 'invalid'].includes(status));
          assert.ok(String(row['_error']).length > 0, `row ${String(row['id'])} has no reason`);
          assert.equal(row['sentiment'], null);
        }
      }
      // With two attempts, ~0.25% of rows exhaust retries on 5xx; malformed answers are mostly repaired.
      assert.ok(byStatus['ok']! > 2900, JSON.stringify(byStatus));
      assert.ok(sim.stats().faults.error > 50 && sim.stats().faults.malformed > 20, JSON.stringify(sim.stats().faults));
      assert.equal(result.code, byStatus['ok'] === 3000 ? 0 : 1, result.stderr);
      const retried = rows.filter((r) => Number(r['_attempts']) > 1).length;
      assert.ok(retried > 100, `expected retries to show in _attempts, got ${retried}`);

      const invalidIds = rows.filter((r) => r['_status'] === 'invalid').map((r) => Number(r['id']));
      if (invalidIds.length > 0) {
        const quarantined = readFileSync(`${out}.quarantine.jsonl`, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { row: number; raw: string; error: string });
        assert.deepEqual(
          quarantined.map((q) => q.row),
          invalidIds,
        );
        for (const q of quarantined) assert.ok(q.raw.length > 0 && q.error.length > 0);
      }
    });
  });

  describe('timeouts and truncated bodies', () => {
    let sim: SimServer;
    before(async () => (sim = await startSim({ port: 0, timeoutRate: 0.05, truncateRate: 0.05, seed: 3 })));
    after(() => sim.close());

    test('are retried: every row ends ok', async () => {
      const out = join(dir, 'timeouts.jsonl');
      const result = await runCli([
        'run',
        '--sql',
        `SELECT * FROM '${input}' LIMIT 300`,
        '-p',
        'Rate: {{text}}',
        '-s',
        schemaPath,
        '-m',
        'openai:m',
        '--base-url',
        `${sim.url}/v1`,
        '-o',
        out,
        '--timeout',
        '0.5',
        '--max-attempts',
        '6',
      ]);
      assert.equal(result.code, 0, result.stderr);
      const rows = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(rows.length, 300);
      assert.ok(rows.every((r) => r['_status'] === 'ok'));
      assert.ok(sim.stats().faults.timeout > 0 && sim.stats().faults.truncated > 0);
    });
  });
});
