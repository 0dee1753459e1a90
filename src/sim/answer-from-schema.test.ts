import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv, type AnySchema } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { answerFromSchema } from './answer-from-schema.js';

const SEEDS = Array.from({ length: 40 }, (_, i) => i * 7919 + 1);

/** Asserts that every seed yields a document the schema accepts, naming the first failure in full. */
function assertAlwaysValid(ajv: Ajv | Ajv2020, schema: Record<string, unknown>): void {
  const validate = ajv.compile(schema as AnySchema);
  for (const seed of SEEDS) {
    const document = answerFromSchema(schema, seed);
    const valid = validate(document);
    assert.ok(valid, `seed ${seed} gave ${JSON.stringify(document)}: ${ajv.errorsText(validate.errors)}`);
  }
}

function draft7(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  formats.default(ajv);
  return ajv;
}

function draft2020(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  formats.default(ajv);
  return ajv;
}

describe('answerFromSchema produces documents the schema accepts', () => {
  const cases: Record<string, Record<string, unknown>> = {
    'a strict OpenAI-style object': {
      type: 'object',
      properties: {
        sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
        confidence: { type: 'number', minimum: 0, maximum: 1 },
        reasons: { type: 'array', items: { type: 'string' } },
        flagged: { type: 'boolean' },
        note: { type: ['string', 'null'] },
      },
      required: ['sentiment', 'confidence', 'reasons', 'flagged', 'note'],
      additionalProperties: false,
    },
    'string lengths and formats': {
      type: 'object',
      properties: {
        code: { type: 'string', minLength: 12, maxLength: 12 },
        short: { type: 'string', maxLength: 2 },
        day: { type: 'string', format: 'date' },
        at: { type: 'string', format: 'date-time' },
        clock: { type: 'string', format: 'time' },
        mail: { type: 'string', format: 'email' },
        link: { type: 'string', format: 'uri' },
        id: { type: 'string', format: 'uuid' },
        host: { type: 'string', format: 'hostname' },
        v4: { type: 'string', format: 'ipv4' },
        v6: { type: 'string', format: 'ipv6' },
        fixed: { const: 'exactly this' },
      },
      required: ['code', 'short', 'day', 'at', 'clock', 'mail', 'link', 'id', 'host', 'v4', 'v6', 'fixed'],
      additionalProperties: false,
    },
    patterns: {
      type: 'object',
      properties: {
        sku: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
        slug: { type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' },
        choice: { type: 'string', pattern: '^(red|green|blue)$' },
        phone: { type: 'string', pattern: '^\\+?[0-9]{7,12}$' },
        notDigits: { type: 'string', pattern: '^[^0-9]{2,5}$', minLength: 3 },
      },
      required: ['sku', 'slug', 'choice', 'phone', 'notDigits'],
    },
    'integer and number bounds': {
      type: 'object',
      properties: {
        age: { type: 'integer', minimum: 18, maximum: 99 },
        open: { type: 'integer', exclusiveMinimum: 0, exclusiveMaximum: 2 },
        negative: { type: 'number', maximum: -1000 },
        tiny: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 0.001 },
        price: { type: 'number', minimum: 0, multipleOf: 0.01 },
        tens: { type: 'integer', minimum: 3, maximum: 95, multipleOf: 10 },
        halves: { type: 'integer', multipleOf: 0.5, minimum: 1, maximum: 3 },
      },
      required: ['age', 'open', 'negative', 'tiny', 'price', 'tens', 'halves'],
      additionalProperties: false,
    },
    'arrays with bounds, uniqueness and tuples': {
      type: 'object',
      properties: {
        tags: { type: 'array', items: { type: 'string' }, minItems: 4, maxItems: 6, uniqueItems: true },
        one: { type: 'array', items: { type: 'integer' }, maxItems: 1 },
        flags: { type: 'array', items: { type: 'boolean' }, uniqueItems: true, minItems: 2 },
        pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }], additionalItems: false },
        withContains: { type: 'array', items: { type: 'integer' }, contains: { minimum: 500 } },
      },
      required: ['tags', 'one', 'flags', 'pair', 'withContains'],
    },
    'anyOf, oneOf, allOf and type arrays': {
      type: 'object',
      properties: {
        either: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 5 }] },
        one: { oneOf: [{ type: 'string', maxLength: 3 }, { type: 'number' }] },
        both: {
          allOf: [
            { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
            { required: ['b'], properties: { b: { type: 'integer' } } },
          ],
        },
        maybe: { type: ['null', 'number'], minimum: 1 },
        untyped: {},
        anything: true,
      },
      required: ['either', 'one', 'both', 'maybe', 'untyped', 'anything'],
    },
    'required names missing from properties, and minProperties/maxProperties': {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } },
      required: ['z'],
      additionalProperties: { type: 'integer' },
      minProperties: 5,
    },
    'a cap on optional properties': {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' }, d: { type: 'string' } },
      required: ['d'],
      maxProperties: 2,
    },
    'draft-07 definitions with a recursive tree': {
      definitions: {
        node: {
          type: 'object',
          properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/definitions/node' } } },
          required: ['label', 'children'],
          additionalProperties: false,
        },
      },
      $ref: '#/definitions/node',
    },
    'a top-level array of enums': {
      type: 'array',
      items: { enum: ['a', 1, null, { deep: true }] },
      minItems: 3,
    },
    // (`__proto__` has its own test below: ajv itself does not accept it as a declared property.)
    'awkward property names': {
      type: 'object',
      properties: { constructor: { type: 'integer' }, toString: { type: 'string' }, 'a/b~c': { type: 'boolean' } },
      required: ['constructor', 'toString', 'a/b~c'],
      additionalProperties: false,
    },
  };
  for (const [name, schema] of Object.entries(cases)) {
    test(name, () => assertAlwaysValid(draft7(), schema));
  }

  test('draft 2020-12: $defs, prefixItems and a recursive linked list ending in null', () => {
    assertAlwaysValid(draft2020(), {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $defs: {
        item: {
          type: 'object',
          properties: { value: { type: 'integer' }, next: { anyOf: [{ $ref: '#/$defs/item' }, { type: 'null' }] } },
          required: ['value', 'next'],
          additionalProperties: false,
        },
        point: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], items: false },
      },
      type: 'object',
      properties: { head: { $ref: '#/$defs/item' }, where: { $ref: '#/$defs/point' } },
      required: ['head', 'where'],
      additionalProperties: false,
    });
  });
});

describe('answerFromSchema is a function of schema and seed', () => {
  const schema = {
    type: 'object',
    properties: {
      label: { type: 'string', enum: ['a', 'b', 'c', 'd'] },
      score: { type: 'integer', minimum: 0, maximum: 1000 },
    },
    required: ['label', 'score'],
  };

  test('the same seed gives the same document', () => {
    assert.deepEqual(answerFromSchema(schema, 42), answerFromSchema(schema, 42));
  });

  test('different seeds give different documents', () => {
    const documents = new Set(SEEDS.map((seed) => JSON.stringify(answerFromSchema(schema, seed))));
    assert.ok(documents.size > SEEDS.length / 2, `only ${documents.size} distinct documents`);
  });

  test('properties come out in the order the schema lists them', () => {
    const ordered = {
      type: 'object',
      properties: { z: { type: 'string' }, a: { type: 'string' }, m: { type: 'string' } },
      required: ['m'],
    };
    assert.deepEqual(Object.keys(answerFromSchema(ordered, 3) as object), ['z', 'a', 'm']);
  });

  test('a property named __proto__ is data, not a prototype', () => {
    const schema: unknown = JSON.parse(
      '{"type":"object","properties":{"__proto__":{"const":"x"}},"required":["__proto__"]}',
    );
    const document = answerFromSchema(schema, 1);
    assert.equal(JSON.stringify(document), '{"__proto__":"x"}');
    assert.equal(Object.getPrototypeOf(document), Object.prototype);
  });
});
