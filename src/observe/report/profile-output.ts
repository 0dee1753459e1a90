// The distribution of each answer column of an output, computed by DuckDB over the rows that ended `ok`: shares of
// enums, booleans and short-vocabulary strings; mean, spread and histogram of numbers, of string lengths and of list
// sizes (a nested object's fields are profiled one by one). The report charts it and the drift check compares two of
// them, so a profile is plain JSON, kept in `<out>.report.json`.

import { sqlIdentifier, sqlString, type DuckDB } from '../../table/duckdb.js';
import { isRecord } from '../../output/nullable-schema.js';

/** A column (or a nested field) measured as shares of its values. */
export interface CategoryProfile {
  readonly kind: 'category';
  readonly name: string;
  /** Rows with a value (of those that ended ok). */
  readonly n: number;
  readonly nulls: number;
  /** The most frequent values, most frequent first; the rest are counted in `other`. */
  readonly counts: readonly { readonly value: string; readonly count: number }[];
  readonly other: number;
}

/** A column measured as numbers: the value itself, a string's length, or a list's size. */
export interface NumericProfile {
  readonly kind: 'number' | 'length' | 'size';
  readonly name: string;
  readonly n: number;
  readonly nulls: number;
  readonly mean: number;
  /** Sample standard deviation (0 for fewer than two values). */
  readonly sd: number;
  readonly min: number;
  readonly max: number;
  /** Equal-width bins from min to max. */
  readonly bins: readonly { readonly from: number; readonly to: number; readonly count: number }[];
}

export type ColumnProfile = CategoryProfile | NumericProfile;

export interface OutputProfile {
  readonly rows: number;
  /** Rows by `_status`: every row, for the share of failures. */
  readonly status: CategoryProfile;
  readonly columns: readonly ColumnProfile[];
}

/** What a profile measures: an SQL expression over an output row, and how. */
interface Target {
  readonly name: string;
  readonly expr: string;
  /** `auto`: a category when it has few distinct values, else its length. */
  readonly kind: 'category' | 'number' | 'length' | 'size' | 'auto';
}

/** Strings with at most this many distinct values are shown as shares, not lengths. */
const MAX_CATEGORIES = 12;
/** Values counted by name in a category (the chart shows the first 15); the rest are `other`. */
const TOP_VALUES = 200;
const BINS = 20;

export interface ProfileInput {
  /** The output as a DuckDB relation, e.g. `read_parquet('out.parquet')`. */
  readonly relation: string;
  /** The output's columns and DuckDB types (DESCRIBE). */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  /** The answer columns' names, in order. */
  readonly answers: readonly string[];
  /** The answer's JSON Schema, when there is one. */
  readonly schema: Readonly<Record<string, unknown>> | undefined;
  /** How the baseline measured each column: a string column keeps that measure (shares or lengths), so a change in
   * its vocabulary shows as drift rather than as a column measured another way. */
  readonly baseline?: OutputProfile | undefined;
}

export async function profileOutput(db: DuckDB, input: ProfileInput): Promise<OutputProfile> {
  const types = new Map(input.columns.map((c) => [c.name, c.type]));
  // With --samples, one answer per input row: samples of one row are not independent draws of the distribution.
  const firstSample = types.has('_sample') ? ' AND _sample = 0' : '';
  const ok = `(SELECT * FROM ${input.relation} WHERE _status = 'ok'${firstSample})`;
  const kinds = new Map((input.baseline?.columns ?? []).map((c) => [c.name, c.kind]));
  const targets = await decided(
    db,
    ok,
    kinds,
    input.answers.flatMap((name) =>
      targetsOf(name, sqlIdentifier(name), types.get(name) ?? 'VARCHAR', propertySchema(input.schema, name)),
    ),
  );
  // One scan of the output for every measure (a short value or a number each), then each measure's figures from
  // memory: the output is read twice, not once per column and figure.
  const table = `__llmap_profile_${++profiles}`;
  const measures = targets.map(
    (t, i) => `${t.kind === 'category' ? `(${t.expr})::VARCHAR` : `(${t.expr})::DOUBLE`} AS m${i}`,
  );
  await db.connection.run(
    `CREATE TEMP TABLE ${table} AS SELECT ${['_status', ...(firstSample ? ['_sample'] : []), ...measures].join(', ')} FROM ${input.relation}`,
  );
  try {
    const okRows = `(SELECT * FROM ${table} WHERE _status = 'ok'${firstSample})`;
    const columns: ColumnProfile[] = [];
    for (const [i, target] of targets.entries()) {
      const measured = { ...target, expr: `m${i}` };
      columns.push(
        target.kind === 'category'
          ? await categoryProfile(db, okRows, measured)
          : await numericProfile(db, okRows, measured),
      );
    }
    const status = await categoryProfile(db, table, { name: '_status', expr: '_status', kind: 'category' });
    return { rows: status.n + status.nulls, status, columns };
  } finally {
    await db.connection.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

let profiles = 0;

/** Strings of unknown vocabulary: as the baseline measured them, else shares when few distinct values, else lengths
 * (one scan for all of them). */
async function decided(
  db: DuckDB,
  ok: string,
  baseline: ReadonlyMap<string, ColumnProfile['kind']>,
  all: readonly Target[],
): Promise<Target[]> {
  const asLength = (t: Target): Target => ({ ...t, expr: `length(${t.expr})`, kind: 'length' });
  const targets = all.map((t) => {
    const kind = t.kind === 'auto' ? baseline.get(t.name) : undefined;
    return kind === 'category' ? { ...t, kind } : kind === 'length' ? asLength(t) : t;
  });
  const auto = targets.filter((t) => t.kind === 'auto');
  if (auto.length === 0) return [...targets];
  const reader = await db.connection.runAndReadAll(
    `SELECT ${auto.map((t) => `approx_count_distinct(${t.expr})`).join(', ')} FROM ${ok}`,
  );
  const distinct = (reader.getRowsJson()[0] ?? []).map(Number);
  return targets.map((t) => {
    if (t.kind !== 'auto') return t;
    return (distinct[auto.indexOf(t)] ?? 0) <= MAX_CATEGORIES ? { ...t, kind: 'category' } : asLength(t);
  });
}

function propertySchema(schema: ProfileInput['schema'], name: string): Record<string, unknown> | undefined {
  const properties = schema && isRecord(schema['properties']) ? schema['properties'] : undefined;
  const child = properties?.[name];
  return isRecord(child) ? child : undefined;
}

/** The JSON Schema types of a node, `null` left out. */
function typesOf(node: Record<string, unknown> | undefined): string[] {
  if (!node) return [];
  const type = node['type'];
  const list: unknown[] = Array.isArray(type) ? type : typeof type === 'string' ? [type] : [];
  const fromAnyOf = Array.isArray(node['anyOf'])
    ? (node['anyOf'] as unknown[]).flatMap((branch) => (isRecord(branch) ? typesOf(branch) : []))
    : [];
  return [...list, ...fromAnyOf].filter((t): t is string => typeof t === 'string' && t !== 'null');
}

/**
 * The measures of a column or nested field. A DuckDB STRUCT is entered field by field; text holding JSON (a CSV
 * output's nested column) is read with JSON functions.
 */
function targetsOf(
  name: string,
  expr: string,
  type: string,
  node: Record<string, unknown> | undefined,
): readonly Target[] {
  const types = typesOf(node);
  const isText = /^(VARCHAR|JSON)$/.test(type);
  const isList = /\[\d*\]$/.test(type);
  // A list (of objects too) is measured by its size; a fixed-size array's is fixed.
  if (isList || (types.includes('array') && isText)) {
    return [{ name, expr: isText ? `json_array_length(${expr})` : `len(${expr})`, kind: 'size' }];
  }
  if (types.includes('object') || type.startsWith('STRUCT')) {
    const properties = node && isRecord(node['properties']) ? node['properties'] : {};
    return Object.entries(properties).flatMap(([field, child]) => {
      const fieldExpr = isText
        ? `json_extract(${expr}, ${sqlString(`$.${JSON.stringify(field)}`)})`
        : `struct_extract(${expr}, ${sqlString(field)})`;
      const fieldType = isText ? 'JSON' : fieldTypeOf(type, field);
      return targetsOf(`${name}.${field}`, fieldExpr, fieldType, isRecord(child) ? child : undefined);
    });
  }
  if (type === 'BOOLEAN' || types.includes('boolean')) {
    return [{ name, expr: isText ? `${expr}::VARCHAR` : expr, kind: 'category' }];
  }
  if (/^(BIGINT|INTEGER|DOUBLE|FLOAT|DECIMAL|HUGEINT|SMALLINT|TINYINT|UBIGINT|UINTEGER)/.test(type)) {
    return [{ name, expr, kind: 'number' }];
  }
  if (types.includes('number') || types.includes('integer')) {
    return [{ name, expr: `TRY_CAST(${unquoted(expr, type)} AS DOUBLE)`, kind: 'number' }];
  }
  // A string the reader typed otherwise (a CSV or JSONL output's dates, timestamps, UUIDs) is measured as its text.
  const text = isText ? unquoted(expr, type) : `(${expr})::VARCHAR`;
  return [{ name, expr: text, kind: node && Array.isArray(node['enum']) ? 'category' : 'auto' }];
}

/** A JSON value as its text (a string without its quotes). */
function unquoted(expr: string, type: string): string {
  return type === 'JSON' ? `(${expr} ->> '$')` : expr;
}

/** The DuckDB type of a STRUCT's field, from the STRUCT's type text. */
function fieldTypeOf(structType: string, field: string): string {
  const inner = structType.replace(/^STRUCT\(/, '').replace(/\)$/, '');
  let depth = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i];
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(inner.slice(start).trim());
  for (const part of parts) {
    const match = /^("(?:[^"]|"")*"|[^\s]+)\s+(.*)$/.exec(part);
    if (!match) continue;
    const name = match[1]!.startsWith('"') ? match[1]!.slice(1, -1).replaceAll('""', '"') : match[1]!;
    if (name === field) return match[2]!;
  }
  return 'VARCHAR';
}

async function categoryProfile(db: DuckDB, relation: string, target: Target): Promise<CategoryProfile> {
  const reader = await db.connection.runAndReadAll(
    `SELECT v::VARCHAR AS v, count(*) AS c FROM (SELECT ${target.expr} AS v FROM ${relation}) GROUP BY v ` +
      `ORDER BY c DESC, v`,
  );
  let nulls = 0;
  let other = 0;
  let n = 0;
  const counts: { value: string; count: number }[] = [];
  for (const [value, count] of reader.getRowsJson() as [string | null, string | number][]) {
    const c = Number(count);
    if (value === null) {
      nulls += c;
      continue;
    }
    n += c;
    if (counts.length < TOP_VALUES) counts.push({ value, count: c });
    else other += c;
  }
  return { kind: 'category', name: target.name, n, nulls, counts, other };
}

async function numericProfile(db: DuckDB, relation: string, target: Target): Promise<NumericProfile> {
  const kind = target.kind as NumericProfile['kind'];
  const reader = await db.connection.runAndReadAll(
    `SELECT count(x), count(*) - count(x), avg(x), coalesce(stddev_samp(x), 0), min(x), max(x) ` +
      `FROM (SELECT (${target.expr})::DOUBLE AS x FROM ${relation})`,
  );
  const [n, nulls, mean, sd, min, max] = (reader.getRowsJson()[0] as (number | string | null)[]).map((v) =>
    v === null ? 0 : Number(v),
  ) as [number, number, number, number, number, number];
  const bins = n === 0 ? [] : await histogram(db, relation, target.expr, min, max, kind !== 'number');
  return { kind, name: target.name, n, nulls, mean, sd, min, max, bins };
}

/** Equal-width bins over [min, max]; whole-number bins when the values are counts with a small range. */
async function histogram(
  db: DuckDB,
  relation: string,
  expr: string,
  min: number,
  max: number,
  counts: boolean,
): Promise<NumericProfile['bins']> {
  const span = max - min;
  const width = span === 0 ? 1 : counts && span < BINS ? 1 : span / BINS;
  const binCount = span === 0 ? 1 : counts && span < BINS ? span + 1 : BINS;
  const reader = await db.connection.runAndReadAll(
    `SELECT least(floor((x - ${min}) / ${width}), ${binCount - 1})::INTEGER AS b, count(*) FROM ` +
      `(SELECT (${expr})::DOUBLE AS x FROM ${relation}) WHERE x IS NOT NULL GROUP BY b ORDER BY b`,
  );
  const byBin = new Map((reader.getRowsJson() as [number, string | number][]).map(([b, c]) => [b, Number(c)]));
  // Whole-number bins are centred on their number (a bar per list size).
  const shift = counts && width === 1 ? -0.5 : 0;
  return Array.from({ length: binCount }, (_, b) => ({
    from: min + b * width + shift,
    to: min + (b + 1) * width + shift,
    count: byBin.get(b) ?? 0,
  }));
}
