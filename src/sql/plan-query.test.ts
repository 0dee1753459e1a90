import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDuckDB, type DuckDB } from '../table/duckdb.js';
import { planQuery } from './plan-query.js';

const SCHEMA =
  '{"type":"object","properties":{"label":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}}},"required":["label"]}';

describe('planQuery', () => {
  let db: DuckDB;
  before(async () => {
    db = await openDuckDB();
  });
  after(() => db.close());

  test('renames each llm_json call to the macro of its schema, one per distinct schema', async () => {
    const planned = await planQuery(
      db,
      `SELECT llm_json(a, schema := '${SCHEMA}').label, try_llm_json(b, schema := '${SCHEMA}'), ` +
        `llm_json(c, schema := '{"type":"object","properties":{"n":{"type":"integer"}}}') FROM t`,
    );
    assert.equal(planned.schemas.length, 2);
    assert.equal(planned.schemas[0]!.structure, '{"label":"VARCHAR","tags":["VARCHAR"]}');
    assert.match(planned.sql, /__llmap_json_0\(a, "?schema"? := /);
    assert.match(planned.sql, /__llmap_try_json_0\(b, /);
    assert.match(planned.sql, /__llmap_json_1\(c, /);
    assert.deepEqual(new Set(planned.functions), new Set(['llm_json', 'try_llm_json']));
  });

  test('a query with nothing to change runs as written', async () => {
    const sql = `SELECT llm(body, model := 'openai:gpt-4o-mini') FROM 'tickets.csv' WHERE id > 3`;
    assert.equal((await planQuery(db, sql)).sql, sql);
  });

  test('keeps non-ASCII text and integers past 2^53 as written', async () => {
    const planned = await planQuery(
      db,
      `SELECT 'Zoë ✓ — 東京' AS s, 12345678901234567890 AS n, llm_json(s, schema := '${SCHEMA}') FROM t`,
    );
    assert.match(planned.sql, /'Zoë ✓ — 東京' AS s, 12345678901234567890 AS n, __llmap_json_0\(/);
  });

  test('a condition mixing plain terms and LLM calls has the same value for every input, NULLs included', async () => {
    // A stand-in for the LLM function, so both forms can be evaluated here.
    await db.connection.run(`CREATE OR REPLACE MACRO llm_filter(p) AS p = 'yes'`);
    await db.connection.run(
      `CREATE OR REPLACE TABLE truth AS SELECT a, b, c FROM (VALUES (true), (false), (NULL)) x(a), ` +
        `(VALUES ('yes'), ('no'), (NULL)) y(b), (VALUES (1), (2), (NULL)) z(c)`,
    );
    for (const expression of [
      'a AND llm_filter(b)',
      'llm_filter(b) OR a',
      'a AND c = 1 AND llm_filter(b)',
      '(a OR c = 2) AND NOT llm_filter(b)',
    ]) {
      const sql = `SELECT a, b, c, (${expression}) AS v FROM truth ORDER BY ALL`;
      const planned = await planQuery(db, sql);
      assert.match(planned.sql, /CASE\s+WHEN/, expression);
      const original = (await db.connection.runAndReadAll(sql)).getRowsJson();
      const guarded = (await db.connection.runAndReadAll(planned.sql)).getRowsJson();
      assert.deepEqual(guarded, original, expression);
    }
  });

  test('refuses what it cannot run, before anything is sent', async () => {
    await assert.rejects(planQuery(db, 'INSERT INTO t VALUES (1)'), /runs one SELECT/);
    await assert.rejects(planQuery(db, 'SELECT 1; SELECT 2'), /runs one query; this text holds 2/);
    await assert.rejects(planQuery(db, 'SELEC 1'), /does not parse: syntax error at or near "SELEC"/);
    await assert.rejects(planQuery(db, 'SELECT llm_json(x) FROM t'), /needs its schema as a constant/);
    await assert.rejects(planQuery(db, 'SELECT llm_json(x, schema := y) FROM t'), /needs its schema as a constant/);
    await assert.rejects(planQuery(db, `SELECT llm_json(x, schema := '{"type":"string"}') FROM t`), /JSON Schema/);
  });
});
