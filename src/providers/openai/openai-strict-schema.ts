// OpenAI's structured outputs accept a subset of JSON Schema under `strict: true`: every property required,
// `additionalProperties: false` on every object, optional fields expressed as nullable. This converts a user's
// schema to that subset and lists what the backend would not enforce (local validation still does).

import { isRecord, nullable } from '../../output/nullable-schema.js';

type Schema = Record<string, unknown>;

/** Keywords strict mode rejects or ignores (OpenAI "Supported schemas", structured outputs guide). */
const UNSUPPORTED = new Set([
  'minLength',
  'maxLength',
  'patternProperties',
  'unevaluatedProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'unevaluatedItems',
  'contains',
  'minContains',
  'maxContains',
  'uniqueItems',
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'default',
]);

export interface StrictSchema {
  readonly schema: Schema;
  /** JSON pointers of keywords dropped from what is sent, e.g. `/properties/summary/maxLength`. */
  readonly dropped: readonly string[];
}

export function toOpenAIStrictSchema(schema: Schema): StrictSchema {
  const dropped: string[] = [];
  const converted = convert(schema, '', dropped);
  return { schema: converted, dropped };
}

function convert(node: Schema, pointer: string, dropped: string[]): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (UNSUPPORTED.has(key)) {
      dropped.push(`${pointer}/${key}`);
      continue;
    }
    out[key] = convertKeyword(key, value, pointer, dropped);
  }
  if (isObjectSchema(out) && isRecord(out['properties'])) {
    const properties = out['properties'];
    const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
    for (const name of Object.keys(properties)) {
      if (!required.has(name)) properties[name] = nullable(properties[name] as Schema);
    }
    out['required'] = Object.keys(properties);
    if (out['additionalProperties'] !== undefined && out['additionalProperties'] !== false) {
      dropped.push(`${pointer}/additionalProperties`);
    }
    out['additionalProperties'] = false;
  }
  return out;
}

function convertKeyword(key: string, value: unknown, pointer: string, dropped: string[]): unknown {
  const here = `${pointer}/${key}`;
  if ((key === 'properties' || key === '$defs' || key === 'definitions') && isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([name, child]) => [name, convertChild(child, `${here}/${name}`, dropped)]),
    );
  }
  if ((key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
    // Strict mode supports anyOf; oneOf is sent as anyOf (local validation keeps exclusivity).
    return value.map((child, i) => convertChild(child, `${here}/${i}`, dropped));
  }
  if (key === 'items' && isRecord(value)) return convert(value, here, dropped);
  return value;
}

function convertChild(child: unknown, pointer: string, dropped: string[]): unknown {
  return isRecord(child) ? convert(child, pointer, dropped) : child;
}

function isObjectSchema(schema: Schema): boolean {
  const type = schema['type'];
  return type === 'object' || (Array.isArray(type) && type.includes('object')) || isRecord(schema['properties']);
}
