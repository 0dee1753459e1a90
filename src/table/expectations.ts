// The job's data checks, run by DuckDB over the rows the job answers in one query, after the table is opened and
// before anything is paid or recorded: per rule, the rows that fail it and the first few of them. A failed rule stops
// the job (ExpectationsFailedError, exit 2); with `--expect-action skip` its rows are left unasked instead, and the
// pipeline gives each the outcome `skipped` with the rule as its error. A `rows` rule fails the job either way.

import { rowsOfJob } from '../job/job-source.js';
import { InputError } from '../job/input-error.js';
import type { ExpectRuleText, Job } from '../job/job.js';
import type { DuckDB } from './duckdb.js';
import { sqlIdentifier, sqlString } from './duckdb.js';
import { parseExpectRule, ruleCondition, ruleError, rowsPass, type ParsedRule } from './expect-rules.js';
import { ExpectationsFailedError } from './expectations-failed-error.js';
import { duckdbMessage, type Column, type TableSource } from './read-table.js';
import { describeInput, relationSql } from './table-input.js';

/** Failing rows named per rule. */
const EXAMPLES = 5;
/** The row number the checks give each row (from 1, in input order); not a name an input column has. */
const ROW = '__llmap_check_row';

export interface RuleResult {
  readonly rule: ParsedRule;
  readonly passed: boolean;
  /** Rows that fail the rule (0 for a `rows` rule, which is about the table). */
  readonly failing: number;
  /** The first failing rows: their --id value, or their row number from 1. */
  readonly examples: readonly string[];
  /** A `rows` rule: the rows it counted. */
  readonly rows?: number;
}

export interface CheckInput {
  readonly rules: readonly ExpectRuleText[];
  readonly action: 'fail' | 'skip';
  /** The rows the job answers, as a relation, and their columns and count. */
  readonly relation: string;
  readonly columns: readonly Column[];
  readonly rowCount: number;
  readonly idColumn: string | undefined;
  /** How the input is named in messages. */
  readonly where: string;
  /** The rows a `rows` rule counts when they are more than the job answers (a --limit run): the whole input. */
  readonly wholeInput?: string;
}

export interface Expectations {
  readonly results: readonly RuleResult[];
  /** The rows left unasked (`--expect-action skip`). */
  readonly skipped: SkippedRows;
}

/** The rows that failed a check, in input order, each with the first rule it failed. */
export class SkippedRows {
  static readonly none = new SkippedRows(new Int32Array(0), new Uint16Array(0), []);

  /** Positions from 0, ascending; `rules[i]` indexes `reasons` for `positions[i]`. */
  private constructor(
    private readonly positions: Int32Array,
    private readonly rules: Uint16Array,
    private readonly reasons: readonly string[],
  ) {}

  static of(positions: readonly number[], rules: readonly number[], reasons: readonly string[]): SkippedRows {
    return positions.length === 0
      ? SkippedRows.none
      : new SkippedRows(Int32Array.from(positions), Uint16Array.from(rules), reasons);
  }

  get count(): number {
    return this.positions.length;
  }

  /** The rule the row at this position (from 0, in input order) fails, or undefined when it is to be asked. */
  ruleAt(position: number): string | undefined {
    let lo = 0;
    let hi = this.positions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = this.positions[mid]!;
      if (at === position) return this.reasons[this.rules[mid]!];
      if (at < position) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }
}

const NO_CHECKS: Expectations = { results: [], skipped: SkippedRows.none };

/** The job's checks over the rows it answers (its --limit). */
export async function checkJobExpectations(db: DuckDB, job: Job, source: TableSource): Promise<Expectations> {
  // A shard sees its own rows only: unique, rows and the row numbers would be the shard's, not the table's.
  if (job.range && job.expect.rules.length > 0) {
    throw new InputError(
      'data checks (--expect, or expect: in the prompt file) cannot run on a shard of a --cluster job yet: check the ' +
        'data on one machine (llmap run … --dry-run), then run the cluster job without them',
    );
  }
  return checkExpectations(db, {
    rules: job.expect.rules,
    action: job.expect.action,
    relation: relationSql(rowsOfJob(job)),
    columns: source.columns,
    rowCount: source.rowCount,
    idColumn: job.identity.idColumn,
    where: describeInput(job.input),
    ...(job.limit === undefined ? {} : { wholeInput: relationSql(job.input) }),
  });
}

export async function checkExpectations(db: DuckDB, input: CheckInput): Promise<Expectations> {
  if (input.rules.length === 0) return NO_CHECKS;
  const parsed = input.rules.map(parseExpectRule);
  await checkSqlShapes(db, parsed);
  const rowRules = parsed.filter((p) => p.rule.kind !== 'rows');
  const conditions = rowRules.map((p) => ruleCondition(p, input.columns)!);
  await checkConditions(db, input, rowRules, conditions);
  const skip = input.action === 'skip';
  const counted = await countFailing(db, input, rowRules, conditions, skip);
  const rows = parsed.some((p) => p.rule.kind === 'rows') ? await tableRows(db, input) : input.rowCount;
  let next = 0;
  const results = parsed.map((rule): RuleResult => {
    if (rule.rule.kind === 'rows') return { rule, passed: rowsPass(rule.rule, rows), failing: 0, examples: [], rows };
    const { failing, examples } = counted.perRule[next++]!;
    return { rule, passed: failing === 0, failing, examples };
  });
  const failed = results.filter((r) => !r.passed);
  if (failed.length > 0 && (!skip || failed.some((r) => r.rule.rule.kind === 'rows'))) {
    throw new ExpectationsFailedError(failureTable(input, results, failed), failed);
  }
  const reasons = rowRules.map((r) => r.text);
  return { results, skipped: SkippedRows.of(counted.positions, counted.rules, reasons) };
}

/** A run's warnings under skip: each failed rule, its rows and the first of them, left unasked. */
export function skipWarnings(expectations: Expectations): string[] {
  return expectations.results
    .filter((r) => !r.passed)
    .map(
      (r) =>
        `data check ${r.rule.text} (${r.rule.origin}) fails on ${r.failing.toLocaleString('en-US')} row(s) ` +
        `(first: ${r.examples.map(shorten).join(', ')}): left unasked (--expect-action skip), _status = skipped`,
    );
}

interface Counted {
  readonly perRule: readonly { failing: number; examples: string[] }[];
  /** Skip: every failing row's position (from 0) and the index of the first rule it fails. */
  readonly positions: readonly number[];
  readonly rules: readonly number[];
}

/** The one scan: per rule its failing rows and the first few; with skip, every failing row and its first rule. */
async function countFailing(
  db: DuckDB,
  input: CheckInput,
  rules: readonly ParsedRule[],
  conditions: readonly string[],
  skip: boolean,
): Promise<Counted> {
  if (rules.length === 0) return { perRule: [], positions: [], rules: [] };
  const oks = conditions.map((condition, i) => `coalesce(${condition}, true) AS ok${i}`);
  const id = input.idColumn === undefined ? `${ROW}::VARCHAR` : `${sqlIdentifier(input.idColumn)}::VARCHAR`;
  const aggregates = rules.flatMap((_, i) => [
    `count(*) FILTER (WHERE NOT ok${i})`,
    `min_by(id, r, ${EXAMPLES}) FILTER (WHERE NOT ok${i})`,
  ]);
  if (skip) {
    const anyFails = rules.map((_, i) => `NOT ok${i}`).join(' OR ');
    const firstRule = `CASE ${rules.map((_, i) => `WHEN NOT ok${i} THEN ${i}`).join(' ')} END`;
    aggregates.push(
      `list((r - 1)::INTEGER ORDER BY r) FILTER (WHERE ${anyFails})`,
      `list(${firstRule} ORDER BY r) FILTER (WHERE ${anyFails})`,
    );
  }
  const sql =
    `WITH numbered AS (SELECT *, row_number() OVER () AS ${ROW} FROM ${input.relation}), ` +
    `checked AS (SELECT ${ROW} AS r, ${id} AS id, ${oks.join(', ')} FROM numbered) ` +
    `SELECT ${aggregates.join(', ')} FROM checked`;
  const cells = await run(db, sql).catch(async (error: unknown) => {
    throw (await culprit(db, input, rules, conditions)) ?? error;
  });
  const perRule = rules.map((_, i) => ({
    failing: Number(cells[2 * i]),
    examples: ((cells[2 * i + 1] as unknown[] | null) ?? []).map(String),
  }));
  if (!skip) return { perRule, positions: [], rules: [] };
  const positions = (cells[2 * rules.length] as number[] | null) ?? [];
  const firstRules = (cells[2 * rules.length + 1] as number[] | null) ?? [];
  return { perRule, positions, rules: firstRules };
}

/** The rows a `rows` rule counts: those of the job, or of the whole input under a --limit. */
async function tableRows(db: DuckDB, input: CheckInput): Promise<number> {
  if (input.wholeInput === undefined) return input.rowCount;
  return Number((await run(db, `SELECT count(*) FROM ${input.wholeInput}`))[0]);
}

/** A SQL condition is one expression of a row (no FROM, no second statement, nothing around it). */
async function checkSqlShapes(db: DuckDB, parsed: readonly ParsedRule[]): Promise<void> {
  const sqlRules = parsed.filter((p) => p.rule.kind === 'sql');
  if (sqlRules.length === 0) return;
  const trees = await run(
    db,
    `SELECT ${sqlRules.map((p) => `json_serialize_sql(${sqlString(`SELECT ${(p.rule as { expression: string }).expression}`)})`).join(', ')}`,
  );
  sqlRules.forEach((rule, i) => {
    const problem = shapeProblem(JSON.parse(String(trees[i])) as SerializedSql);
    if (problem) throw ruleError(rule, problem);
  });
}

interface SerializedSql {
  readonly error: boolean;
  readonly error_message?: string;
  readonly statements?: readonly {
    readonly node: {
      readonly type: string;
      readonly select_list?: readonly unknown[];
      readonly from_table?: { readonly type: string };
      readonly where_clause?: unknown;
      readonly group_expressions?: readonly unknown[];
      readonly having?: unknown;
      readonly qualify?: unknown;
      readonly modifiers?: readonly unknown[];
    };
  }[];
}

function shapeProblem(tree: SerializedSql): string | undefined {
  const known =
    "not_null(col), unique(col), length(col) between A and B, values(col) in (...), match(col, 're'), rows >= N";
  if (tree.error) return `neither a rule (${known}) nor a SQL condition: ${tree.error_message ?? 'syntax error'}`;
  const node = tree.statements?.length === 1 ? tree.statements[0]!.node : undefined;
  const one =
    node !== undefined &&
    node.type === 'SELECT_NODE' &&
    node.select_list?.length === 1 &&
    node.from_table?.type === 'EMPTY' &&
    !node.where_clause &&
    !node.having &&
    !node.qualify &&
    (node.group_expressions?.length ?? 0) === 0 &&
    (node.modifiers?.length ?? 0) === 0;
  return one ? undefined : 'a SQL condition must be one expression over the row, e.g. "stars BETWEEN 1 AND 5"';
}

/** Every condition binds against the table (columns exist, functions and regexes are valid) and is a boolean. */
async function checkConditions(
  db: DuckDB,
  input: CheckInput,
  rules: readonly ParsedRule[],
  conditions: readonly string[],
): Promise<void> {
  if (rules.length === 0) return;
  const described = await describeConditions(db, input, conditions).catch(async (error: unknown) => {
    throw (await culprit(db, input, rules, conditions)) ?? error;
  });
  rules.forEach((rule, i) => {
    const type = described[i];
    if (type !== 'BOOLEAN') throw ruleError(rule, `not a condition: it gives ${type ?? 'nothing'}, not true or false`);
  });
}

/** The types of the conditions, bound beside every column (so an aggregate, which is not a row's, is refused). */
async function describeConditions(db: DuckDB, input: CheckInput, conditions: readonly string[]): Promise<string[]> {
  const reader = await db.connection.runAndReadAll(
    `DESCRIBE SELECT *, ${conditions.map((c, i) => `${c} AS "__ok${i}"`).join(', ')} FROM ${input.relation}`,
  );
  const types = new Map(reader.getRowsJson().map((row) => [row[0] as string, row[1] as string]));
  return conditions.map((_, i) => types.get(`__ok${i}`) ?? '');
}

/** When DuckDB refused the rules together: the first rule it refuses alone, as an error naming it. */
async function culprit(
  db: DuckDB,
  input: CheckInput,
  rules: readonly ParsedRule[],
  conditions: readonly string[],
): Promise<Error | undefined> {
  for (let i = 0; i < rules.length; i++) {
    const sql = `SELECT count(*) FILTER (WHERE NOT coalesce(${conditions[i]!}, true)) FROM (SELECT * FROM ${input.relation})`;
    try {
      await describeConditions(db, input, [conditions[i]!]);
      await run(db, sql);
    } catch (error) {
      const missing = /Referenced column "([^"]+)" not found/.exec(duckdbMessage(error));
      const problem = missing
        ? `the input has no column "${missing[1]}"; its columns are: ${input.columns.map((c) => c.name).join(', ')}`
        : `DuckDB cannot check it: ${duckdbMessage(error)}`;
      return ruleError(rules[i]!, problem, error);
    }
  }
  return undefined;
}

async function run(db: DuckDB, sql: string): Promise<unknown[]> {
  const reader = await db.connection.runAndReadAll(sql);
  return reader.getRowsJson()[0] ?? [];
}

/** The message of a failed check: a table of the failed rules, and what to do. */
function failureTable(input: CheckInput, results: readonly RuleResult[], failed: readonly RuleResult[]): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const header = [
    'rule',
    'from',
    'rows failing',
    input.idColumn === undefined
      ? 'first failing rows (row number, from 1)'
      : `first failing rows (--id ${input.idColumn})`,
  ];
  const rows = failed.map((r) => [
    r.rule.text,
    r.rule.origin,
    r.rule.rule.kind === 'rows' ? '—' : count(r.failing),
    r.rule.rule.kind === 'rows'
      ? `the input has ${count(r.rows ?? 0)} rows`
      : r.examples.map(shorten).join(', ') + (r.failing > r.examples.length ? ', …' : ''),
  ]);
  const rowsRule = failed.some((r) => r.rule.rule.kind === 'rows');
  const advice =
    input.action === 'skip'
      ? 'a rows rule is about the whole table, so it fails the job even with --expect-action skip'
      : 'fix the data or the rules, or pass --expect-action skip to leave the failing rows unasked (_status = skipped)';
  return [
    `${failed.length} of ${results.length} data check(s) failed on input ${input.where} ` +
      `(${count(input.rowCount)} rows); nothing was sent:`,
    textTable(header, rows),
    rowsRule || input.action === 'fail' ? advice : '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

function shorten(id: string): string {
  return id.length > 40 ? `${id.slice(0, 39)}…` : id;
}

/** Columns padded to their widest cell; the counts right-aligned. */
function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]) =>
    '  ' +
    cells
      .map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
