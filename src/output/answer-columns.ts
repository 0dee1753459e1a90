// The answer schema's top-level properties become typed output columns: string → VARCHAR, integer → BIGINT,
// number → DOUBLE, boolean → BOOLEAN, enum → VARCHAR, arrays → LIST, objects → STRUCT (JSON text in CSV).

import { isRecord } from './nullable-schema.js';

export interface OutputColumn {
  readonly name: string;
  /** DuckDB type as SQL text. */
  readonly type: string;
  /** LIST, STRUCT or JSON: written as JSON text where the format has no nested types (CSV). */
  readonly nested: boolean;
}

type Schema = Record<string, unknown>;

/** Whether a DuckDB type is a list, struct, map, union or JSON: written as JSON text where a format has no such type. */
export function isNestedType(type: string): boolean {
  return /^(STRUCT|MAP|JSON|UNION)|\]$/.test(type);
}

export function answerColumns(schema: Schema): OutputColumn[] {
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  return Object.entries(properties).map(([name, child]) => {
    const type = duckdbType(isRecord(child) ? child : {}, schema);
    return { name, type, nested: isNestedType(type) };
  });
}

/** The column of `llmap embed`: one vector per row. */
export const EMBEDDING_COLUMN: OutputColumn = { name: 'embedding', type: 'FLOAT[]', nested: true };

/** The column for a schema-less answer. */
export const TEXT_ANSWER_COLUMN: OutputColumn = { name: 'answer', type: 'VARCHAR', nested: false };

/** A DuckDB type as a tree: rendered as SQL text (`STRUCT("a" VARCHAR)`) or as a `from_json` structure. */
type TypeTree =
  | { readonly kind: 'scalar'; readonly name: string }
  | { readonly kind: 'list'; readonly item: TypeTree }
  | { readonly kind: 'struct'; readonly fields: readonly (readonly [string, TypeTree])[] };

const scalar = (name: string): TypeTree => ({ kind: 'scalar', name });

function duckdbType(node: Schema, root: Schema): string {
  return typeSql(typeTree(node, root));
}

/** The DuckDB type of a whole answer, e.g. `STRUCT("label" VARCHAR, "tags" VARCHAR[])`. */
export function answerType(schema: Schema): string {
  return typeSql(typeTree(schema, schema));
}

/**
 * The answer's type as a `from_json` structure (`{"label":"VARCHAR","tags":["VARCHAR"]}`): unlike a cast to the
 * STRUCT type, it reads an object with keys the type does not name (a schema that allows more properties).
 */
export function answerStructure(schema: Schema): string {
  const structure = (tree: TypeTree): unknown =>
    tree.kind === 'scalar'
      ? tree.name
      : tree.kind === 'list'
        ? [structure(tree.item)]
        : Object.fromEntries(tree.fields.map(([name, child]) => [name, structure(child)]));
  return JSON.stringify(structure(typeTree(schema, schema)));
}

function typeSql(tree: TypeTree): string {
  if (tree.kind === 'scalar') return tree.name;
  if (tree.kind === 'list') return `${typeSql(tree.item)}[]`;
  return `STRUCT(${tree.fields.map(([name, child]) => `"${name.replaceAll('"', '""')}" ${typeSql(child)}`).join(', ')})`;
}

function typeTree(node: Schema, root: Schema, depth = 0): TypeTree {
  if (depth > 8) return scalar('JSON');
  const resolved = resolveRef(node, root);
  if (Array.isArray(resolved['enum']) || resolved['const'] !== undefined) return scalar(scalarOfValues(resolved));
  const branches = resolved['anyOf'] ?? resolved['oneOf'];
  if (Array.isArray(branches)) {
    const nonNull = branches.filter((b) => isRecord(b) && b['type'] !== 'null') as Schema[];
    return nonNull.length === 1 ? typeTree(nonNull[0]!, root, depth + 1) : scalar('JSON');
  }
  const types = (Array.isArray(resolved['type']) ? resolved['type'] : [resolved['type']]).filter((t) => t !== 'null');
  if (types.length !== 1)
    return scalar(types.length === 2 && types.includes('integer') && types.includes('number') ? 'DOUBLE' : 'JSON');
  switch (types[0]) {
    case 'string':
      return scalar('VARCHAR');
    case 'integer':
      return scalar('BIGINT');
    case 'number':
      return scalar('DOUBLE');
    case 'boolean':
      return scalar('BOOLEAN');
    case 'array': {
      const items = resolved['items'];
      return isRecord(items) ? { kind: 'list', item: typeTree(items, root, depth + 1) } : scalar('JSON');
    }
    case 'object': {
      const properties = resolved['properties'];
      // An open object has no fixed fields to be a STRUCT of.
      if (!isRecord(properties) || Object.keys(properties).length === 0 || resolved['additionalProperties'] === true) {
        return scalar('JSON');
      }
      return {
        kind: 'struct',
        fields: Object.entries(properties).map(([name, child]) => [
          name,
          typeTree(isRecord(child) ? child : {}, root, depth + 1),
        ]),
      };
    }
    default:
      return scalar('JSON');
  }
}

function scalarOfValues(node: Schema): string {
  const values = (Array.isArray(node['enum']) ? node['enum'] : [node['const']]).filter((v) => v !== null);
  if (values.every((v) => typeof v === 'string')) return 'VARCHAR';
  if (values.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (values.every((v) => Number.isInteger(v))) return 'BIGINT';
  if (values.every((v) => typeof v === 'number')) return 'DOUBLE';
  return 'JSON';
}

function resolveRef(node: Schema, root: Schema): Schema {
  const ref = node['$ref'];
  if (typeof ref !== 'string') return node;
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  const defs = match ? root[match[1]!] : undefined;
  const target = match && isRecord(defs) ? defs[match[2]!] : undefined;
  return isRecord(target) ? target : {};
}
