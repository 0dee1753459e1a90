// The answer schema as a grammar for a local model. node-llama-cpp turns a subset of JSON Schema into a GBNF
// grammar (createGrammarForJsonSchema): types, enum/const, oneOf, objects (every property always written), arrays
// with item counts, strings with length bounds and date formats. This converts a user's schema to that subset,
// lists what the grammar cannot enforce (local validation still does), and bounds free-text strings: under a
// grammar, a string without maxLength runs until max_tokens and the JSON is cut off.

import { isRecord } from '../../output/nullable-schema.js';

type Schema = Record<string, unknown>;

/** Characters a free-text string may take when the schema gives no maxLength. */
export const DEFAULT_STRING_BOUND = 512;

const KEPT = new Set(['type', 'description', 'enum', 'const', 'minItems', 'maxItems', 'minLength', 'maxLength']);
const GRAMMAR_FORMATS = new Set(['date-time', 'time', 'date']);
const MAX_REF_DEPTH = 16;

export interface GrammarSchema {
  readonly schema: Schema;
  /** JSON pointers of keywords the grammar cannot enforce, e.g. `/properties/score/maximum`. */
  readonly dropped: readonly string[];
  /** JSON pointers of strings given a maxLength of `stringBound` because the schema set none. */
  readonly bounded: readonly string[];
}

export function toGrammarSchema(root: Schema, stringBound = DEFAULT_STRING_BOUND): GrammarSchema {
  const dropped: string[] = [];
  const bounded: string[] = [];
  const convert = (node: Schema, pointer: string, depth: number): Schema => {
    if (typeof node['$ref'] === 'string') {
      const target = depth < MAX_REF_DEPTH ? resolveRef(root, node['$ref']) : undefined;
      if (target) return convert(target, pointer, depth + 1);
      dropped.push(`${pointer}/$ref`);
      return {};
    }
    const branches = node['anyOf'] ?? node['oneOf'];
    if (Array.isArray(branches)) {
      return {
        oneOf: branches.map((branch, i) => convert(isRecord(branch) ? branch : {}, `${pointer}/anyOf/${i}`, depth)),
      };
    }
    const types = node['type'];
    if (Array.isArray(types) && types.length > 1 && node['enum'] === undefined) {
      // `["string", "null"]`: one branch per type, so the string branch gets its bound.
      return { oneOf: types.map((type) => convert({ ...node, type }, pointer, depth)) };
    }
    const out: Schema = {};
    for (const [key, value] of Object.entries(node)) {
      if (KEPT.has(key)) out[key] = value;
      else if (key === 'format' && typeof value === 'string' && GRAMMAR_FORMATS.has(value)) out[key] = value;
      else if (key === 'properties' && isRecord(value)) {
        const required = new Set(Array.isArray(node['required']) ? (node['required'] as string[]) : []);
        // The grammar writes every property; an optional one is written as null when it has no value.
        out['properties'] = Object.fromEntries(
          Object.entries(value).map(([name, child]) => {
            const converted = convert(isRecord(child) ? child : {}, `${pointer}/properties/${name}`, depth);
            return [name, required.has(name) ? converted : orNull(converted)];
          }),
        );
      } else if (key === 'items' && isRecord(value)) out['items'] = convert(value, `${pointer}/items`, depth);
      else if (key === 'prefixItems' && Array.isArray(value)) {
        out['prefixItems'] = value.map((item, i) =>
          convert(isRecord(item) ? item : {}, `${pointer}/prefixItems/${i}`, depth),
        );
      } else if (key === 'additionalProperties') {
        if (value !== false) dropped.push(`${pointer}/additionalProperties`);
      } else if (!NOT_CONSTRAINTS.has(key)) dropped.push(`${pointer}/${key}`);
    }
    if (isFreeText(out)) {
      out['maxLength'] = stringBound;
      bounded.push(pointer === '' ? '/' : pointer);
    }
    if (out['type'] === 'object' && out['properties'] === undefined) out['properties'] = {};
    return out;
  };
  return { schema: convert(root, '', 0), dropped, bounded };
}

/** Keywords that describe rather than constrain: nothing is lost when the grammar leaves them out. */
const NOT_CONSTRAINTS = new Set(['$schema', '$id', '$defs', 'definitions', 'title', 'examples', 'default', 'required']);

function isFreeText(node: Schema): boolean {
  return (
    node['type'] === 'string' &&
    node['maxLength'] === undefined &&
    node['enum'] === undefined &&
    node['format'] === undefined
  );
}

/** Also accepting null, in the grammar's own terms (it knows oneOf, not anyOf). */
function orNull(node: Schema): Schema {
  const values = node['enum'];
  if (Array.isArray(values)) return values.includes(null) ? node : { ...node, enum: [...(values as unknown[]), null] };
  // Not `type: [t, 'null']`: the grammar applies string bounds and formats only to `type: 'string'`.
  return { oneOf: [node, { type: 'null' }] };
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match) return undefined;
  const defs = root[match[1]!];
  const target = isRecord(defs) ? defs[match[2]!] : undefined;
  return isRecord(target) ? target : undefined;
}
