import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { OutputColumn } from '../output/answer-columns.js';
import { describeRelation, openDuckDB, type DuckDB } from './duckdb.js';
import { createTableWriter } from './write-table.js';

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
});
