// The data checks a job carries (`--expect`, the prompt's front matter `expect:`), read from their text into rules,
// and each rule as the SQL condition a passing row meets. Like a SQL CHECK constraint, a rule other than `not_null`
// lets a NULL cell pass: `not_null(col)` is the rule that catches a missing value.

import type { ExpectRuleText } from '../job/job.js';
import { InputError } from '../job/input-error.js';
import { sqlIdentifier, sqlString } from './duckdb.js';
import type { Column } from './read-table.js';

export type ExpectRule =
  /** The cell is not NULL (an empty CSV cell reads as NULL). */
  | { readonly kind: 'not_null'; readonly column: string }
  /** No other row has the same value; every row of a repeated value fails (NULLs never repeat). */
  | { readonly kind: 'unique'; readonly column: string }
  /** Characters of a text (elements of a list; characters of any other value's text), from `min` to `max`. */
  | { readonly kind: 'length'; readonly column: string; readonly min: number; readonly max: number }
  /** The value is one of the listed literals (SQL literals: 'text', numbers, true, false). */
  | { readonly kind: 'values'; readonly column: string; readonly literals: readonly Literal[] }
  /** The value's text contains a match of the regular expression (RE2 syntax; `^…$` for the whole value). */
  | { readonly kind: 'match'; readonly column: string; readonly pattern: string }
  /** The number of rows; a rule about the table, which no single row fails. */
  | { readonly kind: 'rows'; readonly op: RowsOp; readonly count: number }
  /** Any DuckDB boolean expression over the row's columns; false fails, NULL passes. */
  | { readonly kind: 'sql'; readonly expression: string };

export type RowsOp = '>=' | '>' | '<=' | '<' | '=';

export type Literal =
  { readonly kind: 'string'; readonly value: string } | { readonly kind: 'number' | 'boolean'; readonly text: string };

export interface ParsedRule extends ExpectRuleText {
  readonly rule: ExpectRule;
}

/** A column named in a rule: an identifier as written (any letters), or double-quoted with `""` for a quote. */
const COLUMN = String.raw`\s*("(?:[^"]|"")+"|[^\s(),"']+)\s*`;
const STRING = String.raw`'((?:[^']|'')*)'`;

const SHAPES: readonly { name: RegExp; full: RegExp; usage: string; read: (m: RegExpMatchArray) => ExpectRule }[] = [
  {
    name: /^not_null\s*\(/i,
    full: new RegExp(String.raw`^not_null\s*\(${COLUMN}\)$`, 'i'),
    usage: 'not_null(column)',
    read: (m) => ({ kind: 'not_null', column: columnName(m[1]!) }),
  },
  {
    name: /^unique\s*\(/i,
    full: new RegExp(String.raw`^unique\s*\(${COLUMN}\)$`, 'i'),
    usage: 'unique(column)',
    read: (m) => ({ kind: 'unique', column: columnName(m[1]!) }),
  },
  {
    name: /^values\s*\(/i,
    full: new RegExp(String.raw`^values\s*\(${COLUMN}\)\s*in\s*\((.*)\)$`, 'is'),
    usage: "values(column) in ('a', 'b')",
    read: (m) => ({ kind: 'values', column: columnName(m[1]!), literals: literalList(m[2]!) }),
  },
  {
    name: /^match\s*\(/i,
    full: new RegExp(String.raw`^match\s*\(${COLUMN},\s*${STRING}\s*\)$`, 'is'),
    usage: "match(column, 'regex')",
    read: (m) => ({ kind: 'match', column: columnName(m[1]!), pattern: m[2]!.replaceAll("''", "'") }),
  },
  {
    name: /^rows\s*[<>=]/i,
    full: /^rows\s*(>=|<=|>|<|=)\s*(\d[\d_]*)$/i,
    usage: 'rows >= N',
    read: (m) => ({ kind: 'rows', op: m[1] as RowsOp, count: Number(m[2]!.replaceAll('_', '')) }),
  },
];

/** `length(col) between A and B`; other uses of DuckDB's `length` are SQL conditions. */
const LENGTH = new RegExp(String.raw`^length\s*\(${COLUMN}\)\s+between\s+(\d+)\s+and\s+(\d+)$`, 'i');

/** A rule from its text; text that is none of the named rules is a SQL condition (checked against the table later). */
export function parseExpectRule(given: ExpectRuleText): ParsedRule {
  const text = given.text.trim();
  const length = LENGTH.exec(text);
  if (length) {
    const [min, max] = [Number(length[2]), Number(length[3])];
    if (min > max) throw ruleError(given, `the length's bounds are the wrong way round (${min} > ${max})`);
    return { ...given, rule: { kind: 'length', column: columnName(length[1]!), min, max } };
  }
  for (const shape of SHAPES) {
    if (!shape.name.test(text)) continue;
    const match = shape.full.exec(text);
    if (!match) throw ruleError(given, `expected the form ${shape.usage}`);
    try {
      return { ...given, rule: shape.read(match) };
    } catch (error) {
      throw ruleError(given, error instanceof Error ? error.message : String(error));
    }
  }
  return { ...given, rule: { kind: 'sql', expression: text } };
}

/**
 * The condition a passing row meets, as SQL over the table's columns (undefined for `rows`, a rule of the table).
 * A named column must be one of `columns`; a SQL condition is checked by DuckDB (see expectations.ts).
 */
export function ruleCondition(parsed: ParsedRule, columns: readonly Column[]): string | undefined {
  const { rule } = parsed;
  if (rule.kind === 'rows') return undefined;
  if (rule.kind === 'sql') return `(${rule.expression}\n)`;
  const column = columnOf(parsed, rule.column, columns);
  const id = sqlIdentifier(column.name);
  const text = column.type === 'VARCHAR' ? id : `${id}::VARCHAR`;
  switch (rule.kind) {
    case 'not_null':
      return `${id} IS NOT NULL`;
    case 'unique':
      return `(${id} IS NULL OR count(*) OVER (PARTITION BY ${id}) = 1)`;
    case 'length': {
      const size = /\[\d*\]$/.test(column.type) ? `len(${id})` : `length(${text})`;
      return `(${size} BETWEEN ${rule.min} AND ${rule.max})`;
    }
    case 'values': {
      // Text literals compare with the value's text, so a list of strings works on a column of any type (and a
      // number on a text column is its text, never a cast that fails on the first word).
      const asText = column.type === 'VARCHAR' || rule.literals.some((l) => l.kind === 'string');
      const list = rule.literals.map((l) =>
        l.kind === 'string' ? sqlString(l.value) : asText ? sqlString(l.text) : l.text,
      );
      return `(${asText ? text : id} IN (${list.join(', ')}))`;
    }
    case 'match':
      return `regexp_matches(${text}, ${sqlString(rule.pattern)})`;
  }
}

/** Whether the table's row count meets a `rows` rule. */
export function rowsPass(rule: Extract<ExpectRule, { kind: 'rows' }>, rows: number): boolean {
  switch (rule.op) {
    case '>=':
      return rows >= rule.count;
    case '>':
      return rows > rule.count;
    case '<=':
      return rows <= rule.count;
    case '<':
      return rows < rule.count;
    case '=':
      return rows === rule.count;
  }
}

/** An error about one rule, naming it and where it was written. */
export function ruleError(rule: ExpectRuleText, problem: string, cause?: unknown): InputError {
  return new InputError(`${ruleLabel(rule)}: ${problem}`, cause === undefined ? undefined : { cause });
}

/** `--expect <rule>`, or `expect: <rule> (in <prompt file>)`. */
export function ruleLabel(rule: ExpectRuleText): string {
  return rule.origin === '--expect' ? `--expect ${rule.text}` : `expect: ${rule.text} (in ${rule.origin})`;
}

/** The input's column a rule names, or an error naming it and the columns there are. */
function columnOf(parsed: ParsedRule, name: string, columns: readonly Column[]): Column {
  const column = columns.find((c) => c.name === name);
  if (column) return column;
  const near = columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  throw ruleError(
    parsed,
    `the input has no column "${name}"${near ? ` (did you mean "${near.name}"?)` : ''}; its columns are: ` +
      columns.map((c) => c.name).join(', '),
  );
}

function columnName(written: string): string {
  return written.startsWith('"') ? written.slice(1, -1).replaceAll('""', '"') : written;
}

const LITERAL = /^\s*(?:'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)|(true|false))\s*(?:,|$)/i;

/** `'a', 'b', 3` as literals; anything else (a NULL, a column, an expression) is refused. */
function literalList(list: string): Literal[] {
  const literals: Literal[] = [];
  let rest = list;
  while (rest.trim() !== '') {
    const m = LITERAL.exec(rest);
    if (!m) throw new Error(`expected a list of literals ('text', numbers, true, false), got (${list})`);
    if (m[1] !== undefined) literals.push({ kind: 'string', value: m[1].replaceAll("''", "'") });
    else if (m[2] !== undefined) literals.push({ kind: 'number', text: m[2] });
    else literals.push({ kind: 'boolean', text: m[3]!.toLowerCase() });
    rest = rest.slice(m[0].length);
  }
  if (literals.length === 0) throw new Error('the list of values is empty');
  return literals;
}
