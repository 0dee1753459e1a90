// A Postgres table or query read once into a local Parquet file, which the job then reads like any table (DuckDB's
// postgres extension is downloaded at run time, which fails offline, so this uses the pg driver). The rows stream
// out with `COPY (...) TO STDOUT` as CSV, the fastest way out of Postgres, into a file on disk, and DuckDB types
// them from the columns' Postgres types: memory stays flat however large the table.

import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import { InputError } from '../../job/input-error.js';
import { sqlString, type DuckDB } from '../duckdb.js';
import { siblingPath } from '../write-table.js';
import { connectPostgres, pgRelation, type PgLocation } from './pg-location.js';

/** DuckDB types of Postgres types, by type OID (pg_type); any other type is read as its text. */
const DUCKDB_TYPES: Record<number, string> = {
  16: 'BOOLEAN',
  20: 'BIGINT',
  21: 'SMALLINT',
  23: 'INTEGER',
  26: 'BIGINT',
  700: 'FLOAT',
  701: 'DOUBLE',
  1082: 'DATE',
  1083: 'TIME',
  1114: 'TIMESTAMP',
  1184: 'TIMESTAMPTZ',
  2950: 'UUID',
  114: 'JSON',
  3802: 'JSON',
};

export interface Snapshot {
  readonly rows: number;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** Reads the location's rows into `path` (Parquet), replacing what was there only once the read is complete. */
export async function snapshotPostgres(db: DuckDB, location: PgLocation, path: string): Promise<Snapshot> {
  mkdirSync(dirname(path), { recursive: true });
  const csv = siblingPath(path, 'rows.csv');
  const staging = siblingPath(path, 'writing.parquet');
  const client = await connectPostgres(location);
  try {
    const relation = pgRelation(location);
    let fields: { name: string; dataTypeID: number }[];
    try {
      fields = (await client.query(`SELECT * FROM ${relation} LIMIT 0`)).fields;
    } catch (error) {
      throw new InputError(`Postgres at ${location.shown} cannot read ${relation}: ${(error as Error).message}`);
    }
    if (fields.length === 0) throw new InputError(`${relation} at ${location.shown} has no columns`);
    const columns = fields.map((f) => ({ name: f.name, type: DUCKDB_TYPES[f.dataTypeID] ?? 'VARCHAR' }));
    const copy = client.query(copyTo(`COPY (SELECT * FROM ${relation}) TO STDOUT WITH (FORMAT csv)`));
    await pipeline(copy, createWriteStream(csv));
    // Postgres writes NULL as an empty field and an empty string as "": DuckDB keeps them apart when quoted nulls
    // are not nulls.
    const types = columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ');
    await db.connection.run(
      `COPY (SELECT * FROM read_csv(${sqlString(csv)}, header = false, delim = ',', quote = '"', escape = '"', ` +
        `allow_quoted_nulls = false, auto_detect = false, columns = {${types}})) ` +
        `TO ${sqlString(staging)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    renameSync(staging, path);
    const count = await db.connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(path)})`);
    return { rows: Number(count.getRows()[0]![0]), columns };
  } finally {
    rmSync(csv, { force: true });
    rmSync(staging, { force: true });
    await client.end().catch(() => undefined);
  }
}
