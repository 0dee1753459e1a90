// Where a query's result goes: a file (Parquet, JSONL or CSV, written beside its name and renamed into place), or
// stdout as a table for a person or JSON lines for a program.

import { renameSync, rmSync } from 'node:fs';
import { isNestedType } from '../output/answer-columns.js';
import { describeRelation, sqlIdentifier, sqlString, type DuckDB } from '../table/duckdb.js';
import { siblingPath, type OutputFormat } from '../table/write-table.js';

/** Writes the table to `path` atomically: a reader of the name sees the old file or the whole new one. */
export async function writeResultFile(db: DuckDB, table: string, path: string, format: OutputFormat): Promise<void> {
  const staging = siblingPath(path, `writing.${format}`);
  const options =
    format === 'parquet'
      ? 'FORMAT parquet, COMPRESSION zstd'
      : format === 'csv'
        ? 'FORMAT csv, HEADER true'
        : 'FORMAT json';
  // CSV has no nested types: lists and structs are written as JSON text.
  const select = format === 'csv' ? await csvSelect(db, table) : '*';
  try {
    await db.connection.run(`COPY (SELECT ${select} FROM ${table}) TO ${sqlString(staging)} (${options})`);
    renameSync(staging, path);
  } finally {
    rmSync(staging, { force: true });
  }
}

async function csvSelect(db: DuckDB, table: string): Promise<string> {
  return (await describeRelation(db, table))
    .map(({ name, type }) => {
      const column = sqlIdentifier(name);
      return isNestedType(type) ? `to_json(${column})::VARCHAR AS ${column}` : column;
    })
    .join(', ');
}

/** Streams the table to `out` as one JSON object per line. */
export async function writeResultJson(db: DuckDB, table: string, out: NodeJS.WritableStream): Promise<void> {
  const result = await db.connection.stream(`SELECT * FROM ${table}`);
  for await (const rows of result.yieldRowObjectJson()) {
    const text = rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
    if (!out.write(text)) await new Promise((resolve) => out.once('drain', resolve));
  }
}

/** The first `limit` rows as a text table, cells cut at `width` characters, and how many rows were left out. */
export async function resultPreview(
  db: DuckDB,
  table: string,
  limit: number,
  width = 60,
): Promise<{ header: string[]; rows: string[][] }> {
  const reader = await db.connection.runAndReadAll(`SELECT * FROM ${table} LIMIT ${limit}`);
  const header = reader.columnNames();
  const rows = reader.getRowsJson().map((row) =>
    row.map((cell) => {
      const text = cell === null ? 'NULL' : typeof cell === 'string' ? cell : JSON.stringify(cell);
      const flat = text.replace(/\s+/g, ' ');
      return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
    }),
  );
  return { header, rows };
}
