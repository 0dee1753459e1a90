// The LLM functions of `llmap sql`, registered on a DuckDB connection: macros with the names and named arguments a
// query uses (`llm(body, model := 'openai:gpt-4o-mini')`), over two JavaScript scalar functions that answer from the
// call book. A call the book does not know yet is recorded and is NULL in this run of the query; the engine answers
// it before the next run.

import { DOUBLE, DuckDBScalarFunction, INTEGER, VARCHAR, type DuckDBDataChunk } from '@duckdb/node-api';
import type { DuckDB } from '../table/duckdb.js';
import { sqlString } from '../table/duckdb.js';
import type { CallBook, CallConfig, CallKind } from './call-book.js';

/** The arguments every generating function takes after its prompt, as SQL (named, with defaults). */
const GENERATE_ARGS = 'model := NULL, system := NULL, temperature := NULL, max_tokens := NULL';
/**
 * What a macro passes to the scalar functions: a key of the call's settings, hashed by DuckDB, then the kind, the
 * prompt and the settings themselves. DuckDB hands a JavaScript function every row's every argument, constants too,
 * and decoding a long system prompt or schema per row would cost more than the lookup; the function reads the
 * 53-bit key per row and decodes the settings only when the key is new (two settings of one query sharing a key is
 * a 2^-53 chance).
 */
function callArgs(
  kind: CallKind,
  schema: string,
  prompt = 'prompt',
  settings = 'model, system, temperature, max_tokens',
): string {
  return `(hash('${kind}', ${schema}, ${settings}) >> 11)::DOUBLE, '${kind}', ${prompt}, ${schema}, ${settings}`;
}

/** The error that cuts a run of the query short once it has recorded as many new calls as it may. */
export const RUN_FULL = 'llmap: this run of the query recorded enough new calls';

/** Registers `llm`, `try_llm`, `llm_filter`, `llm_embed` and the scalar functions behind them. */
export async function registerLlmFunctions(db: DuckDB, book: CallBook): Promise<void> {
  const connection = db.connection;
  // `__llmap_call` answers (and records what it cannot); `__llmap_error` says why a call is NULL, recording nothing.
  connection.registerScalarFunction(
    answerFunction('__llmap_call', book, (configId, prompt) => book.lookup(configId, prompt)?.value, true),
  );
  connection.registerScalarFunction(
    answerFunction('__llmap_error', book, (configId, prompt) => book.peek(configId, prompt)?.error, false),
  );
  const call = (kind: CallKind) => `__llmap_call(${callArgs(kind, 'NULL')})`;
  const error = (kind: CallKind) => `__llmap_error(${callArgs(kind, 'NULL')})`;
  const embed = `__llmap_call(${callArgs('embed', 'NULL', 'prompt', 'model, NULL, NULL, NULL')})`;
  const embedError = `__llmap_error(${callArgs('embed', 'NULL', 'prompt', 'model, NULL, NULL, NULL')})`;
  const macros = [
    `llm(prompt, ${GENERATE_ARGS}) AS ${call('text')}`,
    `try_llm(prompt, ${GENERATE_ARGS}) AS {'result': ${call('text')}, 'error': ${error('text')}}`,
    `llm_filter(prompt, ${GENERATE_ARGS}) AS ${call('filter')}::BOOLEAN`,
    `try_llm_filter(prompt, ${GENERATE_ARGS}) AS {'result': ${call('filter')}::BOOLEAN, 'error': ${error('filter')}}`,
    `llm_embed(prompt, model := NULL) AS ${embed}::FLOAT[]`,
    `try_llm_embed(prompt, model := NULL) AS {'result': ${embed}::FLOAT[], 'error': ${embedError}}`,
  ];
  for (const macro of macros) await connection.run(`CREATE OR REPLACE TEMP MACRO ${macro}`);
}

/**
 * The macros of one `llm_json` schema: its value typed as the schema's STRUCT (`from_json` with a constant
 * structure, which DuckDB needs at bind time, so each schema of a query gets its own pair).
 */
export async function registerJsonSchema(db: DuckDB, index: number, schema: string, structure: string): Promise<void> {
  const args = `schema := NULL, ${GENERATE_ARGS}`;
  const value = `from_json(__llmap_call(${callArgs('json', sqlString(schema))}), ${sqlString(structure)})`;
  const error = `__llmap_error(${callArgs('json', sqlString(schema))})`;
  await db.connection.run(`CREATE OR REPLACE TEMP MACRO ${jsonMacroName(index)}(prompt, ${args}) AS ${value}`);
  await db.connection.run(
    `CREATE OR REPLACE TEMP MACRO ${jsonMacroName(index, true)}(prompt, ${args}) AS {'result': ${value}, 'error': ${error}}`,
  );
}

export function jsonMacroName(index: number, tryVariant = false): string {
  return `${tryVariant ? '__llmap_try_json_' : '__llmap_json_'}${index}`;
}

/** A scalar function over the macros' arguments that fills each row with `answer` (NULL for a NULL prompt). */
function answerFunction(
  name: string,
  book: CallBook,
  answer: (configId: number, prompt: string) => string | undefined,
  records: boolean,
): DuckDBScalarFunction {
  return DuckDBScalarFunction.create({
    name,
    returnType: VARCHAR,
    parameterTypes: [DOUBLE, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, DOUBLE, INTEGER],
    // NULL arguments (no model given) reach the function; a NULL prompt is answered NULL without a call.
    specialHandling: true,
    mainFunction: (info, input, output) => {
      try {
        // One transaction per chunk for the calls it records.
        book.batch(() =>
          eachCall(
            book,
            input,
            (row, configId, prompt) => output.setItem(row, answer(configId, prompt) ?? null),
            (row) => output.setItem(row, null),
          ),
        );
        output.flush();
        if (records && book.full) info.setError(RUN_FULL);
      } catch (error) {
        info.setError(error instanceof Error ? error.message : String(error));
      }
    },
  });
}

/** Each row's call: its config's id (from the settings' key, built once per key) and its prompt; `none` for a NULL
 * prompt. */
function eachCall(
  book: CallBook,
  input: DuckDBDataChunk,
  each: (row: number, configId: number, prompt: string) => void,
  none: (row: number) => void,
): void {
  const keys = input.getColumnVector(0);
  const prompts = input.getColumnVector(2);
  let lastKey: unknown = undefined;
  let lastId = -1;
  for (let row = 0; row < input.rowCount; row++) {
    const prompt = prompts.getItem(row) as string | null;
    if (prompt === null) {
      none(row);
      continue;
    }
    const key = keys.getItem(row);
    if (key !== lastKey) {
      lastKey = key;
      lastId = book.configId(String(key), () => settingsOf(input, row));
    }
    each(row, lastId, prompt);
  }
}

/** The settings of the call in `row`, decoded from its arguments. */
function settingsOf(input: DuckDBDataChunk, row: number): CallConfig {
  const item = <T>(column: number) => (input.getColumnVector(column).getItem(row) as T | null) ?? undefined;
  return {
    kind: item<CallKind>(1)!,
    schema: item<string>(3),
    model: item<string>(4),
    system: item<string>(5),
    temperature: item<number>(6),
    maxTokens: item<number>(7),
  };
}
