// The sink stage: rows arrive in input order and are appended to a staging file as they come, so memory stays
// flat; when the run ends, DuckDB turns the staging file into the typed output (Parquet, JSONL or CSV) under a
// temporary name, and a rename makes it appear under its final name only when it is complete.

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { OutputColumn } from '../output/answer-columns.js';
import type { DuckDB } from './duckdb.js';
import { sqlIdentifier, sqlString } from './duckdb.js';

export type OutputFormat = 'parquet' | 'jsonl' | 'csv';

const OUTPUT_FORMATS: Readonly<Record<string, OutputFormat>> = {
  '.parquet': 'parquet',
  '.jsonl': 'jsonl',
  '.csv': 'csv',
};

/** The format a file's extension names, or undefined for one llmap does not write. */
export function outputFormatOf(path: string): OutputFormat | undefined {
  return OUTPUT_FORMATS[extname(path).toLowerCase()];
}

export interface TableWriterOptions {
  readonly path: string;
  readonly format: OutputFormat;
  /** Every output column, in order, with its DuckDB type. */
  readonly columns: readonly OutputColumn[];
  /** Parquet rows per row group (the writer holds one in memory). @default 20480 */
  readonly rowGroupSize?: number;
  /** DuckDB's memory limit for the final COPY. @default '64MB' */
  readonly memoryLimit?: string;
}

export interface TableWriter {
  /** Appends one row (an object keyed by column name). Rows must come in output order. */
  append(row: Readonly<Record<string, unknown>>): void;
  readonly rowsWritten: number;
  /** Writes the final file; resolves with its path. */
  finish(db: DuckDB): Promise<string>;
  /** Removes everything written so far. */
  abort(): void;
}

const FLUSH_BYTES = 1 << 20;

export function createTableWriter(options: TableWriterOptions): TableWriter {
  const staging = siblingPath(options.path, 'staging.jsonl');
  const fd = openSync(staging, 'w');
  let buffer: string[] = [];
  let buffered = 0;
  let rowsWritten = 0;
  let closed = false;

  const flush = () => {
    if (buffer.length === 0) return;
    writeSync(fd, buffer.join(''));
    buffer = [];
    buffered = 0;
  };
  const close = () => {
    if (closed) return;
    flush();
    closeSync(fd);
    closed = true;
  };

  return {
    append(row) {
      const line = JSON.stringify(row) + '\n';
      buffer.push(line);
      buffered += line.length;
      rowsWritten++;
      if (buffered >= FLUSH_BYTES) flush();
    },
    get rowsWritten() {
      return rowsWritten;
    },
    async finish(db) {
      close();
      const temporary = siblingPath(options.path, 'tmp');
      try {
        // Reading is over: the writer needs one row group at a time, so DuckDB gets less room (peak memory).
        await db.connection.run(`SET memory_limit = ${sqlString(options.memoryLimit ?? '64MB')}`);
        await db.connection.run(copySql(staging, temporary, options));
        renameSync(temporary, options.path);
      } finally {
        rmSync(temporary, { force: true });
        rmSync(staging, { force: true });
      }
      return options.path;
    },
    abort() {
      close();
      rmSync(staging, { force: true });
    },
  };
}

/** A hidden file beside the output, e.g. `.reviews.parquet.llmap-tmp`. */
export function siblingPath(path: string, suffix: string): string {
  return join(dirname(path), `.${basename(path)}.llmap-${suffix}`);
}

function copySql(staging: string, target: string, options: TableWriterOptions): string {
  const columnTypes = options.columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ');
  const source =
    `read_json(${sqlString(staging)}, format = 'newline_delimited', maximum_object_size = 16777216, ` +
    `columns = {${columnTypes}})`;
  const select = options.columns
    .map((c) => {
      const name = sqlIdentifier(c.name);
      return options.format === 'csv' && c.nested ? `to_json(${name})::VARCHAR AS ${name}` : name;
    })
    .join(', ');
  const format =
    options.format === 'parquet'
      ? // Row groups of 20,480 rows: the writer holds one in memory, and the default (122,880) made the final COPY
        // of 1 M rows peak at 460 MiB against 150 MiB (wide rows with long text cost more still).
        `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${options.rowGroupSize ?? 20480}`
      : options.format === 'csv'
        ? `FORMAT csv, HEADER true`
        : `FORMAT json`;
  return `COPY (SELECT ${select} FROM ${source}) TO ${sqlString(target)} (${format})`;
}
