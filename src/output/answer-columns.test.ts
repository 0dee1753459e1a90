import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerColumns } from './answer-columns.js';

test('schema properties map to typed columns, nested ones flagged for JSON text in CSV', () => {
  const columns = answerColumns({
    type: 'object',
    properties: {
      label: { type: 'string', enum: ['a', 'b'] },
      count: { type: 'integer' },
      score: { type: ['number', 'null'] },
      ok: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' } },
      where: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'integer' } } },
      extra: { type: 'object' },
      level: { enum: [1, 2, 3] },
      either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
      ref: { $ref: '#/$defs/point' },
    },
    $defs: { point: { type: 'object', properties: { x: { type: 'number' } } } },
  });
  assert.deepEqual(
    columns.map((c) => [c.name, c.type, c.nested]),
    [
      ['label', 'VARCHAR', false],
      ['count', 'BIGINT', false],
      ['score', 'DOUBLE', false],
      ['ok', 'BOOLEAN', false],
      ['tags', 'VARCHAR[]', true],
      ['where', 'STRUCT("city" VARCHAR, "zip" BIGINT)', true],
      ['extra', 'JSON', true],
      ['level', 'BIGINT', false],
      ['either', 'JSON', true],
      ['ref', 'STRUCT("x" DOUBLE)', true],
    ],
  );
});
