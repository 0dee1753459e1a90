// The LLM functions of `llmap sql`, registered on a DuckDB connection: macros with the names and named arguments a
// query uses (`llm(body, model := 'openai:gpt-4o-mini')`), over two JavaScript scalar functions that answer from the
// call book. A call the book does not know yet is recorded and is NULL in this run of the query; the engine answers
// it before the next run.

import {
  DOUBLE,
  DuckDBScalarFunction,
  INTEGER,
  VARCHAR,
  type DuckDBDataChunk,
  type DuckDBVector,
} from '@duckdb/node-api';
import type { DuckDB } from '../table/duckdb.js';
import { sqlString } from '../table/duckdb.js';
import type { CallBook, CallConfig, CallKind } from './call-book.js';

/** The arguments every generating function takes after its prompt, as SQL (named, with defaults). */
const GENERATE_ARGS = 'model := NULL, system := NULL, temperature := NULL, max_tokens := NULL';
/** The same arguments passed on to the scalar functions, after kind, prompt and schema. */
const PASS_ARGS = 'model, system, temperature, max_tokens';

/** The error that cuts a run of the query short once it has recorded as many new calls as it may. */
export const RUN_FULL = 'llmap: this run of the query recorded enough new calls';

/** Registers `llm`, `try_llm`, `llm_filter`, `llm_embed` and the scalar functions behind them. */
export async function registerLlmFunctions(db: DuckDB, book: CallBook): Promise<void> {
  const connection = db.connection;
  const parameterTypes = [VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, DOUBLE, INTEGER];
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: '__llmap_call',
      returnType: VARCHAR,
      parameterTypes,
      // NULL arguments (no model given) reach the function; a NULL prompt is answered NULL without a call.
      specialHandling: true,
      mainFunction: (info, input, output) => {
        try {
          book.batch(() =>
            eachCall(
              book,
              input,
              (row, configId, prompt) => output.setItem(row, book.lookup(configId, prompt)?.value ?? null),
              (row) => output.setItem(row, null),
            ),
          );
          output.flush();
          if (book.full) info.setError(RUN_FULL);
        } catch (error) {
          info.setError(error instanceof Error ? error.message : String(error));
        }
      },
    }),
  );
  connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: '__llmap_error',
      returnType: VARCHAR,
      parameterTypes,
      specialHandling: true,
      mainFunction: (info, input, output) => {
        try {
          eachCall(
            book,
            input,
            (row, configId, prompt) => {
              output.setItem(row, book.peek(configId, prompt)?.error ?? null);
            },
            (row) => output.setItem(row, null),
          );
          output.flush();
        } catch (error) {
          info.setError(error instanceof Error ? error.message : String(error));
        }
      },
    }),
  );
  const call = (kind: CallKind, schema = 'NULL') => `__llmap_call('${kind}', prompt, ${schema}, ${PASS_ARGS})`;
  const error = (kind: CallKind, schema = 'NULL') => `__llmap_error('${kind}', prompt, ${schema}, ${PASS_ARGS})`;
  const macros = [
    `llm(prompt, ${GENERATE_ARGS}) AS ${call('text')}`,
    `try_llm(prompt, ${GENERATE_ARGS}) AS {'result': ${call('text')}, 'error': ${error('text')}}`,
    `llm_filter(prompt, ${GENERATE_ARGS}) AS ${call('filter')}::BOOLEAN`,
    `try_llm_filter(prompt, ${GENERATE_ARGS}) AS {'result': ${call('filter')}::BOOLEAN, 'error': ${error('filter')}}`,
    `llm_embed(prompt, model := NULL) AS __llmap_call('embed', prompt, NULL, model, NULL, NULL, NULL)::FLOAT[]`,
    `try_llm_embed(prompt, model := NULL) AS {'result': __llmap_call('embed', prompt, NULL, model, NULL, NULL, NULL)::FLOAT[], ` +
      `'error': __llmap_error('embed', prompt, NULL, model, NULL, NULL, NULL)}`,
  ];
  for (const macro of macros) await connection.run(`CREATE OR REPLACE TEMP MACRO ${macro}`);
}

/**
 * The macros of one `llm_json` schema: its value typed as the schema's STRUCT (`from_json` with a constant
 * structure, which DuckDB needs at bind time, so each schema of a query gets its own pair).
 */
export async function registerJsonSchema(db: DuckDB, index: number, schema: string, structure: string): Promise<void> {
  const args = `schema := NULL, ${GENERATE_ARGS}`;
  const value = `from_json(__llmap_call('json', prompt, ${sqlString(schema)}, ${PASS_ARGS}), ${sqlString(structure)})`;
  const error = `__llmap_error('json', prompt, ${sqlString(schema)}, ${PASS_ARGS})`;
  await db.connection.run(`CREATE OR REPLACE TEMP MACRO ${jsonMacroName(index)}(prompt, ${args}) AS ${value}`);
  await db.connection.run(
    `CREATE OR REPLACE TEMP MACRO ${jsonMacroName(index, true)}(prompt, ${args}) AS {'result': ${value}, 'error': ${error}}`,
  );
}

export function jsonMacroName(index: number, tryVariant = false): string {
  return `${tryVariant ? '__llmap_try_json_' : '__llmap_json_'}${index}`;
}

/** Each row's call: its config's id (from the arguments' text, built once) and its prompt; `none` for a NULL prompt. */
function eachCall(
  book: CallBook,
  input: DuckDBDataChunk,
  each: (row: number, configId: number, prompt: string) => void,
  none: (row: number) => void,
): void {
  const [kinds, prompts, schemas, models, systems, temperatures, maxTokens] = [0, 1, 2, 3, 4, 5, 6].map((i) =>
    input.getColumnVector(i),
  ) as [DuckDBVector, DuckDBVector, DuckDBVector, DuckDBVector, DuckDBVector, DuckDBVector, DuckDBVector];
  let lastKey = '';
  let lastId = -1;
  for (let row = 0; row < input.rowCount; row++) {
    const prompt = prompts.getItem(row) as string | null;
    if (prompt === null) {
      none(row);
      continue;
    }
    const kind = kinds.getItem(row) as CallKind;
    const schema = schemas.getItem(row) as string | null;
    const model = models.getItem(row) as string | null;
    const system = systems.getItem(row) as string | null;
    const temperature = temperatures.getItem(row) as number | null;
    const tokens = maxTokens.getItem(row) as number | null;
    const key = `${kind}\u0001${schema}\u0001${model}\u0001${system}\u0001${temperature}\u0001${tokens}`;
    if (key !== lastKey) {
      lastKey = key;
      lastId = book.configId(key, (): CallConfig => ({
        kind,
        model: model ?? undefined,
        schema: schema ?? undefined,
        system: system ?? undefined,
        temperature: temperature ?? undefined,
        maxTokens: tokens ?? undefined,
      }));
    }
    each(row, lastId, prompt);
  }
}
