// The source stage: a table streamed as batches of JSON-safe row objects, in input order. Before the first row
// is handed on, one scan counts the rows and converts every column, so a malformed line or a bad value anywhere
// in the file is an input error before any paid call (and the count drives the progress bar).

import { InputError } from '../job/input-error.js';
import type { DuckDB } from './duckdb.js';
import { describeRelation, sqlIdentifier } from './duckdb.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { describeInput, isGlob, plainCsvSql, relationSql, type TableInput } from './table-input.js';

/** A cell as the pipeline sees it: DuckDB's JSON form (BIGINT and DECIMAL as strings, dates as ISO text). */
export type Cell = string | number | boolean | null | Cell[] | { [key: string]: Cell };
export type Row = Record<string, Cell>;

export interface Column {
  readonly name: string;
  /** DuckDB type as SQL text, e.g. `BIGINT`, `VARCHAR`, `STRUCT(a INTEGER)`. */
  readonly type: string;
}

export interface TableSource {
  readonly columns: readonly Column[];
  readonly rowCount: number;
  /** Batches of rows in input order. Iterate once. */
  batches(): AsyncIterable<readonly Row[]>;
}

export async function openTable(db: DuckDB, input: TableInput): Promise<TableSource> {
  const relation = relationSql(input);
  const where = describeInput(input);
  const columns = await describe(db, relation, where).catch(async (error: unknown) => {
    throw (await diagnoseCsv(db, input, where)) ?? error;
  });
  const rowCount = await scan(db, relation, columns, where);
  if (rowCount === 0) throw new InputError(`input ${where} has no rows`);

  return {
    columns,
    rowCount,
    async *batches() {
      const result = await db.connection.stream(`SELECT * FROM ${relation}`);
      let seen = 0;
      // Read one chunk ahead: DuckDB fetches the next chunk on its own thread while this one is processed.
      const chunks = result.yieldRowObjectJson()[Symbol.asyncIterator]();
      let ahead = chunks.next();
      for (;;) {
        const chunk = await ahead;
        if (chunk.done) break;
        ahead = chunks.next();
        seen += chunk.value.length;
        yield chunk.value;
      }
      // DuckDB's streaming reader can end early without an error when a read fails mid-way; the count from the
      // scan is the truth, so a short stream is a failure, never a silently shorter output.
      if (seen !== rowCount) {
        throw new InputError(
          `input ${where} changed or could not be read while streaming: ${seen} of ${rowCount} rows`,
        );
      }
    },
  };
}

async function describe(db: DuckDB, relation: string, where: string): Promise<Column[]> {
  try {
    return await describeRelation(db, relation);
  } catch (error) {
    throw new InputError(`cannot read input ${where}: ${duckdbMessage(error)}`, { cause: error });
  }
}

/** Counts rows while forcing every column through conversion, which surfaces malformed lines and bad values. */
async function scan(db: DuckDB, relation: string, columns: readonly Column[], where: string): Promise<number> {
  const counts = columns.map((column) => `count(${sqlIdentifier(column.name)})`).join(', ');
  try {
    const reader = await db.connection.runAndReadAll(`SELECT count(*)${counts ? `, ${counts}` : ''} FROM ${relation}`);
    return Number(reader.getRowsJson()[0]?.[0] ?? 0);
  } catch (error) {
    throw new InputError(`cannot read input ${where}: ${duckdbMessage(error)}`, { cause: error });
  }
}

/** For a CSV the sniffer could not read, a plain reading that names the malformed line, if it finds one. */
async function diagnoseCsv(db: DuckDB, input: TableInput, where: string): Promise<InputError | undefined> {
  if (input.kind !== 'file' || (input.format !== 'csv' && input.format !== 'tsv') || isGlob(input.path))
    return undefined;
  const header = headerFields(input.path, input.format === 'tsv' ? '\t' : ',');
  try {
    await db.connection.runAndReadAll(`SELECT count(*) FROM ${plainCsvSql(input, header)}`);
    return undefined;
  } catch (error) {
    return new InputError(`cannot read input ${where}: ${duckdbMessage(error)}`, { cause: error });
  }
}

/** The header line's fields (quotes honoured), read from the file's first 64 KiB. */
function headerFields(path: string, delimiter: string): string[] {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(65536);
  const length = readSync(fd, buffer, 0, buffer.length, 0);
  closeSync(fd);
  const text = buffer
    .subarray(0, length)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') break;
    else field += ch;
  }
  fields.push(field);
  return fields;
}

/** DuckDB's message, without the long "possible fixes" advice aimed at SQL users. */
export function duckdbMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, 4)
    .join('; ')
    .replace(/Possible fixes:.*$/, '')
    .trim();
}
