// Builds a JSON document that satisfies a JSON Schema, chosen by a seed: the simulator's stand-in for a model
// decoding under a schema (OpenAI `json_schema`, an Anthropic forced tool's `input_schema`). The same schema
// and seed always give the same document.
import { canonicalJson } from './canonical-json.js';
import { createRandom, randomInt, randomPick } from './seeded-random.js';
import { stringFromPattern } from './string-from-pattern.js';

type JsonSchema = Readonly<Record<string, unknown>>;
interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

/** From this depth on only what the schema requires is generated, so recursive schemas come to an end. */
const SHALLOW_DEPTH = 6;
/** Past this depth a schema is taken to be endlessly recursive and answered with `null`. */
const MAX_DEPTH = 64;
/** Bounds how often `$ref`, `allOf` and `anyOf` may unwrap one level (`{"$ref": "#"}` would loop forever). */
const MAX_UNWRAPS = 32;
const WORDS = [
  'amber',
  'basalt',
  'cedar',
  'delta',
  'ember',
  'fjord',
  'garnet',
  'harbor',
  'indigo',
  'juniper',
  'kestrel',
  'lagoon',
  'meadow',
  'nimbus',
  'orchid',
  'pebble',
  'quartz',
  'river',
  'saffron',
  'tundra',
  'umber',
  'violet',
  'willow',
  'zephyr',
];

/**
 * A document valid against `schema`, drawn from a PRNG seeded with `seed`. Objects get every property in
 * `properties` (all of `required`, optional ones within `maxProperties`); `anyOf`/`oneOf` take their first
 * branch that is not just `null`; `$ref` resolves JSON pointers into the root (`#/$defs/…`, `#/definitions/…`).
 * Keywords it does not know (`not`, `if`, `patternProperties`, …) are ignored.
 */
export function answerFromSchema(schema: unknown, seed: number): unknown {
  return new SchemaAnswerer(schema, createRandom(seed)).value(schema, 0);
}

class SchemaAnswerer {
  constructor(
    private readonly root: unknown,
    private readonly random: () => number,
  ) {}

  value(schema: unknown, depth: number): unknown {
    if (schema === false || depth > MAX_DEPTH) return null; // nothing is valid: answer something harmless
    if (!isRecord(schema)) return this.word(); // `true` or no schema: anything goes
    const flat = this.flatten(schema, depth);
    if ('const' in flat) return flat.const;
    if (Array.isArray(flat.enum) && flat.enum.length > 0) return randomPick(this.random, flat.enum);
    switch (chooseType(flat, depth >= SHALLOW_DEPTH)) {
      case 'object':
        return this.object(flat, depth);
      case 'array':
        return this.array(flat, depth);
      case 'string':
        return this.string(flat);
      case 'integer':
        return this.number(flat, true);
      case 'number':
        return this.number(flat, false);
      case 'boolean':
        return this.random() < 0.5;
      case 'null':
        return null;
      default:
        return this.word();
    }
  }

  /** Resolves `$ref`, `allOf` and one `anyOf`/`oneOf` branch into a single schema without them. */
  private flatten(schema: JsonSchema, depth: number): JsonSchema {
    let flat = schema;
    for (let unwraps = 0; unwraps < MAX_UNWRAPS; unwraps++) {
      if (typeof flat.$ref === 'string') {
        const { $ref, ...siblings } = flat;
        const target = resolvePointer(this.root, $ref);
        flat = mergeSchemas(isRecord(target) ? target : {}, siblings);
      } else if (Array.isArray(flat.allOf)) {
        const { allOf, ...rest } = flat;
        flat = allOf.reduce<JsonSchema>(
          (merged, part) => mergeSchemas(merged, isRecord(part) ? this.flatten(part, depth) : {}),
          rest,
        );
      } else if (Array.isArray(flat.anyOf) && flat.anyOf.length > 0) {
        const { anyOf, ...rest } = flat;
        flat = mergeSchemas(rest, chooseBranch(anyOf, depth >= SHALLOW_DEPTH));
      } else if (Array.isArray(flat.oneOf) && flat.oneOf.length > 0) {
        const { oneOf, ...rest } = flat;
        flat = mergeSchemas(rest, chooseBranch(oneOf, depth >= SHALLOW_DEPTH));
      } else return flat;
    }
    return flat;
  }

  private object(schema: JsonSchema, depth: number): Record<string, unknown> {
    const properties = isRecord(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required.filter(isString) : [];
    const requiredNames = new Set(required);
    const maxProperties = nonNegativeInteger(schema.maxProperties) ?? Infinity;
    const minProperties = nonNegativeInteger(schema.minProperties) ?? 0;
    const extraSchema = schema.additionalProperties === false ? undefined : (schema.additionalProperties ?? true);
    let optionalBudget = maxProperties - required.length;
    const out: Record<string, unknown> = {};
    // Properties come out in the schema's order, as a model decoding under the schema writes them.
    for (const [name, propertySchema] of Object.entries(properties)) {
      if (!requiredNames.has(name)) {
        if (depth >= SHALLOW_DEPTH || optionalBudget <= 0) continue;
        optionalBudget--;
      }
      setOwn(out, name, this.value(propertySchema, depth + 1));
    }
    for (const name of required) {
      if (!Object.hasOwn(out, name)) setOwn(out, name, this.value(extraSchema ?? true, depth + 1));
    }
    for (let index = 1; extraSchema !== undefined && Object.keys(out).length < minProperties; index++) {
      const name = `extra_${index}`;
      if (!Object.hasOwn(out, name)) setOwn(out, name, this.value(extraSchema, depth + 1));
    }
    return out;
  }

  private array(schema: JsonSchema, depth: number): unknown[] {
    // Draft 2020-12 writes tuples as `prefixItems` + `items`; draft 7 as an `items` array + `additionalItems`.
    const prefix: readonly unknown[] = Array.isArray(schema.prefixItems)
      ? schema.prefixItems
      : Array.isArray(schema.items)
        ? schema.items
        : [];
    const rest = Array.isArray(schema.items) ? schema.additionalItems : schema.items;
    const contains = schema.contains;
    let minItems = nonNegativeInteger(schema.minItems) ?? 0;
    if (contains !== undefined) minItems = Math.max(minItems, prefix.length + 1);
    const maxItems = Math.min(
      nonNegativeInteger(schema.maxItems) ?? Infinity,
      rest === false ? prefix.length : Infinity,
    );
    const wanted = depth >= SHALLOW_DEPTH ? minItems : Math.max(minItems, randomInt(this.random, 1, 3));
    const count = Math.min(wanted, maxItems);
    const seen = schema.uniqueItems === true ? new Set<string>() : undefined;
    const items: unknown[] = [];
    for (let index = 0; index < count; index++) {
      const itemSchema =
        index < prefix.length
          ? prefix[index]
          : index === prefix.length && contains !== undefined
            ? { allOf: [rest ?? true, contains] }
            : rest;
      let item = this.value(itemSchema ?? true, depth + 1);
      if (seen !== undefined) {
        for (let retry = 0; retry < 8 && seen.has(canonicalJson(item)); retry++) {
          item = this.value(itemSchema ?? true, depth + 1);
        }
        const key = canonicalJson(item);
        if (seen.has(key) && items.length >= minItems) break; // fewer items beat duplicates
        seen.add(key);
      }
      items.push(item);
    }
    return items;
  }

  private string(schema: JsonSchema): string {
    const minLength = nonNegativeInteger(schema.minLength) ?? 0;
    const maxLength = nonNegativeInteger(schema.maxLength) ?? Infinity;
    const fits = (text: string): boolean => {
      const length = codePointLength(text);
      return length >= minLength && length <= maxLength;
    };
    if (typeof schema.format === 'string') {
      const formatted = this.formatted(schema.format);
      if (formatted !== undefined && fits(formatted)) return formatted;
    }
    if (typeof schema.pattern === 'string') {
      for (let attempt = 0; attempt < 5; attempt++) {
        const sample = stringFromPattern(schema.pattern, this.random);
        if (sample === undefined) break;
        if (fits(sample)) return sample;
      }
    }
    return fitLength(this.word(), minLength, maxLength);
  }

  /** A plausible value for the common `format`s, or `undefined` for one it does not know. */
  private formatted(format: string): string | undefined {
    const two = (n: number): string => String(n).padStart(2, '0');
    const date = (): string =>
      `20${two(randomInt(this.random, 20, 29))}-${two(randomInt(this.random, 1, 12))}-${two(randomInt(this.random, 1, 28))}`;
    const time = (): string =>
      `${two(randomInt(this.random, 0, 23))}:${two(randomInt(this.random, 0, 59))}:${two(randomInt(this.random, 0, 59))}Z`;
    switch (format) {
      case 'date':
        return date();
      case 'date-time':
        return `${date()}T${time()}`;
      case 'time':
        return time();
      case 'email':
      case 'idn-email':
        return `${this.word()}.${randomInt(this.random, 1, 999)}@example.com`;
      case 'uri':
      case 'url':
      case 'iri':
      case 'uri-reference':
      case 'iri-reference':
        return `https://example.com/${this.word()}`;
      case 'hostname':
      case 'idn-hostname':
        return `${this.word()}.example.com`;
      case 'ipv4':
        return `192.0.2.${randomInt(this.random, 1, 254)}`;
      case 'ipv6':
        return `2001:db8::${randomInt(this.random, 1, 0xffff).toString(16)}`;
      case 'uuid':
        return this.uuid();
      case 'duration':
        return `P${randomInt(this.random, 1, 30)}D`;
      default:
        return undefined;
    }
  }

  private uuid(): string {
    const hex = Array.from({ length: 32 }, () => randomInt(this.random, 0, 15).toString(16));
    hex[12] = '4';
    hex[16] = '89ab'[randomInt(this.random, 0, 3)] ?? '8';
    const text = hex.join('');
    return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
  }

  private number(schema: JsonSchema, integer: boolean): number {
    const low = lowerBound(schema);
    const high = upperBound(schema);
    const step = typeof schema.multipleOf === 'number' && schema.multipleOf > 0 ? schema.multipleOf : undefined;
    // The same test ajv applies, floating point warts included: (value / multipleOf) % 1 === 0.
    const satisfies = (value: number): boolean =>
      Number.isFinite(value) &&
      (!integer || Number.isInteger(value)) &&
      (low === undefined || (low.exclusive ? value > low.value : value >= low.value)) &&
      (high === undefined || (high.exclusive ? value < high.value : value <= high.value)) &&
      (step === undefined || (value / step) % 1 === 0);
    const from = low?.value ?? (high === undefined ? 0 : high.value - 100);
    const to = high?.value ?? from + 100;
    const candidates: number[] = [];
    if (step !== undefined) {
      const first = Math.ceil(from / step);
      const picked = randomInt(this.random, first, Math.max(first, Math.floor(to / step)));
      const decimals = decimalPlaces(step);
      for (let offset = 0; offset <= 40; offset++) {
        candidates.push(roundTo((picked + offset) * step, decimals), roundTo((picked - offset) * step, decimals));
      }
    } else if (integer) {
      const first = Math.ceil(from);
      const last = Math.floor(to);
      candidates.push(randomInt(this.random, first, Math.max(first, last)), first, first + 1, last, last - 1);
    } else {
      candidates.push(roundTo(from + this.random() * (to - from), 2), (from + to) / 2, from, to);
    }
    return candidates.find(satisfies) ?? candidates[0] ?? 0;
  }

  private word(): string {
    return randomPick(this.random, WORDS);
  }
}

function chooseType(schema: JsonSchema, shallow: boolean): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const types = type.filter(isString);
    if (shallow && types.includes('null')) return 'null';
    return types.find((candidate) => candidate !== 'null') ?? types[0];
  }
  const has = (...keys: string[]): boolean => keys.some((key) => key in schema);
  if (has('properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties')) return 'object';
  if (has('items', 'prefixItems', 'minItems', 'maxItems', 'contains', 'uniqueItems')) return 'array';
  if (has('minLength', 'maxLength', 'pattern', 'format')) return 'string';
  if (has('minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf')) return 'number';
  return undefined;
}

/** The first branch that is more than `null`; deep in a recursive schema, `null` if offered, to stop. */
function chooseBranch(branches: readonly unknown[], shallow: boolean): JsonSchema {
  const records = branches.filter(isRecord);
  const isNull = (branch: JsonSchema): boolean => branch.type === 'null';
  const chosen = shallow ? (records.find(isNull) ?? records[0]) : (records.find((b) => !isNull(b)) ?? records[0]);
  return chosen ?? {};
}

/** Both schemas at once, as far as generation needs: constraints tighten, properties and `required` unite. */
function mergeSchemas(first: JsonSchema, second: JsonSchema): JsonSchema {
  const merged: Record<string, unknown> = { ...first, ...second };
  if (isRecord(first.properties) && isRecord(second.properties)) {
    const properties: Record<string, unknown> = { ...first.properties };
    for (const [name, schema] of Object.entries(second.properties)) {
      const earlier = properties[name];
      setOwn(properties, name, isRecord(earlier) && isRecord(schema) ? { allOf: [earlier, schema] } : schema);
    }
    merged.properties = properties;
  }
  if (Array.isArray(first.required) && Array.isArray(second.required)) {
    merged.required = [...new Set([...(first.required as unknown[]), ...(second.required as unknown[])])];
  }
  if (first.type !== undefined && second.type !== undefined) merged.type = intersectTypes(first.type, second.type);
  for (const key of ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties']) {
    const [a, b] = [first[key], second[key]];
    if (typeof a === 'number' && typeof b === 'number') merged[key] = Math.max(a, b);
  }
  for (const key of ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties']) {
    const [a, b] = [first[key], second[key]];
    if (typeof a === 'number' && typeof b === 'number') merged[key] = Math.min(a, b);
  }
  if (first.additionalProperties === false || second.additionalProperties === false) {
    merged.additionalProperties = false;
  }
  if (Array.isArray(first.enum) && Array.isArray(second.enum)) {
    const allowed = new Set(second.enum.map(canonicalJson));
    merged.enum = first.enum.filter((value) => allowed.has(canonicalJson(value)));
  }
  return merged;
}

function intersectTypes(first: unknown, second: unknown): unknown {
  const list = (type: unknown): string[] =>
    Array.isArray(type) ? type.filter(isString) : isString(type) ? [type] : [];
  const seconds = list(second);
  const common = list(first).flatMap((type) => {
    if (seconds.includes(type)) return [type];
    // An integer is a number: {type: number} ∧ {type: integer} is an integer.
    if ((type === 'number' && seconds.includes('integer')) || (type === 'integer' && seconds.includes('number'))) {
      return ['integer'];
    }
    return [];
  });
  if (common.length === 0) return first;
  return common.length === 1 ? common[0] : common;
}

/** Follows a same-document JSON pointer (`#`, `#/$defs/Name`); anything else resolves to `undefined`. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer === '') return root;
  let node: unknown = root;
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isRecord(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

function lowerBound(schema: JsonSchema): Bound | undefined {
  const minimum = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  if (schema.exclusiveMinimum === true && minimum !== undefined) return { value: minimum, exclusive: true }; // draft 4
  const exclusive = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  if (exclusive !== undefined && (minimum === undefined || exclusive >= minimum)) {
    return { value: exclusive, exclusive: true };
  }
  return minimum === undefined ? undefined : { value: minimum, exclusive: false };
}

function upperBound(schema: JsonSchema): Bound | undefined {
  const maximum = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  if (schema.exclusiveMaximum === true && maximum !== undefined) return { value: maximum, exclusive: true }; // draft 4
  const exclusive = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined;
  if (exclusive !== undefined && (maximum === undefined || exclusive <= maximum)) {
    return { value: exclusive, exclusive: true };
  }
  return maximum === undefined ? undefined : { value: maximum, exclusive: false };
}

function decimalPlaces(value: number): number {
  const [mantissa = '', exponent] = String(value).split('e-');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.min(20, fraction + (exponent === undefined ? 0 : Number(exponent)));
}

function roundTo(value: number, decimals: number): number {
  return decimals === 0 ? Math.round(value) : Number(value.toFixed(decimals));
}

function fitLength(text: string, minLength: number, maxLength: number): string {
  let fitted = text;
  while (codePointLength(fitted) < minLength) fitted += ` ${text}`;
  return Array.from(fitted).slice(0, maxLength).join('');
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

function nonNegativeInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** Assigns as an own property, so a property named `__proto__` stays data instead of changing the prototype. */
function setOwn(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
