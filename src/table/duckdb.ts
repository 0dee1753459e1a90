// One DuckDB instance per job, in memory, shared by the reader and the writer. Its memory is capped so a
// large table streams through it rather than into it; what does not fit spills to a temporary directory.

import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface DuckDB {
  readonly connection: DuckDBConnection;
  close(): void;
}

export interface DuckDBOptions {
  /** @default '128MB' */
  readonly memoryLimit?: string;
  /** @default 1 */
  readonly threads?: number;
  /**
   * Where DuckDB spills what does not fit in its memory limit (created on first use, removed on close).
   * @default DuckDB's own: `.tmp` in the working directory
   */
  readonly tempDirectory?: string;
}

export async function openDuckDB(options: DuckDBOptions = {}): Promise<DuckDB> {
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: options.memoryLimit ?? '128MB',
    threads: String(options.threads ?? 1),
    ...(options.tempDirectory === undefined ? {} : { temp_directory: options.tempDirectory }),
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

/**
 * Whether DuckDB failed for want of memory. The node API does not expose the C API's error type, so this reads
 * the type's name, which DuckDB puts first in every message (`Out of Memory Error: failed to pin block ...`).
 */
export function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('Out of Memory Error');
}

/** A string as an SQL literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A name as an SQL identifier. */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
