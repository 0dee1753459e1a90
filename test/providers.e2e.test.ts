// Provider paths end to end: Anthropic Messages with a forced tool, replicas with one down, a rejected key.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { readRows, runCli, tempDir, writeReviewsCsv } from './helpers.js';

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { topic: { type: 'string', enum: ['defect', 'praise', 'other'] }, words: { type: 'integer' } },
  required: ['topic', 'words'],
});

describe('providers', () => {
  const dir = tempDir('providers');
  let input: string;
  let sim: SimServer;
  before(async () => {
    input = await writeReviewsCsv(join(dir, 'in.csv'), 400);
    sim = await startSim({ port: 0 });
  });
  after(() => sim.close());

  test('anthropic: answers come from a forced tool call and land in typed columns', async () => {
    const out = join(dir, 'anthropic.parquet');
    const result = await runCli(
      [
        'run',
        input,
        '-p',
        'Topic of: {{text}}',
        '-s',
        SCHEMA,
        '-m',
        'anthropic:claude-sonnet-4-5',
        '--base-url',
        sim.url,
        '-o',
        out,
      ],
      { ANTHROPIC_API_KEY: 'sk-ant-test' },
    );
    assert.equal(result.code, 0, result.stderr);
    const rows = await readRows(out);
    assert.equal(rows.length, 400);
    for (const row of rows) {
      assert.ok(['defect', 'praise', 'other'].includes(String(row['topic'])));
      assert.equal(typeof row['words'], 'string'); // BIGINT comes back from DuckDB's JSON form as a string
      assert.equal(row['_model'], 'claude-sonnet-4-5');
    }
  });

  test('replicas: requests spread over every healthy base URL; one that is down is avoided', async () => {
    const second = await startSim({ port: 0 });
    try {
      const out = join(dir, 'replicas.parquet');
      const result = await runCli([
        'run',
        input,
        '-p',
        'Topic of: {{text}}',
        '-s',
        SCHEMA,
        '-m',
        'openai:m',
        '-o',
        out,
        '--base-url',
        `${sim.url}/v1`,
        '--base-url',
        `${second.url}/v1`,
        '--base-url',
        'http://127.0.0.1:9/v1',
        '--max-attempts',
        '4',
      ]);
      assert.equal(result.code, 0, result.stderr);
      const rows = await readRows(out);
      assert.ok(rows.every((r) => r['_status'] === 'ok'));
      assert.ok(second.stats().requests > 100, `second replica got ${second.stats().requests}`);
    } finally {
      await second.close();
    }
  });

  test('a rejected key stops the run with exit 3 instead of failing every row', async () => {
    const locked = await startSim({ port: 0, apiKey: 'sk-right' });
    try {
      const out = join(dir, 'locked.parquet');
      const result = await runCli(
        [
          'run',
          input,
          '-p',
          'x {{text}}',
          '-m',
          'openai:m',
          '--base-url',
          `${locked.url}/v1`,
          '-o',
          out,
          '--concurrency',
          '4',
        ],
        { OPENAI_API_KEY: 'sk-wrong' },
      );
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stdout, /stopped: the provider refused the run: HTTP 401/);
      assert.ok(locked.stats().requests <= 8, `sent ${locked.stats().requests} requests after a 401`);
      assert.equal(result.stderr.includes('sk-wrong'), false);
    } finally {
      await locked.close();
    }
  });
});
