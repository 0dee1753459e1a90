// A finished output written to a Postgres table, exactly once: the rows go with `COPY ... FROM STDIN` into a staging
// table, which then takes the target's name in one transaction. A run killed mid-write leaves the target as it was
// (and a staging table the next write replaces); a run written twice leaves the rows once. Columns are typed from
// the output's DuckDB types; lists and structs become jsonb.

import { createReadStream, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { InputError } from '../../job/input-error.js';
import { isNestedType } from '../../output/answer-columns.js';
import { sha256Hex } from '../../request/request-key.js';
import { describeRelation, sqlIdentifier, sqlString, type DuckDB } from '../duckdb.js';
import { siblingPath } from '../write-table.js';
import { connectPostgres, pgTableName, type PgLocation } from './pg-location.js';

/** Postgres column types of DuckDB types; nested values as jsonb, anything else as text. */
function pgType(duckdbType: string): string {
  const simple: Record<string, string> = {
    VARCHAR: 'text',
    BIGINT: 'bigint',
    INTEGER: 'integer',
    SMALLINT: 'smallint',
    TINYINT: 'smallint',
    DOUBLE: 'double precision',
    FLOAT: 'real',
    BOOLEAN: 'boolean',
    DATE: 'date',
    TIME: 'time',
    TIMESTAMP: 'timestamp',
    'TIMESTAMP WITH TIME ZONE': 'timestamptz',
    UUID: 'uuid',
    JSON: 'jsonb',
  };
  if (simple[duckdbType]) return simple[duckdbType];
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(duckdbType);
  if (decimal) return `numeric(${decimal[1]}, ${decimal[2]})`;
  return isNestedType(duckdbType) ? 'jsonb' : 'text';
}

/** Writes the Parquet file's rows as the table `target.table`, replacing it; returns the rows written. */
export async function writePostgresTable(db: DuckDB, parquet: string, target: PgLocation): Promise<number> {
  if (target.table === undefined) {
    throw new InputError(`name the table to write: ${target.shown}?table=name`);
  }
  const columns = await describeRelation(db, `read_parquet(${sqlString(parquet)})`);
  const csv = siblingPath(parquet, 'copy.csv');
  const select = columns
    .map((c) => (isNestedType(c.type) ? `to_json(${sqlIdentifier(c.name)})` : sqlIdentifier(c.name)))
    .join(', ');
  const table = pgTableName(target.table);
  // In the target's schema, within Postgres's 63-byte names, one per target.
  const schema = target.table.split('.');
  const name = schema.pop()!;
  const staging = pgTableName(
    [...schema, `${name.slice(0, 40)}__llmap_${sha256Hex(target.table).slice(0, 8)}`].join('.'),
  );
  const client = await connectPostgres(target);
  try {
    await db.connection.run(
      `COPY (SELECT ${select} FROM read_parquet(${sqlString(parquet)})) TO ${sqlString(csv)} (FORMAT csv, HEADER false)`,
    );
    const definition = columns.map((c) => `"${c.name.replaceAll('"', '""')}" ${pgType(c.type)}`).join(', ');
    await client.query(`DROP TABLE IF EXISTS ${staging}`);
    await client.query(`CREATE TABLE ${staging} (${definition})`);
    await pipeline(createReadStream(csv), client.query(copyFrom(`COPY ${staging} FROM STDIN WITH (FORMAT csv)`)));
    const written = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${staging}`)).rows[0]!.n);
    await client.query('BEGIN');
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query(`ALTER TABLE ${staging} RENAME TO ${sqlIdentifier(name)}`);
    await client.query('COMMIT');
    return written;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (InputError.isInstance(error)) throw error;
    throw new Error(`writing ${target.table} at ${target.shown}: ${(error as Error).message}`);
  } finally {
    rmSync(csv, { force: true });
    await client.end().catch(() => undefined);
  }
}
