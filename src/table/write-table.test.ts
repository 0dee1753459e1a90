import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { OutputColumn } from '../output/answer-columns.js';
import { describeRelation, openDuckDB, type DuckDB } from './duckdb.js';
import { RowWidths } from './row-widths.js';
import { createTableWriter, planWrite } from './write-table.js';

/** The triage job's output columns: the ticket, the answer (with its `tags` list) and the audit columns. */
const ticketColumns: OutputColumn[] = [
  ['ticket_id', 'VARCHAR'],
  ['created_at', 'TIMESTAMP'],
  ['channel', 'VARCHAR'],
  ['customer_tier', 'VARCHAR'],
  ['subject', 'VARCHAR'],
  ['body', 'VARCHAR'],
  ['category', 'VARCHAR'],
  ['urgency', 'VARCHAR'],
  ['sentiment', 'VARCHAR'],
  ['contains_pii', 'BOOLEAN'],
  ['summary', 'VARCHAR'],
  ['tags', 'VARCHAR[]'],
  ['_status', 'VARCHAR'],
  ['_error', 'VARCHAR'],
  ['_row_id', 'VARCHAR'],
  ['_attempts', 'INTEGER'],
  ['_latency_ms', 'BIGINT'],
  ['_input_tokens', 'BIGINT'],
  ['_output_tokens', 'BIGINT'],
  ['_model', 'VARCHAR'],
  ['_cached', 'BOOLEAN'],
  ['_request_key', 'VARCHAR'],
  ['_prompt_hash', 'VARCHAR'],
  ['_provider_request_id', 'VARCHAR'],
  ['_finished_at', 'TIMESTAMP'],
].map(([name, type]) => ({ name: name!, type: type!, nested: type!.endsWith('[]') }));

const WORDS = ['login', 'invoice', 'refund', 'router', 'sync', 'übersetzung', 'délai', '配送', 'password', 'export'];

/** A row of the triage job's output as it is staged (~900 bytes of JSON): varied, non-ASCII text, a list. */
function ticketRow(i: number): Record<string, unknown> {
  const word = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length]!;
  const hex = (seed: number, length: number) => ((seed + 1) * 2654435761).toString(16).repeat(8).slice(0, length);
  return {
    ticket_id: `T-${i}`,
    created_at: '2026-09-17 12:21:56',
    channel: ['email', 'chat', 'phone'][i % 3],
    customer_tier: ['free', 'pro', 'enterprise'][i % 3],
    subject: `${word(1)} ${word(2)} problem`,
    body: `Hello, my ${word(3)} has failed since ${word(4)} — ${'again and again, '.repeat(10)} (ref ${i})`,
    category: ['billing', 'bug', 'account'][i % 3],
    urgency: ['low', 'medium', 'high'][i % 3],
    sentiment: ['negative', 'neutral', 'positive'][i % 3],
    contains_pii: i % 2 === 0,
    summary: `${word(5)} ${word(6)}`,
    tags: Array.from({ length: i % 5 }, (_, k) => word(k + 7)),
    _status: 'ok',
    _error: null,
    _row_id: hex(i, 32),
    _attempts: 1,
    _latency_ms: i % 500,
    _input_tokens: 100 + (i % 50),
    _output_tokens: 30 + (i % 9),
    _model: 'gpt-4o-mini',
    _cached: false,
    _request_key: hex(i * 3, 64),
    _prompt_hash: hex(i * 5, 16),
    _provider_request_id: `req_sim${String(i).padStart(24, '0')}`,
    _finished_at: '2026-12-01T20:22:28.503Z',
  };
}

const MiB = 1024 * 1024;

/** Widths of `rows` rows of `bytes` bytes each. */
function uniformWidths(rows: number, bytes: number): RowWidths {
  const widths = new RowWidths();
  for (let i = 0; i < rows; i++) widths.add(bytes);
  return widths;
}

const columns: OutputColumn[] = [
  { name: 'id', type: 'BIGINT', nested: false },
  { name: 'label', type: 'VARCHAR', nested: false },
  { name: 'tags', type: 'VARCHAR[]', nested: true },
  { name: 'where', type: 'STRUCT("city" VARCHAR)', nested: true },
];
const rows = [
  { id: '1', label: 'a', tags: ['x', 'y'], where: { city: 'Oslo' } },
  { id: '2', label: null, tags: null },
];

describe('writing the output table', () => {
  let db: DuckDB;
  const dir = mkdtempSync(join(tmpdir(), 'llmap-write-'));
  before(async () => (db = await openDuckDB()));
  after(() => db.close());

  test('Parquet keeps the column types, including LIST and STRUCT', async () => {
    const path = join(dir, 'out.parquet');
    const writer = createTableWriter({ path, format: 'parquet', columns });
    for (const row of rows) writer.append(row);
    assert.equal(existsSync(path), false, 'the final name appears only when complete');
    await writer.finish(db);
    assert.deepEqual(
      (await describeRelation(db, `'${path}'`)).map((c) => `${c.name} ${c.type}`),
      ['id BIGINT', 'label VARCHAR', 'tags VARCHAR[]', 'where STRUCT(city VARCHAR)'],
    );
    const read = await db.connection.runAndReadAll(`SELECT * FROM '${path}'`);
    assert.deepEqual(read.getRowObjectsJson(), [
      { id: '1', label: 'a', tags: ['x', 'y'], where: { city: 'Oslo' } },
      { id: '2', label: null, tags: null, where: null },
    ]);
    assert.deepEqual(readdirSync(dir), ['out.parquet'], 'no staging or temporary file is left behind');
  });

  test('CSV writes nested values as JSON text', async () => {
    const path = join(dir, 'out.csv');
    const writer = createTableWriter({ path, format: 'csv', columns });
    for (const row of rows) writer.append(row);
    await writer.finish(db);
    assert.equal(readFileSync(path, 'utf8'), 'id,label,tags,where\n1,a,"[""x"",""y""]","{""city"":""Oslo""}"\n2,,,\n');
  });

  test('JSONL writes one object per row with nested values as JSON', async () => {
    const path = join(dir, 'out.jsonl');
    const writer = createTableWriter({ path, format: 'jsonl', columns });
    for (const row of rows) writer.append(row);
    await writer.finish(db);
    assert.deepEqual(
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
      [
        { id: 1, label: 'a', tags: ['x', 'y'], where: { city: 'Oslo' } },
        { id: 2, label: null, tags: null, where: null },
      ],
    );
  });

  test('an aborted write leaves nothing behind', () => {
    const sub = mkdtempSync(join(dir, 'abort-'));
    const writer = createTableWriter({ path: join(sub, 'x.parquet'), format: 'parquet', columns });
    writer.append(rows[0]!);
    writer.abort();
    assert.deepEqual(readdirSync(sub), []);
  });

  test('20,480 tickets with a tags list (18 MB staged) are written in order, in row groups sized from their width', async () => {
    const path = join(dir, 'tickets.parquet');
    const writer = createTableWriter({ path, format: 'parquet', columns: ticketColumns });
    for (let i = 0; i < 20_480; i++) writer.append(ticketRow(i));
    await writer.finish(db);
    assert.deepEqual(writer.notes, [], 'the first write fitted');
    const read = await db.connection.runAndReadAll(
      `SELECT * EXCLUDE (created_at, _finished_at, rn) FROM (SELECT *, row_number() OVER () - 1 AS rn FROM '${path}')
       WHERE rn IN (0, 1, 4, 12345, 20479) OR ticket_id <> 'T-' || rn`,
    );
    assert.deepEqual(
      read.getRowObjectsJson(),
      [0, 1, 4, 12345, 20479].map((i) => {
        const { created_at: _createdAt, _finished_at, ...row } = ticketRow(i);
        // DuckDB's JSON form gives BIGINT as text.
        for (const name of ['_latency_ms', '_input_tokens', '_output_tokens']) row[name] = String(row[name]);
        return row;
      }),
      'every row is in input order, whole',
    );
    const groups = await db.connection.runAndReadAll(
      `SELECT DISTINCT row_group_num_rows FROM parquet_metadata('${path}') ORDER BY 1 DESC`,
    );
    // 8 MiB of staged JSON a group: 6,144 of these rows, not the 20,480 a narrow row gets.
    assert.deepEqual(groups.getRowsJson(), [['6144'], ['2048']]);
  });

  test('JSONL of 4,000 long documents (6 KB of mixed-script text each) is written whole', async () => {
    const path = join(dir, 'documents.jsonl');
    const documentColumns: OutputColumn[] = [
      { name: 'id', type: 'BIGINT', nested: false },
      { name: 'document', type: 'VARCHAR', nested: false },
      { name: 'tags', type: 'VARCHAR[]', nested: true },
    ];
    const paragraph = 'Le contrat prévoit une résiliation à tout moment — 解約はいつでも可能です. ';
    const document = (i: number) => `${i}: ${paragraph.repeat(80)}`;
    const writer = createTableWriter({ path, format: 'jsonl', columns: documentColumns });
    for (let i = 0; i < 4000; i++) writer.append({ id: i, document: document(i), tags: ['contract', String(i % 7)] });
    await writer.finish(db);
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines.length, 4000);
    for (const i of [0, 1234, 3999]) {
      assert.deepEqual(JSON.parse(lines[i]!), { id: i, document: document(i), tags: ['contract', String(i % 7)] });
    }
  });

  test('a memory shortfall is retried with smaller row groups and more room, and says so', async () => {
    const path = join(dir, 'short.parquet');
    // A first limit too small for any group: the first write fails for want of memory, the retry fits.
    const writer = createTableWriter({ path, format: 'parquet', columns: ticketColumns, memoryLimitBytes: 40 * MiB });
    for (let i = 0; i < 20_480; i++) writer.append(ticketRow(i));
    await writer.finish(db);
    assert.equal(writer.notes.length, 1);
    assert.match(
      writer.notes[0]!,
      /ran short of memory \(Out of Memory Error: .*\) and wrote the file again with smaller row groups and up to \d+ MiB/,
    );
    const read = await db.connection.runAndReadAll(
      `SELECT count(*), max(row_group_num_rows) FROM parquet_metadata('${path}')`,
    );
    const [groups, largest] = read.getRowsJson()[0] as [string, string];
    assert.ok(Number(largest) <= 2048, `groups of ${largest} rows`);
    assert.ok(Number(groups) >= 10 * ticketColumns.length);
    assert.equal((await db.connection.runAndReadAll(`SELECT count(*) FROM '${path}'`)).getRowsJson()[0]![0], '20480');
    const setting = await db.connection.runAndReadAll(`SELECT current_setting('memory_limit')`);
    assert.notEqual(setting.getRowsJson()[0]![0], '40.0 MiB', "the job's own limit is restored");
  });

  test('finish writes to the path it is given (a partial file) and leaves nothing else', async () => {
    const sub = mkdtempSync(join(dir, 'elsewhere-'));
    const writer = createTableWriter({ path: join(sub, 'out.parquet'), format: 'parquet', columns });
    for (const row of rows) writer.append(row);
    assert.equal(await writer.finish(db, join(sub, 'out.partial.parquet')), join(sub, 'out.partial.parquet'));
    assert.deepEqual(readdirSync(sub), ['out.partial.parquet']);
  });

  test('a write that fails for another reason fails, leaving no staging or temporary file', async () => {
    const sub = mkdtempSync(join(dir, 'clash-'));
    const path = join(sub, 'out.parquet');
    mkdirSync(path); // a folder where the file should go: the rename cannot replace it
    const writer = createTableWriter({ path, format: 'parquet', columns });
    for (const row of rows) writer.append(row);
    await assert.rejects(writer.finish(db), /EISDIR|directory/);
    assert.deepEqual(readdirSync(sub), ['out.parquet']);
  });
});

describe('planning the final write from the widths of the rows', () => {
  const ceiling = 16 * 1024 * MiB;

  test('row groups hold at most 8 MiB of staged JSON, in whole chunks of 2,048 rows, and at most 20,480 rows', () => {
    const groups = (bytes: number) =>
      planWrite(uniformWidths(100_000, bytes), { format: 'parquet', columns: 25, memoryCeiling: ceiling });
    assert.equal(groups(150).rowGroupRows, 20_480);
    assert.equal(groups(400).rowGroupRows, 18_432);
    assert.equal(groups(860).rowGroupRows, 6144);
    assert.equal(groups(1500).rowGroupRows, 2048);
    for (const bytes of [150, 400, 860, 1500]) {
      // A group holds up to a chunk more than its size, since DuckDB closes it at the chunk that reaches it.
      assert.ok((groups(bytes).rowGroupRows + 2047) * bytes <= 8 * MiB, `${bytes}-byte rows`);
    }
    // 6 KB texts, 1,536-float vectors: a group per chunk the reader gives.
    assert.equal(groups(6000).rowGroupRows, 1);
    assert.equal(groups(32_000).rowGroupRows, 1);
  });

  test('the memory limit grows with the width of the rows and their columns, never with their number', () => {
    const limit = (rows: number, bytes: number, format: 'parquet' | 'jsonl' = 'parquet') =>
      planWrite(uniformWidths(rows, bytes), { format, columns: 25, memoryCeiling: ceiling }).memoryLimitBytes;
    assert.equal(limit(100_000, 860), limit(1_000_000, 860));
    assert.ok(limit(100_000, 860) < 128 * MiB, `${limit(100_000, 860) / MiB} MiB for tickets`);
    assert.ok(limit(100_000, 32_000) > limit(100_000, 860));
    assert.ok(limit(100_000, 6000, 'jsonl') > limit(100_000, 860, 'jsonl'));
    const columns = (n: number) =>
      planWrite(uniformWidths(1000, 860), { format: 'jsonl', columns: n, memoryCeiling: ceiling }).memoryLimitBytes;
    assert.ok(columns(200) > columns(25));
  });

  test('a retry writes a group per chunk with twice the memory, within the ceiling', () => {
    const widths = uniformWidths(100_000, 860);
    const plan = (attempt: number, memoryCeiling = ceiling) =>
      planWrite(widths, { format: 'parquet', columns: 25, memoryCeiling, attempt });
    const first = plan(0);
    const second = plan(1);
    assert.equal(second.rowGroupRows, 1);
    assert.ok(second.memoryLimitBytes > first.memoryLimitBytes);
    assert.equal(plan(2).memoryLimitBytes, 2 * second.memoryLimitBytes);
    assert.equal(plan(2, 100 * MiB).memoryLimitBytes, 100 * MiB);
  });

  test('a row wider than 16 MiB raises what the reader accepts', () => {
    const widths = uniformWidths(10, 1000);
    widths.add(40 * MiB);
    assert.equal(planWrite(widths, { format: 'jsonl', columns: 3 }).maxObjectBytes, 40 * MiB + 1);
    assert.equal(planWrite(uniformWidths(10, 1000), { format: 'jsonl', columns: 3 }).maxObjectBytes, 16 * MiB);
  });
});
