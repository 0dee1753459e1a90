// A query before it runs: parsed by DuckDB (`json_serialize_sql`, which runs nothing), checked to be one SELECT, and
// each `llm_json(..., schema := '<JSON Schema>')` renamed to the macro of its schema, whose value is the schema's
// STRUCT type (DuckDB must know a function's type when it binds the query, before any row is read).

import { InputError } from '../job/input-error.js';
import { loadAnswerSchema } from '../output/answer-schema.js';
import { answerStructure } from '../output/answer-columns.js';
import type { DuckDB } from '../table/duckdb.js';
import { jsonMacroName } from './llm-functions.js';

export interface PlannedQuery {
  /** The query as it runs, `llm_json` calls renamed. */
  readonly sql: string;
  /** The distinct schemas of its `llm_json` calls, by macro index, with their `from_json` structure. */
  readonly schemas: readonly { readonly schema: string; readonly structure: string }[];
  /** The LLM functions the query names (a query that names none is plain SQL, answered in one run). */
  readonly functions: readonly string[];
}

const LLM_FUNCTIONS = new Set(['llm', 'try_llm', 'llm_filter', 'try_llm_filter', 'llm_embed', 'try_llm_embed']);
const JSON_FUNCTIONS = new Set(['llm_json', 'try_llm_json']);

interface FunctionNode {
  readonly class: 'FUNCTION';
  readonly function_name: string;
  readonly query_location: number;
  readonly children: readonly { class: string; alias: string; value?: { is_null: boolean; value: unknown } }[];
}

export async function planQuery(db: DuckDB, sql: string): Promise<PlannedQuery> {
  const reader = await db.connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const parsed = JSON.parse(reader.getRows()[0]![0] as string) as {
    error: boolean;
    error_message?: string;
    statements?: unknown[];
  };
  if (parsed.error) {
    const message = parsed.error_message ?? 'cannot parse the query';
    throw new InputError(
      /Only SELECT/.test(message)
        ? 'llmap sql runs one SELECT (or WITH ... SELECT) query; write its result with -o FILE or -o postgres://.../db?table=NAME'
        : `the query does not parse: ${message}`,
    );
  }
  if (parsed.statements?.length !== 1) {
    throw new InputError(`llmap sql runs one query; this text holds ${parsed.statements?.length ?? 0}`);
  }
  const calls: FunctionNode[] = [];
  walk(parsed.statements[0], (node) => calls.push(node));
  const schemas: { schema: string; structure: string }[] = [];
  const renames: { at: number; from: string; to: string }[] = [];
  for (const node of calls) {
    if (!JSON_FUNCTIONS.has(node.function_name)) continue;
    const schema = schemaArgument(node);
    let index = schemas.findIndex((s) => s.schema === schema);
    if (index === -1) {
      const compiled = loadAnswerSchema(schema);
      index = schemas.push({ schema, structure: answerStructure(compiled.jsonSchema) }) - 1;
    }
    renames.push({
      at: node.query_location,
      from: node.function_name,
      to: jsonMacroName(index, node.function_name.startsWith('try_')),
    });
  }
  const functions = [
    ...new Set(calls.map((c) => c.function_name).filter((n) => LLM_FUNCTIONS.has(n) || JSON_FUNCTIONS.has(n))),
  ];
  return { sql: rename(sql, renames), schemas, functions };
}

/** Every function call in a parsed statement, in any clause, CTE or subquery. */
function walk(node: unknown, visit: (node: FunctionNode) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (record['class'] === 'FUNCTION' && typeof record['function_name'] === 'string') {
    const named = record as unknown as FunctionNode;
    visit({ ...named, function_name: named.function_name.toLowerCase() });
  }
  for (const value of Object.values(record)) walk(value, visit);
}

function schemaArgument(node: FunctionNode): string {
  const argument = node.children.find((child) => child.alias === 'schema');
  if (
    !argument ||
    argument.class !== 'CONSTANT' ||
    argument.value?.is_null ||
    typeof argument.value?.value !== 'string'
  ) {
    throw new InputError(
      `${node.function_name}() needs its schema as a constant: ${node.function_name}(prompt, schema := '{"type": "object", ...}') ` +
        `or schema := 'path/to/schema.json'`,
    );
  }
  return argument.value.value;
}

/** Renames functions at their byte offsets (DuckDB's `query_location` counts UTF-8 bytes). */
function rename(sql: string, renames: readonly { at: number; from: string; to: string }[]): string {
  const bytes = Buffer.from(sql, 'utf8');
  const parts: Buffer[] = [];
  let last = 0;
  for (const { at, from, to } of [...renames].sort((a, b) => a.at - b.at)) {
    if (
      bytes
        .subarray(at, at + from.length)
        .toString('utf8')
        .toLowerCase() !== from
    ) {
      throw new InputError(
        `cannot find ${from}() at byte ${at} of the query (write it without quotes or a schema prefix)`,
      );
    }
    parts.push(bytes.subarray(last, at), Buffer.from(to, 'utf8'));
    last = at + from.length;
  }
  parts.push(bytes.subarray(last));
  return Buffer.concat(parts).toString('utf8');
}
