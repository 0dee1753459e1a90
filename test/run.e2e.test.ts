// `llmap run` end to end: the real CLI, real files, real DuckDB, against the provider simulator.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { startSim, type SimServer } from '../src/sim/index.js';
import { duckdbRun, readColumnTypes, readRows, runCli, tempDir, writeReviewsCsv } from './helpers.js';

const SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    rating: { type: 'integer', minimum: 1, maximum: 5 },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    mentions_defect: { type: 'boolean' },
    aspects: { type: 'array', items: { type: 'string', maxLength: 20 }, maxItems: 3 },
    product: {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 30 }, category: { type: 'string', maxLength: 30 } },
      required: ['name', 'category'],
      additionalProperties: false,
    },
  },
  required: ['sentiment', 'rating', 'confidence', 'mentions_defect', 'aspects', 'product'],
  additionalProperties: false,
};
const ANSWER_FIELDS = Object.keys(SCHEMA.properties);
const PROMPT =
  '---\nsystem: You label product reviews.\ntemperature: 0\n---\nLabel this review ({{stars}} stars): {{text}}';

/** The answer part of an output row, as an object to validate against the schema. */
function answerOf(row: Record<string, unknown>): Record<string, unknown> {
  // BIGINT comes back from DuckDB's JSON form as a string.
  return Object.fromEntries(ANSWER_FIELDS.map((name) => [name, name === 'rating' ? Number(row[name]) : row[name]]));
}

describe('llmap run against llmap sim', () => {
  const dir = tempDir('run');
  const schemaPath = join(dir, 'review.schema.json');
  const promptPath = join(dir, 'label.md');
  writeFileSync(schemaPath, JSON.stringify(SCHEMA));
  writeFileSync(promptPath, PROMPT);
  const validate = new Ajv().compile(SCHEMA);
  let sim: SimServer;
  let csv2k: string;
  before(async () => {
    sim = await startSim({ port: 0 });
    csv2k = await writeReviewsCsv(join(dir, 'reviews.csv'), 2000);
  });
  after(() => sim.close());

  const runArgs = (input: string, out: string, ...extra: string[]) => [
    'run',
    input,
    '-p',
    promptPath,
    '-s',
    schemaPath,
    '-m',
    'openai:gpt-4o-mini',
    '--base-url',
    `${sim.url}/v1`,
    '-o',
    out,
    ...extra,
  ];

  test('CSV in, Parquet out: input columns, typed answer columns, audit columns, input order, all ok', async () => {
    const out = join(dir, 'reviews.parquet');
    const result = await runCli(runArgs(csv2k, out));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /2,000 of 2,000 rows written/);
    assert.match(result.stdout, /ok 2,000 · failed 0 · invalid 0/);
    // OpenAI's strict mode cannot enforce maxLength: said before the run, and still checked locally.
    assert.match(
      result.stderr,
      /warning: openai cannot enforce these parts of .*review\.schema\.json while decoding; .*: \/properties\/aspects\/items\/maxLength, \/properties\/product\/properties\/name\/maxLength/,
    );

    assert.deepEqual(await readColumnTypes(out), {
      id: 'BIGINT',
      text: 'VARCHAR',
      stars: 'BIGINT',
      sentiment: 'VARCHAR',
      rating: 'BIGINT',
      confidence: 'DOUBLE',
      mentions_defect: 'BOOLEAN',
      aspects: 'VARCHAR[]',
      product: 'STRUCT("name" VARCHAR, category VARCHAR)',
      _status: 'VARCHAR',
      _error: 'VARCHAR',
      _row_id: 'VARCHAR',
      _attempts: 'INTEGER',
      _latency_ms: 'BIGINT',
      _input_tokens: 'BIGINT',
      _output_tokens: 'BIGINT',
      _model: 'VARCHAR',
      _cached: 'BOOLEAN',
      _request_key: 'VARCHAR',
      _prompt_hash: 'VARCHAR',
      _provider_request_id: 'VARCHAR',
      _finished_at: 'TIMESTAMP',
    });
    const rows = await readRows(out);
    assert.equal(rows.length, 2000);
    assert.deepEqual(
      rows.map((r) => Number(r['id'])),
      Array.from({ length: 2000 }, (_, i) => i),
    );
    for (const row of rows) {
      assert.equal(row['_status'], 'ok');
      assert.equal(row['_error'], null);
      assert.equal(row['_attempts'], 1);
      assert.equal(row['_model'], 'gpt-4o-mini');
      assert.equal(row['_cached'], false);
      assert.match(String(row['_request_key']), /^[0-9a-f]{64}$/);
      assert.match(String(row['_prompt_hash']), /^[0-9a-f]{16}$/);
      assert.match(String(row['_provider_request_id']), /^req_/);
      assert.ok(Math.abs(Date.parse(String(row['_finished_at']) + 'Z') - Date.now()) < 60_000);
      assert.ok(Number(row['_input_tokens']) > 0 && Number(row['_output_tokens']) > 0);
      assert.ok(validate(answerOf(row)), JSON.stringify(validate.errors));
    }
    assert.equal(existsSync(`${out}.quarantine.jsonl`), false);
  });

  test('JSONL in, JSONL out, with no schema: one answer column of text', async () => {
    const input = join(dir, 'questions.jsonl');
    writeFileSync(input, ['{"q":"What is a lake?"}', '{"q":"Why is the sky blue?"}', '{"q":null}'].join('\n') + '\n');
    const out = join(dir, 'answers.jsonl');
    const result = await runCli([
      'run',
      input,
      '-p',
      'Answer briefly: {{ q | default: "nothing" }}',
      '-m',
      'openai:m',
      '--base-url',
      `${sim.url}/v1`,
      '-o',
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      rows.map((r) => Object.keys(r)),
      Array(3).fill([
        'q',
        'answer',
        '_status',
        '_error',
        '_row_id',
        '_attempts',
        '_latency_ms',
        '_input_tokens',
        '_output_tokens',
        '_model',
        '_cached',
        '_request_key',
        '_prompt_hash',
        '_provider_request_id',
        '_finished_at',
      ]),
    );
    assert.deepEqual(
      rows.map((r) => r['q']),
      ['What is a lake?', 'Why is the sky blue?', null],
    );
    for (const row of rows) {
      assert.equal(typeof row['answer'], 'string');
      assert.ok((row['answer'] as string).length > 0);
    }
  });

  test('Parquet in, CSV out: nested answers become JSON text', async () => {
    const parquetIn = join(dir, 'small.parquet');
    await duckdbRun(`COPY (SELECT id, text, stars FROM '${csv2k}' WHERE id < 50) TO '${parquetIn}' (FORMAT parquet)`);
    const out = join(dir, 'small.csv');
    const result = await runCli(runArgs(parquetIn, out));
    assert.equal(result.code, 0, result.stderr);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, 51);
    assert.equal(
      lines[0],
      'id,text,stars,sentiment,rating,confidence,mentions_defect,aspects,product,' +
        '_status,_error,_row_id,_attempts,_latency_ms,_input_tokens,_output_tokens,_model,' +
        '_cached,_request_key,_prompt_hash,_provider_request_id,_finished_at',
    );
    const rows = await readRows(out);
    for (const row of rows) {
      assert.ok(Array.isArray(JSON.parse(String(row['aspects']))));
      const product = JSON.parse(String(row['product'])) as Record<string, unknown>;
      assert.deepEqual(Object.keys(product).sort(), ['category', 'name']);
    }
  });

  test('a glob of CSV files is one table, read in file order', async () => {
    const parts = tempDir('glob');
    writeFileSync(join(parts, 'part-1.csv'), 'id,text,stars\n1,first,5\n2,second,4\n');
    writeFileSync(join(parts, 'part-2.csv'), 'id,text,stars\n3,third,3\n');
    const out = join(parts, 'all.jsonl');
    const result = await runCli(runArgs(join(parts, 'part-*.csv'), out));
    assert.equal(result.code, 0, result.stderr);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      rows.map((r) => [r['id'], r['text'], r['_status']]),
      [
        [1, 'first', 'ok'],
        [2, 'second', 'ok'],
        [3, 'third', 'ok'],
      ],
    );
  });
});
