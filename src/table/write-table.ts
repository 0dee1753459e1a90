// The sink stage: rows arrive in input order and are appended to a staging file as they come, so memory stays
// flat; when the run ends, DuckDB turns the staging file into the typed output (Parquet, JSONL or CSV) under a
// temporary name, and a rename makes it appear under its final name only when it is complete.

import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { totalmem } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { InputError } from '../job/input-error.js';
import type { OutputColumn } from '../output/answer-columns.js';
import type { DuckDB } from './duckdb.js';
import { isOutOfMemory, sqlIdentifier, sqlString } from './duckdb.js';
import { RowWidths } from './row-widths.js';

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
  /** Most rows in a Parquet row group; wide rows get fewer (see `planWrite`). @default 20480 */
  readonly maxRowGroupRows?: number;
  /** DuckDB's memory limit for the first write, doubled by each retry. @default planned from the rows' widths */
  readonly memoryLimitBytes?: number;
}

export interface TableWriter {
  /** Appends one row (an object keyed by column name). Rows must come in output order. */
  append(row: Readonly<Record<string, unknown>>): void;
  readonly rowsWritten: number;
  /**
   * Writes the file at `path` (default: the writer's own path) and removes the staging file; resolves with the
   * path. A memory shortfall in DuckDB is not a failure: the write is tried again with smaller row groups and
   * more room (`notes` says so).
   */
  finish(db: DuckDB, path?: string): Promise<string>;
  /** How the last `finish` went when it had to degrade. */
  readonly notes: readonly string[];
  /** Removes everything written so far. */
  abort(): void;
}

const MiB = 1024 * 1024;
const FLUSH_BYTES = 1 << 20;
/** Writes after the first, each with a group per chunk and twice the memory of the one before. */
const MEMORY_RETRIES = 2;

export function createTableWriter(options: TableWriterOptions): TableWriter {
  const staging = siblingPath(options.path, 'staging.jsonl');
  let fd: number;
  try {
    fd = openSync(staging, 'w');
  } catch (error) {
    // Before any request: a folder llmap cannot write in is the user's to fix, not a run to pay for and lose.
    throw new InputError(`cannot write the output beside ${options.path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const widths = new RowWidths();
  let buffer: string[] = [];
  let buffered = 0;
  let rowsWritten = 0;
  let closed = false;
  let notes: string[] = [];

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
      widths.add(Buffer.byteLength(line));
      rowsWritten++;
      if (buffered >= FLUSH_BYTES) flush();
    },
    get rowsWritten() {
      return rowsWritten;
    },
    get notes() {
      return notes;
    },
    async finish(db, path = options.path) {
      close();
      notes = [];
      const temporary = siblingPath(path, 'tmp');
      const before = await currentMemoryLimit(db);
      try {
        let shortfall: string | undefined;
        for (let attempt = 0; ; attempt++) {
          const planned = planWrite(widths, {
            format: options.format,
            columns: options.columns.length,
            attempt,
            maxRowGroupRows: options.maxRowGroupRows,
          });
          const plan =
            options.memoryLimitBytes === undefined
              ? planned
              : { ...planned, memoryLimitBytes: options.memoryLimitBytes * 2 ** attempt };
          try {
            await db.connection.run(`SET memory_limit = '${Math.ceil(plan.memoryLimitBytes / MiB)}MiB'`);
            await db.connection.run(copySql(staging, temporary, options, plan));
            if (shortfall !== undefined) {
              notes = [
                `the output writer ran short of memory (${shortfall}) and wrote the file again with smaller row ` +
                  `groups and up to ${Math.ceil(plan.memoryLimitBytes / MiB)} MiB`,
              ];
            }
            break;
          } catch (error) {
            rmSync(temporary, { force: true });
            if (!isOutOfMemory(error) || attempt === MEMORY_RETRIES) throw error;
            shortfall ??= (error as Error).message.split('\n')[0];
          }
        }
        renameSync(temporary, path);
      } finally {
        rmSync(temporary, { force: true });
        rmSync(staging, { force: true });
        await db.connection.run(`SET memory_limit = ${sqlString(before)}`);
      }
      return path;
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

/** DuckDB's vector size: its JSON reader parses, and its writers take, up to this many rows at a time. */
const CHUNK_ROWS = 2048;
/**
 * Staged JSON bytes in one Parquet row group. DuckDB holds a whole group while it writes it, at 1.7× (tickets
 * with a tags list, objects in a list) to 2.8× (6 KB texts) the group's JSON size.
 */
const ROW_GROUP_BYTES = 8 * MiB;
/** What a COPY needs whatever the rows, besides the JSON reader's buffers (twice the widest row it may read). */
const BASE_MEMORY = 32 * MiB;
/** The JSON reader parses a chunk of rows at once; JSON and CSV writers buffer about as much (up to 8× measured). */
const CHUNK_FACTOR = 8;
/** A Parquet row group in memory, against its staged JSON size (2.8× measured at most). */
const GROUP_FACTOR = 3;
/** Each column's own buffers in the readers and writers (200 columns took 60 MiB more than 25). */
const COLUMN_BYTES = 256 * 1024;
/** The longest JSON line DuckDB reads by default (its buffers are twice this); a wider row raises it. */
const MAX_OBJECT_BYTES = 16 * MiB;

export interface WritePlan {
  /** Parquet rows per row group; 1 writes each chunk the reader gives as its own group (at most 2,048 rows). */
  readonly rowGroupRows: number;
  /** DuckDB's memory limit for the COPY. */
  readonly memoryLimitBytes: number;
  /** The widest row, for the JSON reader's `maximum_object_size`. */
  readonly maxObjectBytes: number;
}

/**
 * How the staging file is turned into the output, from the widths of the rows it holds: row groups hold at most
 * ROW_GROUP_BYTES of staged JSON (20,480 rows of 150 bytes, 6,144 triage tickets, one chunk of 1,536-float
 * vectors), so memory depends on how wide rows are, never on how many. The memory limit is a ceiling sized from
 * the same widths with room to spare, not a budget DuckDB fills. A later attempt (after a memory shortfall)
 * writes a group per chunk with twice the limit.
 */
export function planWrite(
  widths: Pick<RowWidths, 'maxWindow' | 'maxRow'>,
  options: {
    readonly format: OutputFormat;
    /** How many columns the output has. */
    readonly columns: number;
    /** 0 for the first write, 1 and 2 for the retries after a memory shortfall. */
    readonly attempt?: number;
    readonly maxRowGroupRows?: number | undefined;
    /** @default 80% of the machine's memory, DuckDB's own default */
    readonly memoryCeiling?: number;
  },
): WritePlan {
  const { format } = options;
  const attempt = options.attempt ?? 0;
  const maxObjectBytes = Math.max(MAX_OBJECT_BYTES, widths.maxRow + 1);
  const chunk = widths.maxWindow(CHUNK_ROWS);
  let rowGroupRows = 1;
  if (format === 'parquet' && attempt === 0) {
    // DuckDB closes a group at the first chunk that takes it to rowGroupRows, so a group holds up to a chunk more.
    const most = Math.floor((options.maxRowGroupRows ?? 20480) / CHUNK_ROWS) * CHUNK_ROWS;
    for (let rows = most; rows >= CHUNK_ROWS; rows -= CHUNK_ROWS) {
      if (widths.maxWindow(rows + CHUNK_ROWS - 1) <= ROW_GROUP_BYTES) {
        rowGroupRows = rows;
        break;
      }
    }
  }
  const group = format === 'parquet' ? widths.maxWindow(rowGroupRows + CHUNK_ROWS - 1) : 0;
  const needed =
    BASE_MEMORY + 2 * maxObjectBytes + COLUMN_BYTES * options.columns + CHUNK_FACTOR * chunk + GROUP_FACTOR * group;
  const ceiling = options.memoryCeiling ?? totalmem() * 0.8;
  return { rowGroupRows, memoryLimitBytes: Math.min(needed * 2 ** attempt, ceiling), maxObjectBytes };
}

async function currentMemoryLimit(db: DuckDB): Promise<string> {
  const reader = await db.connection.runAndReadAll(`SELECT current_setting('memory_limit')`);
  return String(reader.getRows()[0]?.[0]);
}

function copySql(staging: string, target: string, options: TableWriterOptions, plan: WritePlan): string {
  const columnTypes = options.columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ');
  const source =
    `read_json(${sqlString(staging)}, format = 'newline_delimited', maximum_object_size = ${plan.maxObjectBytes}, ` +
    `columns = {${columnTypes}})`;
  const select = options.columns
    .map((c) => {
      const name = sqlIdentifier(c.name);
      return options.format === 'csv' && c.nested ? `to_json(${name})::VARCHAR AS ${name}` : name;
    })
    .join(', ');
  // Rows keep the staging file's order because DuckDB preserves insertion order (its default); that is also why
  // groups are sized in rows here: ROW_GROUP_SIZE_BYTES works only with that order given up.
  const format =
    options.format === 'parquet'
      ? `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${plan.rowGroupRows}`
      : options.format === 'csv'
        ? `FORMAT csv, HEADER true`
        : `FORMAT json`;
  return `COPY (SELECT ${select} FROM ${source}) TO ${sqlString(target)} (${format})`;
}
