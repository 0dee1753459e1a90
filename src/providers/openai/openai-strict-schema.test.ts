import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toOpenAIStrictSchema } from './openai-strict-schema.js';

test('every property becomes required, optional ones nullable, objects closed, unsupported keywords reported', () => {
  const { schema, dropped } = toOpenAIStrictSchema({
    type: 'object',
    properties: {
      label: { type: 'string', enum: ['a', 'b'] },
      note: { type: 'string', maxLength: 100 },
      where: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
    required: ['label'],
  });
  assert.deepEqual(schema, {
    type: 'object',
    properties: {
      label: { type: 'string', enum: ['a', 'b'] },
      note: { type: ['string', 'null'] },
      where: {
        type: ['object', 'null'],
        properties: { city: { type: 'string' } },
        required: ['city'],
        additionalProperties: false,
      },
    },
    required: ['label', 'note', 'where'],
    additionalProperties: false,
  });
  assert.deepEqual(dropped, ['/properties/note/maxLength']);
});
