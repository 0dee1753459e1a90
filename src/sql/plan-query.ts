// A query before it runs, planned from DuckDB's own parse tree (`json_serialize_sql`, which runs nothing; and
// `json_deserialize_sql`, which prints a tree back as SQL):
// - it must be one SELECT;
// - each `llm_json(..., schema := '<JSON Schema>')` becomes the macro of its schema, whose value is the schema's
//   STRUCT type (DuckDB must know a function's type when it binds the query, before any row is read);
// - a condition that mixes LLM calls with plain ones (`id % 2 = 0 AND llm_filter(...)`) asks the model only where
//   the plain part leaves the answer open. DuckDB orders a conjunction's terms by what it measures, and a call the
//   book answers from memory measures cheap; a CASE fixes the order without changing the value.

import { InputError } from '../job/input-error.js';
import { answerStructure } from '../output/answer-columns.js';
import { loadAnswerSchema } from '../output/answer-schema.js';
import type { DuckDB } from '../table/duckdb.js';
import { jsonMacroName } from './llm-functions.js';

export interface PlannedQuery {
  /** The query as it runs. */
  readonly sql: string;
  /** The distinct schemas of its `llm_json` calls, by macro index, with their `from_json` structure. */
  readonly schemas: readonly { readonly schema: string; readonly structure: string }[];
  /** The LLM functions the query names. */
  readonly functions: readonly string[];
}

const LLM_FUNCTIONS = new Set(['llm', 'try_llm', 'llm_filter', 'try_llm_filter', 'llm_embed', 'try_llm_embed']);
const JSON_FUNCTIONS = new Set(['llm_json', 'try_llm_json']);

type Node = Record<string, unknown>;

export async function planQuery(db: DuckDB, sql: string): Promise<PlannedQuery> {
  const parsed = await parse(db, sql);
  const functions = new Set<string>();
  const schemas: { schema: string; structure: string }[] = [];
  let changed = false;
  const templates = await guardTemplates(db);
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const record = node as Node;
    for (const [key, value] of Object.entries(record)) record[key] = visit(value);
    if (record['class'] === 'FUNCTION' && typeof record['function_name'] === 'string') {
      const name = record['function_name'].toLowerCase();
      if (LLM_FUNCTIONS.has(name) || JSON_FUNCTIONS.has(name)) functions.add(name);
      if (JSON_FUNCTIONS.has(name)) {
        record['function_name'] = jsonMacroName(schemaIndex(record, name, schemas), name.startsWith('try_'));
        changed = true;
      }
    }
    if (record['class'] === 'CONJUNCTION') {
      const guarded = guardConjunction(record, templates);
      if (guarded !== record) changed = true;
      return guarded;
    }
    return record;
  };
  const statement = visit(parsed.statements[0]);
  return {
    sql: changed ? await print(db, { ...parsed, statements: [statement] }) : sql,
    schemas,
    functions: [...functions],
  };
}

interface Parsed {
  readonly error: boolean;
  readonly error_message?: string;
  readonly statements: unknown[];
}

async function parse(db: DuckDB, sql: string): Promise<Parsed> {
  const reader = await db.connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const parsed = parseTree(reader.getRows()[0]![0] as string) as Parsed;
  if (parsed.error) {
    const message = parsed.error_message ?? 'cannot parse the query';
    throw new InputError(
      /Only SELECT/.test(message)
        ? 'llmap sql runs one SELECT (or WITH ... SELECT) query; write its result with -o FILE or -o postgres://.../db?table=NAME'
        : `the query does not parse: ${message}`,
    );
  }
  if (parsed.statements.length !== 1) {
    throw new InputError(`llmap sql runs one query; this text holds ${parsed.statements.length}`);
  }
  return parsed;
}

async function print(db: DuckDB, tree: Parsed): Promise<string> {
  const reader = await db.connection.runAndReadAll('SELECT json_deserialize_sql($1::JSON)', [printTree(tree)]);
  return reader.getRows()[0]![0] as string;
}

/**
 * The tree's integers past 2^53 (a BIGINT constant, an unset position) would lose digits as JavaScript numbers:
 * they are read as marked strings and written back as the digits they were.
 */
const BIG = '__llmap_big__:';
function parseTree(json: string): unknown {
  return JSON.parse(
    json.replace(/"(?:[^"\\]|\\.)*"|-?\d{16,}/g, (token) => (token.startsWith('"') ? token : `"${BIG}${token}"`)),
  );
}
function printTree(tree: unknown): string {
  return JSON.stringify(tree).replace(/"__llmap_big__:(-?\d+)"/g, '$1');
}

/** The index of a `llm_json` call's schema among the query's (each distinct schema compiled once). */
function schemaIndex(node: Node, name: string, schemas: { schema: string; structure: string }[]): number {
  const children = (node['children'] ?? []) as Node[];
  const argument = children.find((child) => child['alias'] === 'schema');
  const value = argument?.['value'] as { is_null?: boolean; value?: unknown } | undefined;
  if (!argument || argument['class'] !== 'CONSTANT' || value?.is_null || typeof value?.value !== 'string') {
    throw new InputError(
      `${name}() needs its schema as a constant: ${name}(prompt, schema := '{"type": "object", ...}') ` +
        `or schema := 'path/to/schema.json'`,
    );
  }
  const schema = value.value;
  const known = schemas.findIndex((s) => s.schema === schema);
  if (known !== -1) return known;
  const compiled = loadAnswerSchema(schema);
  return schemas.push({ schema, structure: answerStructure(compiled.jsonSchema) }) - 1;
}

/** Whether an expression holds an LLM call (after renaming, the json macros count too). */
function hasCall(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasCall);
  if (node === null || typeof node !== 'object') return false;
  const record = node as Node;
  if (record['class'] === 'FUNCTION' && typeof record['function_name'] === 'string') {
    const name = record['function_name'].toLowerCase();
    if (LLM_FUNCTIONS.has(name) || name.startsWith('__llmap_')) return true;
  }
  return Object.values(record).some(hasCall);
}

interface GuardTemplates {
  readonly and: Node;
  readonly or: Node;
}

/**
 * `plain AND calls` → `CASE WHEN (plain) IS DISTINCT FROM false THEN (plain AND calls) ELSE false END`, and
 * `plain OR calls` likewise with true: the same value for every input, NULLs included, and the calls evaluated only
 * where the plain part does not decide.
 */
function guardConjunction(node: Node, templates: GuardTemplates): Node {
  const kind = node['type'] === 'CONJUNCTION_AND' ? 'and' : node['type'] === 'CONJUNCTION_OR' ? 'or' : undefined;
  const children = node['children'] as Node[] | undefined;
  if (!kind || !children) return node;
  const calls = children.filter(hasCall);
  const plain = children.filter((child) => !hasCall(child));
  if (calls.length === 0 || plain.length === 0) return node;
  const part = (nodes: Node[]) => (nodes.length === 1 ? nodes[0]! : { ...node, children: nodes });
  return fill(templates[kind], { __llmap_plain: part(plain), __llmap_calls: part(calls) }, node['alias']);
}

/** A template's placeholders (column references) replaced by the given expressions. */
function fill(template: Node, parts: Record<string, Node>, alias: unknown): Node {
  const copy = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(copy);
    if (node === null || typeof node !== 'object') return node;
    const record = node as Node;
    const names = record['column_names'];
    if (record['class'] === 'COLUMN_REF' && Array.isArray(names) && names.length === 1 && parts[names[0] as string]) {
      return parts[names[0] as string];
    }
    return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, copy(value)]));
  };
  return { ...(copy(template) as Node), alias };
}

/** The guard expressions as DuckDB parses them, so the tree is always in the form this DuckDB reads back. */
async function guardTemplates(db: DuckDB): Promise<GuardTemplates> {
  const parsed = await parse(
    db,
    'SELECT CASE WHEN (__llmap_plain) IS DISTINCT FROM false THEN (__llmap_plain AND __llmap_calls) ELSE false END, ' +
      'CASE WHEN (__llmap_plain) IS DISTINCT FROM true THEN (__llmap_plain OR __llmap_calls) ELSE true END',
  );
  const list = ((parsed.statements[0] as Node)['node'] as Node)['select_list'] as Node[];
  return { and: list[0]!, or: list[1]! };
}
