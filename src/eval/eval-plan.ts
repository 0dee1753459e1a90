// What `llmap eval` scores, decided from the flags and the table's columns before any row is read: which answer
// column is compared with which reference column, by which metrics, under which names. Every mistake here (a
// missing column, an unknown metric, a judge without a model) is an input error naming the flag.

import { InputError } from '../job/input-error.js';
import type { Column } from '../table/read-table.js';
import type { MetricKind, Scorer } from './metrics/metric.js';
import { metricNamed } from './metrics/registry.js';
import { parseMetricSpec, prepareMetric, type MetricSpec } from './metric-spec.js';

/** The text answer column of `llmap run` without a schema. */
export const DEFAULT_ANSWER_COLUMN = 'answer';

export interface EvalPlanOptions {
  /** The answer column compared with a plain `--reference COL` (default `answer`). */
  readonly answer?: string | undefined;
  /** `COL` (the answer column against COL) or `FIELD=COL` (an answer field's column against COL). */
  readonly references: readonly string[];
  /** `--metric` specs; none: exact_match, exact_match_norm and f1 for text, field_match for fields. */
  readonly metrics: readonly string[];
  /** Break the statistics down by this column's values. */
  readonly by?: string | undefined;
  /** The column that identifies a row (default `_row_id`, with `_sample`, when the table is a run's output). */
  readonly id?: string | undefined;
}

/** One answer column compared with one reference column. */
export interface ScorePair {
  readonly answer: string;
  readonly reference: string | undefined;
  /** For `FIELD=COL`: the field, which prefixes the score's name (`category.field_match`). */
  readonly field: string | undefined;
}

export interface ScoreColumn {
  /** The score's name in tables, JSON, Parquet and gates. */
  readonly name: string;
  readonly metric: string;
  readonly kind: MetricKind;
  readonly range: readonly [number, number];
  readonly pair: ScorePair | undefined;
  /** Pure metrics: the prepared scorer. Model metrics are scored by the engine instead. */
  readonly scorer: Scorer | undefined;
  readonly spec: MetricSpec;
}

export interface EvalPlan {
  readonly scores: readonly ScoreColumn[];
  /** `all_fields`: 1 when every field_match of the row is 1 (two or more fields). */
  readonly allFields: readonly string[];
  readonly by: string | undefined;
  /** How rows are joined across runs: these columns' values, or the row's position when empty. */
  readonly idColumns: readonly string[];
}

const TEXT_DEFAULTS = ['exact_match', 'exact_match_norm', 'f1'];
const FIELD_DEFAULTS = ['field_match'];

export function planEval(options: EvalPlanOptions, columns: readonly Column[], where: string): EvalPlan {
  const names = new Set(columns.map((c) => c.name));
  const need = (column: string, flag: string) => {
    if (!names.has(column)) {
      throw new InputError(
        `${flag}: ${where} has no column ${column}; its columns are ${columns.map((c) => c.name).join(', ')}`,
      );
    }
  };
  const pairs: ScorePair[] = options.references.map((text) => {
    const eq = text.indexOf('=');
    if (eq > 0) {
      const field = text.slice(0, eq).trim();
      const reference = text.slice(eq + 1).trim();
      need(field, `--reference ${text}`);
      need(reference, `--reference ${text}`);
      return { answer: field, reference, field };
    }
    const answer = options.answer ?? DEFAULT_ANSWER_COLUMN;
    need(answer, options.answer ? `--answer ${answer}` : `--reference ${text} (compared with the answer column)`);
    need(text, `--reference ${text}`);
    return { answer, reference: text, field: undefined };
  });
  const specs = options.metrics.map(parseMetricSpec);
  if (pairs.length === 0) {
    const needing = specs.filter((s) => s.name !== 'judge' && metricNamed(s.name)?.needsReference !== false);
    if (specs.length === 0 || needing.length > 0) {
      throw new InputError(
        `no --reference: name the column holding the expected answers (--reference label, or --reference field=column)` +
          (needing.length > 0 ? `; ${needing.map((s) => s.name).join(', ')} compare with a reference` : ''),
      );
    }
    if (specs.some((s) => s.name !== 'judge')) {
      const answer = options.answer ?? DEFAULT_ANSWER_COLUMN;
      need(answer, `--answer ${answer}`);
      pairs.push({ answer, reference: undefined, field: undefined });
    }
  }
  if (options.by !== undefined) need(options.by, `--by ${options.by}`);
  const idColumns = identityColumns(options.id, names, need);

  const scores: ScoreColumn[] = [];
  const seen = new Set<string>();
  const add = (column: ScoreColumn) => {
    if (seen.has(column.name)) throw new InputError(`--metric: the score ${column.name} is asked for twice`);
    seen.add(column.name);
    scores.push(column);
  };
  for (const spec of specs.filter((s) => s.name === 'judge')) {
    add({
      name: 'judge',
      metric: 'judge',
      kind: 'continuous',
      range: [0, 1],
      pair: undefined,
      scorer: undefined,
      spec,
    });
  }
  const given = specs.filter((s) => s.name !== 'judge');
  const textPairs = pairs.filter((p) => !p.field).length;
  for (const pair of pairs) {
    const pairSpecs = given.length > 0 ? given : (pair.field ? FIELD_DEFAULTS : TEXT_DEFAULTS).map(parseMetricSpec);
    for (const spec of pairSpecs) {
      const name = pair.field ? `${pair.field}.${spec.name}` : spec.name;
      const scoreName = textPairs > 1 && !pair.field ? `${pair.reference}.${spec.name}` : name;
      if (spec.name === 'embedding_cosine') {
        if (!pair.reference) throw new InputError(`--metric embedding_cosine compares with a --reference column`);
        add({ name: scoreName, metric: spec.name, kind: 'continuous', range: [-1, 1], pair, scorer: undefined, spec });
        continue;
      }
      const metric = metricNamed(spec.name)!;
      if (metric.needsReference && !pair.reference) {
        throw new InputError(`--metric ${spec.text} compares with a reference: add --reference COLUMN`);
      }
      add({
        name: scoreName,
        metric: metric.name,
        kind: metric.kind,
        range: metric.range,
        pair,
        scorer: prepareMetric(metric, spec),
        spec,
      });
    }
  }
  const allFields = scores.filter((s) => s.pair?.field !== undefined && s.metric === 'field_match').map((s) => s.name);
  return { scores, allFields: allFields.length >= 2 ? allFields : [], by: options.by, idColumns };
}

function identityColumns(
  id: string | undefined,
  names: ReadonlySet<string>,
  need: (column: string, flag: string) => void,
): string[] {
  if (id !== undefined) {
    need(id, `--id ${id}`);
    return [id];
  }
  if (names.has('_row_id')) return names.has('_sample') ? ['_row_id', '_sample'] : ['_row_id'];
  return [];
}
