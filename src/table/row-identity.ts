// How a row is known across runs: the value of the --id column, or a hash of the row's content (so duplicate rows
// share an id, and an answer). An --id column must be unique and never empty; that is checked before any call.

import { createHash } from 'node:crypto';
import { InputError } from '../job/input-error.js';
import type { DuckDB } from './duckdb.js';
import { sqlIdentifier } from './duckdb.js';
import type { Column, Row } from './read-table.js';

export type RowIdentity = (row: Row) => string;

export function rowIdentity(idColumn: string | undefined): RowIdentity {
  if (idColumn === undefined) {
    return (row) => createHash('sha256').update(JSON.stringify(row)).digest('hex').slice(0, 32);
  }
  return (row) => {
    const cell = row[idColumn];
    return typeof cell === 'string' ? cell : JSON.stringify(cell);
  };
}

/** Fails with the offending values when the id column is missing, has empty cells or repeats a value. */
export async function checkIdColumn(
  db: DuckDB,
  relation: string,
  columns: readonly Column[],
  idColumn: string,
  where: string,
): Promise<void> {
  if (!columns.some((c) => c.name === idColumn)) {
    throw new InputError(
      `--id ${idColumn}: input ${where} has no such column; its columns are ${columns.map((c) => c.name).join(', ')}`,
    );
  }
  const id = sqlIdentifier(idColumn);
  const nulls = await db.connection.runAndReadAll(`SELECT count(*) FROM ${relation} WHERE ${id} IS NULL`);
  const nullCount = Number(nulls.getRowsJson()[0]?.[0] ?? 0);
  if (nullCount > 0) {
    throw new InputError(`--id ${idColumn}: ${nullCount} row(s) of ${where} have no value in the id column`);
  }
  const repeats = await db.connection.runAndReadAll(
    `SELECT ${id}::VARCHAR, count(*) FROM ${relation} GROUP BY ${id} HAVING count(*) > 1 ` +
      `ORDER BY count(*) DESC, ${id}::VARCHAR LIMIT 5`,
  );
  const rows = repeats.getRowsJson();
  if (rows.length > 0) {
    const listed = rows.map(([value, n]) => `${JSON.stringify(value)} (${Number(n)} rows)`).join(', ');
    throw new InputError(
      `--id ${idColumn} is not unique in ${where}: ${listed}${rows.length === 5 ? ', ...' : ''}; ` +
        `an id must name one row, so answers can be matched to rows across runs`,
    );
  }
}
