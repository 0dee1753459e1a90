import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InputError } from '../job/input-error.js';
import { openDuckDB, type DuckDB } from './duckdb.js';
import { openTable, type Row } from './read-table.js';
import { fileInput } from './table-input.js';

describe('reading tables through DuckDB', () => {
  let db: DuckDB;
  const dir = mkdtempSync(join(tmpdir(), 'llmap-read-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const readAll = async (source: Awaited<ReturnType<typeof openTable>>) => {
    const rows: Row[] = [];
    for await (const batch of source.batches()) rows.push(...batch);
    return rows;
  };

  before(async () => (db = await openDuckDB()));
  after(() => db.close());

  test('a CSV streams in order with typed columns and quoted fields intact', async () => {
    const path = file('a.csv', 'id,text,score\n1,"hello, ""world""",0.5\n2,"two\nlines",\n');
    const source = await openTable(db, fileInput(path));
    assert.deepEqual(source.columns, [
      { name: 'id', type: 'BIGINT' },
      { name: 'text', type: 'VARCHAR' },
      { name: 'score', type: 'DOUBLE' },
    ]);
    assert.equal(source.rowCount, 2);
    assert.deepEqual(await readAll(source), [
      { id: '1', text: 'hello, "world"', score: 0.5 },
      { id: '2', text: 'two\nlines', score: null },
    ]);
  });

  test('JSONL and TSV are read by extension', async () => {
    const jsonl = await openTable(db, fileInput(file('b.jsonl', '{"q":"a","n":1}\n{"q":"b","n":2}\n')));
    assert.deepEqual(await readAll(jsonl), [
      { q: 'a', n: '1' },
      { q: 'b', n: '2' },
    ]);
    const tsv = await openTable(db, fileInput(file('c.tsv', 'q\tn\nx y\t3\n')));
    assert.deepEqual(await readAll(tsv), [{ q: 'x y', n: '3' }]);
  });

  test('a SQL query is a source', async () => {
    const path = file('d.csv', 'id,lang\n1,en\n2,fr\n3,en\n');
    const source = await openTable(db, { kind: 'sql', sql: `SELECT id FROM '${path}' WHERE lang = 'en'` });
    assert.deepEqual(await readAll(source), [{ id: '1' }, { id: '3' }]);
  });

  test('a malformed CSV line is an input error naming the line, before any row is handed on', async () => {
    const lines = ['a,b'];
    for (let i = 0; i < 5000; i++) lines.push(`${i},x`);
    lines.push('1,2,3,4');
    const path = file('bad.csv', lines.join('\n') + '\n');
    await assert.rejects(
      openTable(db, fileInput(path)),
      (error: unknown) => InputError.isInstance(error) && /bad\.csv.*Line: 5002/.test(error.message),
    );
  });

  test('a value that cannot convert far down the file is caught by the first scan', async () => {
    const lines = ['id'];
    for (let i = 0; i < 30_000; i++) lines.push(String(i));
    lines.push('not-a-number');
    const path = file('late.csv', lines.join('\n') + '\n');
    await assert.rejects(openTable(db, fileInput(path)), /cannot read input .*late\.csv.*not-a-number/s);
  });

  test('an empty input is an input error', async () => {
    await assert.rejects(openTable(db, fileInput(file('empty.csv', 'a,b\n'))), /input .*empty\.csv has no rows/);
  });

  test('a missing file and an unknown extension are input errors', () => {
    assert.throws(() => fileInput(join(dir, 'nope.csv')), /input file not found: .*nope\.csv/);
    assert.throws(() => fileInput(file('x.xlsx', '')), /cannot tell the format of input .*x\.xlsx/);
  });
});
