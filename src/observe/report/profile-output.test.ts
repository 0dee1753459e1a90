// What the report shows of each answer column, read from outputs of the shapes users have: enums and booleans as
// shares, numbers as histograms, free text as lengths, lists as sizes, a nested object field by field, the same from
// a CSV output (nested columns as JSON text), and null answers counted, not dropped.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeRelation, openDuckDB } from '../../table/duckdb.js';
import { profileOutput, type ColumnProfile } from './profile-output.js';

const SCHEMA = {
  type: 'object',
  properties: {
    label: { type: 'string', enum: ['bug', 'billing', 'other'] },
    urgent: { type: 'boolean' },
    score: { type: ['integer', 'null'] },
    summary: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    detail: {
      type: 'object',
      properties: { lang: { type: 'string' }, words: { type: 'integer' } },
    },
  },
};

/** 40 rows: 30 ok, 10 failed (not profiled, but counted by status). */
const OUTPUT = `(SELECT
    ['bug', 'billing', 'other'][1 + i % 3] AS label,
    i % 4 = 0 AS urgent,
    CASE WHEN i % 10 = 9 THEN NULL ELSE i % 5 END AS score,
    'Résumé ✓ ' || repeat('é', i) AS summary,
    CASE WHEN i % 2 = 0 THEN ['a', 'b'] ELSE ['c'] END AS tags,
    {'lang': ['fr', 'de'][1 + i % 2], 'words': i} AS detail,
    CASE WHEN i < 30 THEN 'ok' ELSE 'failed' END AS _status
  FROM range(40) r(i))`;

const byName = (columns: readonly ColumnProfile[]) => Object.fromEntries(columns.map((c) => [c.name, c]));

describe('profileOutput', () => {
  test('each answer column and nested field, over the rows that ended ok', async () => {
    const db = await openDuckDB();
    try {
      await db.connection.run(`CREATE TABLE out AS SELECT * FROM ${OUTPUT}`);
      const columns = await describeRelation(db, 'out');
      const answers = ['label', 'urgent', 'score', 'summary', 'tags', 'detail'];
      const profile = await profileOutput(db, { relation: 'out', columns, answers, schema: SCHEMA });
      assert.equal(profile.rows, 40);
      assert.deepEqual(profile.status.counts, [
        { value: 'ok', count: 30 },
        { value: 'failed', count: 10 },
      ]);
      const c = byName(profile.columns);
      assert.deepEqual(Object.keys(c), ['label', 'urgent', 'score', 'summary', 'tags', 'detail.lang', 'detail.words']);
      assert.deepEqual(c['label'], {
        kind: 'category',
        name: 'label',
        n: 30,
        nulls: 0,
        counts: [
          { value: 'billing', count: 10 },
          { value: 'bug', count: 10 },
          { value: 'other', count: 10 },
        ],
        other: 0,
      });
      assert.deepEqual(c['urgent']?.kind === 'category' && c['urgent'].counts, [
        { value: 'false', count: 22 },
        { value: 'true', count: 8 },
      ]);
      const score = c['score']!;
      assert.ok(score.kind === 'number');
      assert.equal(score.nulls, 3);
      assert.equal(score.n, 27);
      assert.equal(
        score.bins.reduce((sum, b) => sum + b.count, 0),
        27,
      );
      // 30 distinct summaries: lengths in characters (not bytes), from 9 to 38.
      const summary = c['summary']!;
      assert.ok(summary.kind === 'length');
      assert.deepEqual([summary.min, summary.max], [9, 38]);
      const tags = c['tags']!;
      assert.ok(tags.kind === 'size');
      assert.equal(tags.mean, 1.5);
      assert.deepEqual(
        tags.bins.map((b) => [b.from, b.to, b.count]),
        [
          [0.5, 1.5, 15],
          [1.5, 2.5, 15],
        ],
      );
      assert.equal(c['detail.lang']?.kind, 'category');
      assert.equal(c['detail.words']?.kind, 'number');
    } finally {
      db.close();
    }
  });

  test('a list of objects by its size; dates a CSV reader typed as DATE, as text; one answer per row with --samples', async () => {
    const db = await openDuckDB();
    try {
      await db.connection.run(
        `CREATE TABLE out AS SELECT [{'name': 'a', 'n': i}, {'name': 'b', 'n': i}][1:1 + i % 2] AS items, ` +
          `DATE '2026-01-01' + (i % 3)::INTEGER AS due, s AS _sample, 'ok' AS _status ` +
          `FROM range(30) r(i), range(2) t(s)`,
      );
      const columns = await describeRelation(db, 'out');
      const schema = {
        properties: {
          items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
          due: { type: 'string' },
        },
      };
      const profile = await profileOutput(db, { relation: 'out', columns, answers: ['items', 'due'], schema });
      const c = byName(profile.columns);
      assert.ok(c['items']?.kind === 'size');
      assert.equal(c['items'].n, 30, 'sample 0 of each row only');
      assert.equal(c['items'].mean, 1.5);
      assert.deepEqual(c['due']?.kind === 'category' && c['due'].counts.map((v) => v.value), [
        '2026-01-01',
        '2026-01-02',
        '2026-01-03',
      ]);
    } finally {
      db.close();
    }
  });

  test('a CSV output, whose nested columns are JSON text, profiles the same', async () => {
    const db = await openDuckDB();
    try {
      await db.connection.run(
        `CREATE TABLE out AS SELECT label, urgent, score, summary, to_json(tags)::VARCHAR AS tags, ` +
          `to_json(detail)::VARCHAR AS detail, _status FROM ${OUTPUT}`,
      );
      const columns = await describeRelation(db, 'out');
      const answers = ['label', 'urgent', 'score', 'summary', 'tags', 'detail'];
      const profile = await profileOutput(db, { relation: 'out', columns, answers, schema: SCHEMA });
      const c = byName(profile.columns);
      assert.equal(c['tags']?.kind === 'size' && c['tags'].mean, 1.5);
      assert.deepEqual(c['detail.lang']?.kind === 'category' && c['detail.lang'].counts.map((v) => v.value), [
        'de',
        'fr',
      ]);
      assert.equal(c['detail.words']?.kind === 'number' && c['detail.words'].max, 29);
    } finally {
      db.close();
    }
  });
});
