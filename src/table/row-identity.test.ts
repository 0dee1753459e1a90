import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InputError } from '../job/input-error.js';
import { describeRelation, openDuckDB, type DuckDB } from './duckdb.js';
import { checkIdColumn, rowIdentity } from './row-identity.js';
import { fileInput, relationSql } from './table-input.js';

describe('row identity', () => {
  test('without an id column, equal rows share an id and different rows do not', () => {
    const idOf = rowIdentity(undefined);
    const rows = [
      { id: '1', text: 'hello', score: 0.5 },
      { id: '1', text: 'hello', score: 0.5 },
      { id: '1', text: 'hello', score: null },
      { id: '1', text: 'Hello', score: 0.5 },
      { id: 1, text: 'hello', score: 0.5 },
    ];
    const ids = rows.map(idOf);
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(ids[0], ids[1]);
    assert.equal(new Set(ids).size, 4);
  });

  test('with an id column, the id is the cell as text', () => {
    const idOf = rowIdentity('id');
    assert.deepEqual(
      [
        idOf({ id: 'abc', text: 'x' }),
        idOf({ id: '9007199254740993', text: 'x' }),
        idOf({ id: 42, text: 'x' }),
        idOf({ id: 1.5, text: 'x' }),
        idOf({ id: true }),
      ],
      ['abc', '9007199254740993', '42', '1.5', 'true'],
    );
    assert.equal(idOf({ id: 'abc', text: 'x' }), idOf({ id: 'abc', text: 'other' }));
  });
});

describe('checking an id column', () => {
  let db: DuckDB;
  const dir = mkdtempSync(join(tmpdir(), 'llmap-rowid-'));
  /** Writes a CSV and checks `idColumn` of it as the reader would. */
  const check = async (name: string, text: string, idColumn: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    const relation = relationSql(fileInput(path));
    await checkIdColumn(db, relation, await describeRelation(db, relation), idColumn, path);
    return path;
  };
  const inputError = (pattern: RegExp) => (error: unknown) =>
    InputError.isInstance(error) && pattern.test(error.message);

  before(async () => (db = await openDuckDB()));
  after(() => db.close());

  test('a unique id column is accepted, text or number', async () => {
    await check('text.csv', 'key,q\na,x\nb,x\nc,y\n', 'key');
    await check('number.csv', 'id,q\n1,x\n2,x\n10,y\n', 'id');
  });

  test('a missing id column is refused with the columns there are', async () => {
    await assert.rejects(
      check('missing.csv', 'id,question\n1,x\n', 'ID'),
      inputError(/^--id ID: input .*missing\.csv has no such column; its columns are id, question$/),
    );
  });

  test('empty ids are refused with their count', async () => {
    await assert.rejects(
      check('nulls.csv', 'id,q\n1,x\n,y\n3,z\n,w\n', 'id'),
      inputError(/^--id id: 2 row\(s\) of .*nulls\.csv have no value in the id column$/),
    );
  });

  test('repeated ids are refused, naming the repeated values with their counts', async () => {
    await assert.rejects(
      check('repeats.csv', 'id,q\n7,a\n8,b\n7,c\n9,d\n9,e\n7,f\n', 'id'),
      inputError(/^--id id is not unique in .*repeats\.csv: "7" \(3 rows\), "9" \(2 rows\); an id must name one row/),
    );
  });

  test('more than five repeated ids are listed as the first five and an ellipsis', async () => {
    const lines = ['id'];
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) lines.push(id, id);
    await assert.rejects(
      check('many.csv', lines.join('\n') + '\n', 'id'),
      inputError(/: "a" \(2 rows\), "b" \(2 rows\), "c" \(2 rows\), "d" \(2 rows\), "e" \(2 rows\), \.\.\.; /),
    );
  });

  test('an id column named n is checked on its repeats, not its values', async () => {
    await check('n-unique.csv', 'n,q\n2,a\n3,b\n', 'n');
    await assert.rejects(check('n-repeats.csv', 'n,q\n1,a\n1,b\n', 'n'), inputError(/not unique/));
  });
});
