// A Postgres table or query named by a URL: `postgres://user@host:5432/db?table=tickets` (or `?sql=SELECT ...`).
// Whatever the URL leaves out comes from the standard PG* variables (PGHOST, PGUSER, PGPASSWORD, ...) and
// ~/.pgpass, as psql reads them. The password, if the URL holds one, stays in memory: messages, the run state and
// the fingerprint see the URL without it.

import pg from 'pg';
import { InputError } from '../../job/input-error.js';
import { redactUrl, Secret } from '../../job/secret.js';

export interface PgLocation {
  /** The connection URL without llmap's own parameters; may hold a password. */
  readonly connection: Secret;
  /** The URL as shown: no password. */
  readonly shown: string;
  /** A table (`name` or `schema.name`) ... */
  readonly table?: string;
  /** ... or a query, as Postgres runs it. */
  readonly sql?: string;
}

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * Parses a Postgres URL. `defaults` fills a table or query the URL does not name (`llmap run URL --table t`);
 * `flag` names where the URL came from in messages.
 */
export function parsePgLocation(
  value: string,
  flag: string,
  defaults: { table?: string; sql?: string } = {},
): PgLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`invalid ${flag} ${redactUrl(value)}: expected postgres://user@host:5432/database?table=name`);
  }
  const table = url.searchParams.get('table') ?? defaults.table;
  const sql = url.searchParams.get('sql') ?? defaults.sql;
  url.searchParams.delete('table');
  url.searchParams.delete('sql');
  if (table !== undefined && sql !== undefined) {
    throw new InputError(`${flag} ${redactUrl(url.toString())}: name a table or a query, not both`);
  }
  if (table !== undefined && !/^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/.test(table)) {
    throw new InputError(`${flag}: table name ${table} is not a plain [schema.]name`);
  }
  return {
    connection: new Secret(url.toString()),
    shown: redactUrl(url.toString()),
    ...(table === undefined ? {} : { table }),
    ...(sql === undefined ? {} : { sql }),
  };
}

/** How a location is named in messages: its URL without password, and its table or query. */
export function describePg(location: PgLocation): string {
  return `${location.shown} ${location.table !== undefined ? `table ${location.table}` : 'query'}`;
}

/** The relation to read, as Postgres SQL. */
export function pgRelation(location: PgLocation): string {
  if (location.sql !== undefined) return `(${location.sql}) AS q`;
  if (location.table !== undefined) return pgTableName(location.table);
  throw new InputError(`${location.shown}: name the table (?table=name or --table) or the query (?sql= or --sql)`);
}

/** `schema.name` → `"schema"."name"`. */
export function pgTableName(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}

/** A connected client; a failure to connect is an input error naming the URL (without its password). */
export async function connectPostgres(location: PgLocation): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: location.connection.reveal(), application_name: 'llmap' });
  try {
    await client.connect();
    // Text as DuckDB reads it back: ISO dates, UTC times.
    await client.query("SET DateStyle = 'ISO'; SET TimeZone = 'UTC'; SET client_encoding = 'UTF8'");
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new InputError(`cannot connect to Postgres at ${location.shown}: ${(error as Error).message}`);
  }
}
