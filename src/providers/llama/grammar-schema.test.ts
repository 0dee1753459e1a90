import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_STRING_BOUND, toGrammarSchema } from './grammar-schema.js';

test('free-text strings get a maxLength and are reported; enums, formats and bounded strings are left alone', () => {
  const { schema, bounded, dropped } = toGrammarSchema({
    type: 'object',
    properties: {
      summary: { type: 'string' },
      label: { type: 'string', enum: ['a', 'b'] },
      when: { type: 'string', format: 'date' },
      title: { type: 'string', maxLength: 30 },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
    },
    required: ['summary', 'label', 'when', 'title', 'tags'],
  });
  assert.deepEqual(bounded, ['/properties/summary', '/properties/tags/items']);
  assert.deepEqual(dropped, []);
  assert.deepEqual(schema, {
    type: 'object',
    properties: {
      summary: { type: 'string', maxLength: DEFAULT_STRING_BOUND },
      label: { type: 'string', enum: ['a', 'b'] },
      when: { type: 'string', format: 'date' },
      title: { type: 'string', maxLength: 30 },
      tags: { type: 'array', items: { type: 'string', maxLength: DEFAULT_STRING_BOUND }, maxItems: 3 },
    },
  });
});

test('optional properties may be null (the grammar writes every property); anyOf becomes oneOf', () => {
  const { schema } = toGrammarSchema({
    type: 'object',
    properties: {
      score: { type: 'number' },
      note: { type: ['string', 'null'], maxLength: 10 },
      kind: { anyOf: [{ const: 'x' }, { type: 'integer' }] },
    },
    required: ['kind'],
  });
  assert.deepEqual(schema['properties'], {
    score: { oneOf: [{ type: 'number' }, { type: 'null' }] },
    note: {
      oneOf: [
        {
          oneOf: [
            { type: 'string', maxLength: 10 },
            { type: 'null', maxLength: 10 },
          ],
        },
        { type: 'null' },
      ],
    },
    kind: { oneOf: [{ const: 'x' }, { type: 'integer' }] },
  });
});

test('keywords the grammar cannot enforce are listed as JSON pointers; $refs are inlined', () => {
  const { schema, dropped } = toGrammarSchema({
    $defs: { stars: { type: 'integer', minimum: 1, maximum: 5 } },
    type: 'object',
    properties: { stars: { $ref: '#/$defs/stars' }, code: { type: 'string', pattern: '^[A-Z]+$', maxLength: 4 } },
    required: ['stars', 'code'],
  });
  assert.deepEqual(dropped, ['/properties/stars/minimum', '/properties/stars/maximum', '/properties/code/pattern']);
  assert.deepEqual(schema['properties'], {
    stars: { type: 'integer' },
    code: { type: 'string', maxLength: 4 },
  });
});
