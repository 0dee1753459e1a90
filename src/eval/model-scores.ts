// Scores that need a model, computed by llmap's own engine so they are cached, rate-limited, resumable and
// priced like any run: the judge is a `run` of the rubric prompt over the columns it reads (its score field read
// back), and embedding cosine is two `embed` runs (answers and references) compared row by row. Each keeps its
// run state under the evaluation's state directory, so a second evaluation asks nothing again, and unchanged judge
// calls come from the cache even with a fresh state.

import { join } from 'node:path';
import { InputError } from '../job/input-error.js';
import { loadEmbedJob, loadJob, type Env } from '../job/load-job.js';
import type { Job } from '../job/job.js';
import { loadAnswerSchema } from '../output/answer-schema.js';
import { isRecord } from '../output/nullable-schema.js';
import { loadPromptSource } from '../prompt/prompt-file.js';
import { compileTemplate } from '../prompt/template.js';
import type { RunSummary } from '../run-job.js';
import { sqlIdentifier, sqlString, type DuckDB } from '../table/duckdb.js';
import { relationSql, type TableInput } from '../table/table-input.js';
import type { MetricKind } from './metrics/metric.js';
import { cosineSimilarity } from './metrics/cosine.js';

/** What the judge and embedding runs share with `llmap run`: where the model is and how fast it may be asked. */
export interface EngineOptions {
  readonly baseUrl?: readonly string[] | undefined;
  readonly apiKeyEnv?: string | undefined;
  readonly rpm?: string | undefined;
  readonly tpm?: string | undefined;
  readonly concurrency?: string | undefined;
  readonly budget?: string | undefined;
  readonly cacheDir?: string | undefined;
  readonly replay?: boolean | undefined;
  readonly prices?: string | undefined;
}

export interface JudgeOptions {
  /** The rubric: a prompt file or text with {{column}} placeholders over the evaluated table. */
  readonly prompt: string;
  /** The score schema (default: an integer score from 1 to 5 and a reason). */
  readonly schema: string | undefined;
  readonly model: string | undefined;
  /** The schema property read as the score (default `score`). */
  readonly field: string | undefined;
}

export const DEFAULT_JUDGE_SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    score: { type: 'integer', minimum: 1, maximum: 5, description: '1 = poor, 5 = excellent' },
    reason: { type: 'string', description: 'one sentence' },
  },
  required: ['score', 'reason'],
  additionalProperties: false,
});

/** A model run's scores by row position, and its run summary (rows, tokens, cost). */
export interface ModelScores {
  readonly scores: Float64Array;
  readonly kind: MetricKind;
  readonly range: readonly [number, number];
  readonly runs: readonly RunSummary[];
}

export type RunJob = (job: Job) => Promise<RunSummary>;

/** The judge's job, built and checked before anything is asked (placeholders, schema, score field). */
export function judgeJob(
  input: TableInput,
  judge: JudgeOptions,
  engine: EngineOptions,
  stateDir: string,
  env: Env,
): { job: Job; field: string; kind: MetricKind; range: readonly [number, number] } {
  const source = loadPromptSource(judge.prompt, '--judge-prompt');
  const columns = new Set(compileTemplate(source.body, source.origin).columns);
  if (source.frontMatter.system !== undefined) {
    for (const c of compileTemplate(source.frontMatter.system, source.origin).columns) columns.add(c);
  }
  if (columns.size === 0) {
    throw new InputError(
      `--judge-prompt ${source.origin} has no {{column}} placeholder: the judge would see no answer`,
    );
  }
  const schemaText = judge.schema ?? DEFAULT_JUDGE_SCHEMA;
  const field = judge.field ?? 'score';
  const property = scoreProperty(schemaText, field);
  const job = loadJob(
    {
      ...engineRunOptions(engine),
      sql: `SELECT ${[...columns].map(sqlIdentifier).join(', ')} FROM ${relationSql(input)}`,
      prompt: judge.prompt,
      schema: schemaText,
      ...(judge.model === undefined ? {} : { model: judge.model }),
      out: join(stateDir, 'judge.parquet'),
      state: join(stateDir, 'judge'),
      // The judge's answers are scores: the evaluation reports them (eval --report), not a run report.
      report: false,
    },
    env,
  );
  return { job, field, ...property };
}

export async function judgeScores(
  db: DuckDB,
  prepared: ReturnType<typeof judgeJob>,
  run: RunJob,
): Promise<ModelScores> {
  const summary = await run(prepared.job);
  const scores = await readColumn(db, summary, prepared.field);
  return { scores, kind: prepared.kind, range: prepared.range, runs: [summary] };
}

/** The two embed jobs of a pair: the answers' and the references' texts. */
export function embeddingJobs(
  input: TableInput,
  pair: { readonly answer: string; readonly reference: string },
  model: string | undefined,
  engine: EngineOptions,
  stateDir: string,
  env: Env,
): [Job, Job] {
  const job = (column: string, name: string) =>
    loadEmbedJob(
      {
        ...engineRunOptions(engine),
        sql: `SELECT ${sqlIdentifier(column)}::VARCHAR AS text FROM ${relationSql(input)}`,
        column: 'text',
        ...(model === undefined ? {} : { model }),
        out: join(stateDir, `${name}.parquet`),
        state: join(stateDir, name),
        report: false,
      },
      env,
    );
  const name = (column: string) => `embed-${column.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
  return [job(pair.answer, name(pair.answer)), job(pair.reference, name(pair.reference) + '-reference')];
}

export async function embeddingScores(db: DuckDB, jobs: [Job, Job], run: RunJob): Promise<ModelScores> {
  const answers = await run(jobs[0]);
  const references = await run(jobs[1]);
  const scores = new Float64Array(answers.rows.total).fill(Number.NaN);
  // The two outputs hold the same rows in the same order; DuckDB's positional join pairs them.
  const result = await db.connection.stream(
    `SELECT a.embedding, b.embedding FROM read_parquet(${sqlString(answers.output)}) a ` +
      `POSITIONAL JOIN read_parquet(${sqlString(references.output)}) b`,
  );
  let i = 0;
  for await (const rows of result.yieldRowsJson()) {
    for (const [x, y] of rows) {
      const score = Array.isArray(x) && Array.isArray(y) ? cosineSimilarity(x as number[], y as number[]) : Number.NaN;
      scores[i++] = Number.isFinite(score) ? score : Number.NaN;
    }
  }
  return { scores, kind: 'continuous', range: [-1, 1], runs: [answers, references] };
}

async function readColumn(db: DuckDB, summary: RunSummary, field: string): Promise<Float64Array> {
  if (!summary.output) throw new InputError(`the judge run wrote no output (state in ${summary.stateDir})`);
  const scores = new Float64Array(summary.rows.total).fill(Number.NaN);
  const result = await db.connection.stream(
    `SELECT ${sqlIdentifier(field)} FROM read_parquet(${sqlString(summary.output)})`,
  );
  let i = 0;
  for await (const rows of result.yieldRowsJson()) {
    for (const [value] of rows) {
      const score = typeof value === 'boolean' ? Number(value) : typeof value === 'string' ? Number(value) : value;
      scores[i++] = typeof score === 'number' && Number.isFinite(score) ? score : Number.NaN;
    }
  }
  return scores;
}

/** The score field's kind and range, from the schema: a boolean is binary; a number's range is its bounds. */
function scoreProperty(schemaText: string, field: string): { kind: MetricKind; range: readonly [number, number] } {
  const schema = loadAnswerSchema(schemaText).jsonSchema;
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  const property = properties[field];
  if (!isRecord(property)) {
    throw new InputError(
      `--judge-field ${field}: the judge's schema has no property ${field}; its properties are ${Object.keys(properties).join(', ')}`,
    );
  }
  if (property['type'] === 'boolean') return { kind: 'binary', range: [0, 1] };
  if (property['type'] !== 'integer' && property['type'] !== 'number') {
    throw new InputError(
      `--judge-field ${field}: the score must be a number, integer or boolean in the judge's schema`,
    );
  }
  const low = typeof property['minimum'] === 'number' ? property['minimum'] : -Infinity;
  const high = typeof property['maximum'] === 'number' ? property['maximum'] : Infinity;
  return { kind: 'continuous', range: [low, high] };
}

function engineRunOptions(engine: EngineOptions): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(engine)) if (value !== undefined) options[key] = value;
  if (Array.isArray(options['baseUrl']) && options['baseUrl'].length === 0) delete options['baseUrl'];
  return options;
}
