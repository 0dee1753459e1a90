// `llmap eval` and `llmap compare` as one library call: plan every table's scores (all input errors surface here,
// before a judge or an embedding model is asked anything), compute the model scores through the engine, stream
// each table once to score it (writing the per-row drill-down file on the way), then the statistics, the paired
// comparison with a baseline, and the gates. Nothing here calls the model that produced the answers.

import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { Env } from '../job/load-job.js';
import type { OutputColumn } from '../output/answer-columns.js';
import type { RunSummary } from '../run-job.js';
import { openDuckDB, type DuckDB } from '../table/duckdb.js';
import { openTable, type TableSource } from '../table/read-table.js';
import { describeInput, type TableInput } from '../table/table-input.js';
import { createTableWriter, type OutputFormat, type TableWriter } from '../table/write-table.js';
import { compareRuns, type Comparison, type Correction } from './compare-runs.js';
import { planEval, type EvalPlan, type EvalPlanOptions, type ScoreColumn } from './eval-plan.js';
import { checkGates, evaluateGates, parseGate, type GateResult } from './gates.js';
import {
  embeddingJobs,
  embeddingScores,
  judgeJob,
  judgeScores,
  type EngineOptions,
  type JudgeOptions,
  type ModelScores,
  type RunJob,
} from './model-scores.js';
import { ALL_FIELDS, scoreTable, type MissingPolicy, type ScoredTable } from './score-table.js';
import { summarise, type ScoreStats, type StatsOptions } from './summarise.js';
import { InputError } from '../job/input-error.js';

export interface EvalRequest {
  /** The table scored (the candidate, in a comparison). */
  readonly input: TableInput;
  /** A baseline run of the same rows: the comparison and `regression(...)` gates. */
  readonly baseline?: TableInput | undefined;
  readonly plan: EvalPlanOptions;
  readonly missing: MissingPolicy;
  readonly stats: StatsOptions;
  readonly correction: Correction;
  readonly gates: readonly string[];
  /** The per-row scores: the input's columns plus a `score.<name>` column per score. */
  readonly scoresOut?: { readonly path: string; readonly format: OutputFormat } | undefined;
  readonly judge?: JudgeOptions | undefined;
  readonly embedModel?: string | undefined;
  readonly engine: EngineOptions;
  /** Where the judge's and embeddings' run state live (default `.llmap/eval` beside the input). */
  readonly stateDir?: string | undefined;
}

export interface ScoredRun {
  readonly where: string;
  readonly rows: number;
  /** Rows of a run's output whose `_status` was not ok (their answer is missing). */
  readonly notOk: number;
  readonly stats: readonly ScoreStats[];
  /** Runs of the judge or the embedding model, per score. */
  readonly modelRuns: readonly { readonly score: string; readonly runs: readonly RunSummary[] }[];
}

export interface EvalReport {
  readonly candidate: ScoredRun;
  readonly baseline: ScoredRun | undefined;
  readonly comparison: Comparison | undefined;
  readonly gates: readonly GateResult[];
  readonly scoresFile: string | undefined;
  readonly settings: StatsOptions & { readonly correction: Correction; readonly missing: MissingPolicy };
}

export async function runEval(
  request: EvalRequest,
  deps: { readonly run: RunJob; readonly env: Env },
): Promise<EvalReport> {
  const gates = request.gates.map(parseGate);
  const db = await openDuckDB({ memoryLimit: '256MB' });
  try {
    const tables = [request.input, ...(request.baseline ? [request.baseline] : [])];
    const sources = await Promise.all(tables.map((input) => openTable(db, input)));
    const plans = tables.map((input, t) => planEval(request.plan, sources[t]!.columns, describeInput(input)));
    const names = [...plans[0]!.scores.map((s) => s.name), ...(plans[0]!.allFields.length > 0 ? [ALL_FIELDS] : [])];
    checkGates(gates, names, request.baseline !== undefined);
    const stateDir = resolve(request.stateDir ?? defaultStateDir(request.input));
    // Every model job is built (and so checked) before the first is run.
    const jobs = tables.map((input, t) => modelJobs(input, plans[t]!, request, join(stateDir, tableKey(input)), deps));

    const scored: ScoredTable[] = [];
    const runs: ScoredRun['modelRuns'][number][][] = [];
    let scoresFile: string | undefined;
    for (let t = 0; t < tables.length; t++) {
      const modelScores = new Map<string, Float64Array>();
      const tableRuns: ScoredRun['modelRuns'][number][] = [];
      let plan = plans[t]!;
      for (const [score, compute] of jobs[t]!) {
        const result: ModelScores = await compute(db);
        modelScores.set(score, result.scores);
        tableRuns.push({ score, runs: result.runs });
        plan = withModelKind(plan, score, result);
      }
      const writer = t === 0 && request.scoresOut ? scoresWriter(sources[t]!, plan, request.scoresOut) : undefined;
      try {
        scored.push(
          await scoreTable(sources[t]!, describeInput(tables[t]!), plan, {
            missing: request.missing,
            modelScores,
            writer,
          }),
        );
        if (writer) scoresFile = await writer.finish(db);
      } catch (error) {
        writer?.abort();
        throw error;
      }
      runs.push(tableRuns);
    }

    const [candidate, baseline] = scored;
    const candidateStats = await summarise(candidate!, request.stats);
    const baselineStats = baseline ? await summarise(baseline, request.stats) : undefined;
    const comparison = baseline
      ? await compareRuns(baseline, candidate!, { ...request.stats, correction: request.correction })
      : undefined;
    const scoredRun = (table: ScoredTable, stats: readonly ScoreStats[], t: number): ScoredRun => ({
      where: table.where,
      rows: table.rows,
      notOk: table.notOk,
      stats,
      modelRuns: runs[t]!,
    });
    return {
      candidate: scoredRun(candidate!, candidateStats, 0),
      baseline: baseline ? scoredRun(baseline, baselineStats!, 1) : undefined,
      comparison,
      gates: evaluateGates(gates, candidateStats, comparison),
      scoresFile,
      settings: { ...request.stats, correction: request.correction, missing: request.missing },
    };
  } finally {
    db.close();
  }
}

type ModelJob = [score: string, compute: (db: DuckDB) => Promise<ModelScores>];

function modelJobs(
  input: TableInput,
  plan: EvalPlan,
  request: EvalRequest,
  stateDir: string,
  { run, env }: { readonly run: RunJob; readonly env: Env },
): ModelJob[] {
  const jobs: ModelJob[] = [];
  for (const score of plan.scores) {
    if (score.metric === 'judge') {
      if (!request.judge)
        throw new InputError('--metric judge needs --judge-prompt (a rubric with {{column}} placeholders)');
      const prepared = judgeJob(input, request.judge, request.engine, join(stateDir, 'judge'), env);
      jobs.push([score.name, (db) => judgeScores(db, prepared, run)]);
    } else if (score.metric === 'embedding_cosine') {
      const pair = score.pair!;
      const embedJobs = embeddingJobs(
        input,
        { answer: pair.answer, reference: pair.reference! },
        request.embedModel,
        request.engine,
        join(stateDir, 'embeddings'),
        env,
      );
      jobs.push([score.name, (db) => embeddingScores(db, embedJobs, run)]);
    }
  }
  return jobs;
}

/** The judge's kind and range come from its schema, known once its job is built. */
function withModelKind(plan: EvalPlan, score: string, result: ModelScores): EvalPlan {
  return {
    ...plan,
    scores: plan.scores.map((column): ScoreColumn =>
      column.name === score ? { ...column, kind: result.kind, range: result.range } : column,
    ),
  };
}

function scoresWriter(
  source: TableSource,
  plan: EvalPlan,
  target: { readonly path: string; readonly format: OutputFormat },
): TableWriter {
  const names = [...plan.scores.map((s) => s.name), ...(plan.allFields.length > 0 ? [ALL_FIELDS] : [])];
  const columns: OutputColumn[] = [
    ...source.columns.map((c) => ({ name: c.name, type: c.type, nested: /^(STRUCT|JSON|MAP|UNION)|\]$/.test(c.type) })),
    ...names.map((name) => ({ name: `score.${name}`, type: 'DOUBLE', nested: false })),
  ];
  const clash = source.columns.find((c) => names.some((name) => c.name === `score.${name}`));
  if (clash) throw new InputError(`--scores: the input already has a column ${clash.name}`);
  return createTableWriter({ path: target.path, format: target.format, columns });
}

/** `.llmap/eval` beside the input file (or in the working directory for a query). */
export function defaultStateDir(input: TableInput): string {
  return input.kind === 'file' ? join(dirname(input.path), '.llmap', 'eval') : join('.llmap', 'eval');
}

/** A directory name per evaluated table: its name and a hash of where it is. */
function tableKey(input: TableInput): string {
  const where = input.kind === 'file' ? resolve(input.path) : input.kind === 'sql' ? input.sql : input.location.shown;
  const name = input.kind === 'file' ? basename(input.path).replace(/[^A-Za-z0-9_.-]/g, '_') : 'query';
  return `${name}-${createHash('sha256').update(where).digest('hex').slice(0, 8)}`;
}
