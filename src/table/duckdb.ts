// One DuckDB instance per job, in memory, shared by the reader and the writer. Its memory is capped so a
// large table streams through it rather than into it.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDB {
  readonly connection: DuckDBConnection;
  close(): void;
}

export async function openDuckDB(options: { memoryLimit?: string; threads?: number } = {}): Promise<DuckDB> {
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: options.memoryLimit ?? '128MB',
    threads: String(options.threads ?? 1),
  });
  const connection = await instance.connect();
  return {
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** Column names and DuckDB types of a relation (a table function, a file path in quotes, a subquery). */
export async function describeRelation(db: DuckDB, relation: string): Promise<{ name: string; type: string }[]> {
  const reader = await db.connection.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`);
  return reader.getRowsJson().map((row) => ({ name: row[0] as string, type: row[1] as string }));
}

/** A string as an SQL literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A name as an SQL identifier. */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
