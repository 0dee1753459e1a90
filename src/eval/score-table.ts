// The scoring pass: the table streams through once; each row gets its identity, its segment and one score per
// score column (NaN where it cannot be scored), kept in typed arrays so a million rows cost a few megabytes per
// metric. Scores from models (judge, embeddings) are computed beforehand and arrive here by row position.

import type { Row, TableSource } from '../table/read-table.js';
import type { TableWriter } from '../table/write-table.js';
import type { EvalPlan, ScoreColumn } from './eval-plan.js';

/** What a row that cannot be scored (no answer, a failed row) counts as: left out, or scored 0. */
export type MissingPolicy = 'skip' | 'zero';

export interface Segments {
  readonly column: string;
  /** The segment of each distinct value, in order of first appearance. */
  readonly labels: readonly string[];
  /** Each row's index into `labels`. */
  readonly codes: Int32Array;
}

export interface ScoredTable {
  readonly where: string;
  readonly rows: number;
  /** Each row's identity, or undefined when the table has none (rows are then matched by position). */
  readonly ids: readonly string[] | undefined;
  readonly segments: Segments | undefined;
  readonly columns: readonly ScoreColumn[];
  /** Per score column, one score per row; NaN where the row was not scored. */
  readonly scores: ReadonlyMap<string, Float64Array>;
  /** Rows whose `_status` (a run's output) was not ok. */
  readonly notOk: number;
}

export const ALL_FIELDS = 'all_fields';

export async function scoreTable(
  source: TableSource,
  where: string,
  plan: EvalPlan,
  options: {
    readonly missing: MissingPolicy;
    /** Scores computed by models, by row position. */
    readonly modelScores: ReadonlyMap<string, Float64Array>;
    /** When given, each input row is appended with its scores (the per-row drill-down file). */
    readonly writer?: TableWriter | undefined;
  },
): Promise<ScoredTable> {
  const n = source.rowCount;
  const columns = plan.scores;
  const arrays = columns.map((column) => options.modelScores.get(column.name) ?? new Float64Array(n).fill(Number.NaN));
  const scorers = columns.map((column) => column.scorer);
  const allFields = plan.allFields.map((name) => columns.findIndex((c) => c.name === name));
  const allFieldsScores = allFields.length > 0 ? new Float64Array(n) : undefined;
  const ids = plan.idColumns.length > 0 ? new Array<string>(n) : undefined;
  const segmentOf = new Map<string, number>();
  const codes = plan.by !== undefined ? new Int32Array(n) : undefined;
  const hasStatus = source.columns.some((c) => c.name === '_status');
  const zero = options.missing === 'zero';
  let notOk = 0;
  let index = 0;

  for await (const batch of source.batches()) {
    for (const row of batch) {
      const i = index++;
      if (ids) ids[i] = identity(row, plan.idColumns);
      if (codes) codes[i] = segmentCode(row[plan.by!], segmentOf);
      if (hasStatus && row['_status'] !== 'ok') notOk++;
      for (let m = 0; m < columns.length; m++) {
        const scorer = scorers[m];
        const scores = arrays[m]!;
        if (scorer) {
          const pair = columns[m]!.pair!;
          const answer = row[pair.answer] ?? null;
          const reference = pair.reference === undefined ? null : (row[pair.reference] ?? null);
          const score = scorer(answer, reference);
          scores[i] =
            score ?? (zero && answer === null && (pair.reference === undefined || reference !== null) ? 0 : NaN);
        } else if (zero && Number.isNaN(scores[i]!)) {
          scores[i] = 0;
        }
      }
      if (allFieldsScores) {
        let all = 1;
        for (const m of allFields) {
          const score = arrays[m]![i]!;
          if (Number.isNaN(score)) all = Number.NaN;
          else if (score !== 1 && all === 1) all = 0;
        }
        allFieldsScores[i] = all;
      }
      if (options.writer) {
        const out: Record<string, unknown> = { ...row };
        for (let m = 0; m < columns.length; m++) out[`score.${columns[m]!.name}`] = finite(arrays[m]![i]!);
        if (allFieldsScores) out[`score.${ALL_FIELDS}`] = finite(allFieldsScores[i]!);
        options.writer.append(out);
      }
    }
  }

  const scores = new Map<string, Float64Array>(columns.map((c, m) => [c.name, arrays[m]!]));
  const allColumns: ScoreColumn[] = [...columns];
  if (allFieldsScores) {
    scores.set(ALL_FIELDS, allFieldsScores);
    allColumns.push({
      name: ALL_FIELDS,
      metric: ALL_FIELDS,
      kind: 'binary',
      range: [0, 1],
      pair: undefined,
      scorer: undefined,
      spec: { name: ALL_FIELDS, options: {}, text: ALL_FIELDS },
    });
  }
  return {
    where,
    rows: n,
    ids,
    segments: codes ? { column: plan.by!, labels: [...segmentOf.keys()], codes } : undefined,
    columns: allColumns,
    scores,
    notOk,
  };
}

function identity(row: Row, columns: readonly string[]): string {
  if (columns.length === 1) {
    const cell = row[columns[0]!];
    return typeof cell === 'string' ? cell : JSON.stringify(cell);
  }
  return columns.map((c) => JSON.stringify(row[c] ?? null)).join('\u0000');
}

function segmentCode(cell: unknown, segmentOf: Map<string, number>): number {
  const label = cell === null || cell === undefined ? '(null)' : typeof cell === 'string' ? cell : JSON.stringify(cell);
  let code = segmentOf.get(label);
  if (code === undefined) {
    code = segmentOf.size;
    segmentOf.set(label, code);
  }
  return code;
}

function finite(score: number): number | null {
  return Number.isNaN(score) ? null : score;
}
