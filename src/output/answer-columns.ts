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

export function answerColumns(schema: Schema): OutputColumn[] {
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  return Object.entries(properties).map(([name, child]) => {
    const type = duckdbType(isRecord(child) ? child : {}, schema);
    return { name, type, nested: /^(STRUCT|JSON)|\[\]$/.test(type) };
  });
}

/** The column of `llmap embed`: one vector per row. */
export const EMBEDDING_COLUMN: OutputColumn = { name: 'embedding', type: 'FLOAT[]', nested: true };

/** The column for a schema-less answer. */
export const TEXT_ANSWER_COLUMN: OutputColumn = { name: 'answer', type: 'VARCHAR', nested: false };

function duckdbType(node: Schema, root: Schema, depth = 0): string {
  if (depth > 8) return 'JSON';
  const resolved = resolveRef(node, root);
  if (Array.isArray(resolved['enum']) || resolved['const'] !== undefined) return scalarOfValues(resolved);
  const branches = resolved['anyOf'] ?? resolved['oneOf'];
  if (Array.isArray(branches)) {
    const nonNull = branches.filter((b) => isRecord(b) && b['type'] !== 'null') as Schema[];
    return nonNull.length === 1 ? duckdbType(nonNull[0]!, root, depth + 1) : 'JSON';
  }
  const types = (Array.isArray(resolved['type']) ? resolved['type'] : [resolved['type']]).filter((t) => t !== 'null');
  if (types.length !== 1)
    return types.length === 2 && types.includes('integer') && types.includes('number') ? 'DOUBLE' : 'JSON';
  switch (types[0]) {
    case 'string':
      return 'VARCHAR';
    case 'integer':
      return 'BIGINT';
    case 'number':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'array': {
      const items = resolved['items'];
      return isRecord(items) ? `${duckdbType(items, root, depth + 1)}[]` : 'JSON';
    }
    case 'object': {
      const properties = resolved['properties'];
      // An open object has no fixed fields to be a STRUCT of.
      if (!isRecord(properties) || Object.keys(properties).length === 0 || resolved['additionalProperties'] === true) {
        return 'JSON';
      }
      const fields = Object.entries(properties).map(
        ([name, child]) =>
          `"${name.replaceAll('"', '""')}" ${duckdbType(isRecord(child) ? child : {}, root, depth + 1)}`,
      );
      return `STRUCT(${fields.join(', ')})`;
    }
    default:
      return 'JSON';
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
