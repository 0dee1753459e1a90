import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileAnswerSchema, loadAnswerSchema } from './answer-schema.js';
import { parseAnswer } from './parse-answer.js';

const ticket = {
  type: 'object',
  properties: {
    category: { type: 'string', enum: ['billing', 'bug'] },
    score: { type: 'integer', minimum: 1, maximum: 5 },
    note: { type: 'string' },
  },
  required: ['category', 'score'],
};

describe('answer schema', () => {
  const schema = compileAnswerSchema(ticket, 'ticket.json', 'ticket');

  test('a valid answer parses to its object', () => {
    assert.deepEqual(parseAnswer('{"category":"bug","score":3}', schema), {
      ok: true,
      value: { category: 'bug', score: 3 },
    });
  });

  test('an optional field may come back null (OpenAI strict mode sends optional fields as nullable)', () => {
    assert.equal(parseAnswer('{"category":"bug","score":3,"note":null}', schema).ok, true);
  });

  test('a required field may not be null', () => {
    assert.equal(parseAnswer('{"category":null,"score":3}', schema).ok, false);
  });

  test('an answer outside the enum is rejected with a readable reason', () => {
    assert.deepEqual(parseAnswer('{"category":"sales","score":3}', schema), {
      ok: false,
      error: 'answer does not match the schema: /category must be equal to one of the allowed values: billing, bug',
    });
  });

  test('broken JSON is rejected, not thrown', () => {
    const parsed = parseAnswer('{"category":"bug","sco', schema);
    assert.equal(parsed.ok, false);
    assert.match(!parsed.ok ? parsed.error : '', /^answer is not valid JSON/);
  });

  test('a fenced JSON answer is accepted', () => {
    assert.equal(parseAnswer('```json\n{"category":"bug","score":1}\n```', schema).ok, true);
  });

  test('an invalid JSON Schema is an input error naming the source', () => {
    assert.throws(
      () => compileAnswerSchema({ type: 'object', properties: { a: { type: 'strin' } } }, 's.json', 's'),
      /^InputError: invalid JSON Schema in s\.json: .*type/,
    );
  });

  test('the root must be an object with properties', () => {
    assert.throws(
      () => compileAnswerSchema({ type: 'string' }, '--schema', 'a'),
      /the root must be \{"type": "object"/,
    );
  });

  test('inline JSON that does not parse is an input error', () => {
    assert.throws(() => loadAnswerSchema('{"type": "object",'), /invalid JSON Schema in --schema: not JSON/);
  });

  test('a missing schema file is an input error naming it', () => {
    assert.throws(() => loadAnswerSchema('nope/missing.json'), /schema file not found: nope\/missing\.json/);
  });
});
