// `llmap sql`: a DuckDB query whose LLM functions are answered by the engine. DuckDB's JavaScript functions cannot
// wait, so the query runs, answering from the call book and recording what it cannot; the engine answers the
// recorded calls; the query runs again; it is done when a run records nothing new. The number of runs is the depth
// of dependent calls (`llm(llm(x))` takes two), and each run asks only what DuckDB evaluated: rows a WHERE, CASE or
// LIMIT leaves out are never asked.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Job } from '../job/job.js';
import type { Env } from '../job/load-job.js';
import { runJob } from '../run-job.js';
import type { RunSummary } from '../run/run-summary.js';
import { openDuckDB, sqlIdentifier, sqlString, type DuckDB } from '../table/duckdb.js';
import type { PgLocation } from '../table/postgres/pg-location.js';
import { snapshotPostgres } from '../table/postgres/pg-snapshot.js';
import { answerCalls, callJobs, type SqlRunOptions } from './answer-calls.js';
import { CallBook, type CallConfig } from './call-book.js';
import { estimateJob, type Estimate } from '../cost/estimate-job.js';
import { registerJsonSchema, registerLlmFunctions, RUN_FULL } from './llm-functions.js';
import { InputError } from '../job/input-error.js';
import { planQuery } from './plan-query.js';

export interface SqlRequest {
  readonly query: string;
  /** Everything of a run but the table and prompt: model, limits, cache, budget, mode. */
  readonly options: SqlRunOptions;
  /** Where each config's run state and calls live. */
  readonly stateDir: string;
  /** Postgres tables the query reads by name: each read once, into the state directory, before the query runs. */
  readonly attach?: readonly { readonly name: string; readonly location: PgLocation }[];
  /** @default 64 */
  readonly maxPasses?: number;
  /** New calls the first run of the query may record before it is cut short; each next run four times as many.
   * @default 2048 */
  readonly firstCalls?: number;
}

export interface SqlDeps {
  readonly env: Env;
  /** Runs one config's job (the CLI adds progress and Ctrl-C); runJob by default. */
  readonly run?: (job: Job) => Promise<RunSummary>;
  /** Called before the engine answers a run's new calls. */
  readonly onPass?: (pass: number, calls: number, configs: number) => void;
}

export interface SqlResult {
  /** The session; the result is its table `result`. The caller writes it and closes the session. */
  readonly db: DuckDB;
  readonly table: string;
  readonly rows: number;
  /** Runs of the query; the last recorded no new call. */
  readonly passes: number;
  /** Distinct calls the result needed, and of them the ones that failed (NULL in the result), by reason. */
  readonly calls: { readonly distinct: number; readonly evaluated: number };
  readonly failures: readonly { reason: string; calls: number }[];
  /** Every config job's summary, in the order they ran. */
  readonly summaries: readonly RunSummary[];
  /** A job that stopped before answering its calls (budget, outage, Ctrl-C): the query's result is not complete. */
  readonly stopped?: RunSummary;
}

export const RESULT_TABLE = '__llmap_result';

export async function runSql(request: SqlRequest, deps: SqlDeps): Promise<SqlResult> {
  const { db, book, sql } = await openSession(request);
  let failed = true;
  try {
    const budget = budgetShares();
    const run = deps.run ?? ((job: Job) => runJob(job));
    const summaries: RunSummary[] = [];
    const maxPasses = request.maxPasses ?? 64;
    // The first run may record one slice of calls (see CallBook.full); each next one four times as many, or 32
    // times after a slice that cost nothing (answered by the run state or the cache: a re-run).
    book.cap = request.firstCalls ?? 2048;
    for (let pass = 1; ; pass++) {
      const complete = await runQuery(db, sql);
      const pending = book.take();
      if (pending.length === 0 && complete) {
        const result = await done(db, book, pass, summaries);
        failed = false;
        return result;
      }
      if (pass === maxPasses) {
        throw new Error(`the query still makes new calls after ${maxPasses} runs: calls nested deeper than that?`);
      }
      // This run's result is not the answer; the engine's own DuckDB gets the memory it held.
      await db.connection.run(`DROP TABLE IF EXISTS ${RESULT_TABLE}`);
      const jobs = await callJobs(pending, book, request.options, request.stateDir, deps.env);
      deps.onPass?.(
        pass,
        pending.reduce((n, p) => n + p.count, 0),
        pending.length,
      );
      const ran = await answerCalls(jobs, book, (job) => budget.run(job, run));
      summaries.push(...ran);
      book.cap *= ran.some((summary) => paidRows(summary) > 0) ? 4 : 32;
      const stopped = ran.find((s) => s.stopped || s.output !== s.outputPath);
      if (stopped) {
        const result = { ...(await done(db, book, pass, summaries, false)), stopped };
        failed = false;
        return result;
      }
    }
  } finally {
    book.close();
    // On success the caller writes the result, then closes the session.
    if (failed) db.close();
  }
}

/**
 * What the query's calls would cost, sending nothing: one run of the query records its calls, and each function
 * setting's calls are estimated as `llmap estimate` estimates a job. A call whose prompt is another call's answer
 * (`llm(llm(x))`) cannot be known before that answer, so only the calls the query makes of its tables are counted.
 */
export async function estimateSql(
  request: SqlRequest,
  env: Env,
): Promise<{ readonly config: CallConfig; readonly estimate: Estimate }[]> {
  const { db, book, sql } = await openSession(request);
  try {
    await runQuery(db, sql);
    const jobs = await callJobs(book.take(), book, request.options, request.stateDir, env, { sends: false });
    const estimates = [];
    for (const { pending, job } of jobs) estimates.push({ config: pending.config, estimate: await estimateJob(job) });
    return estimates;
  } finally {
    book.close();
    db.close();
  }
}

/** A DuckDB session with the LLM functions, the attached Postgres tables read, and the query planned. */
async function openSession(request: SqlRequest): Promise<{ db: DuckDB; book: CallBook; sql: string }> {
  mkdirSync(request.stateDir, { recursive: true });
  // DuckDB's default limit here (128 MB); what does not fit spills beside the run state.
  const db = await openDuckDB({ tempDirectory: resolve(request.stateDir, 'spill') });
  const book = new CallBook(join(request.stateDir, 'calls.sqlite'));
  try {
    await registerLlmFunctions(db, book);
    for (const { name, location } of request.attach ?? []) {
      const snapshot = join(request.stateDir, 'attached', `${name}.parquet`);
      await snapshotPostgres(db, location, snapshot);
      await db.connection.run(
        `CREATE TEMP VIEW ${sqlIdentifier(name)} AS SELECT * FROM read_parquet(${sqlString(snapshot)})`,
      );
    }
    const planned = await planQuery(db, request.query);
    for (const [index, { schema, structure }] of planned.schemas.entries()) {
      await registerJsonSchema(db, index, schema, structure);
    }
    return { db, book, sql: planned.sql };
  } catch (error) {
    book.close();
    db.close();
    throw error;
  }
}

/**
 * One run of the query into the result table: whether it ran to the end (rather than being cut short to answer the
 * calls it recorded). Every column is materialised, so every call the result holds is evaluated, and none it does not.
 * A query DuckDB cannot bind or run is the user's to fix: an input error, before any call is paid.
 */
async function runQuery(db: DuckDB, sql: string): Promise<boolean> {
  try {
    await db.connection.run(`CREATE OR REPLACE TEMP TABLE ${RESULT_TABLE} AS ${sql}`);
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.includes(RUN_FULL)) return false;
    if (/^(?!INTERNAL|Out of Memory)[A-Za-z ]+ Error: /.test(message))
      throw new InputError(`the query failed: ${message}`);
    throw error;
  }
}

async function done(
  db: DuckDB,
  book: CallBook,
  passes: number,
  summaries: RunSummary[],
  complete = true,
): Promise<SqlResult> {
  const count = complete ? await db.connection.runAndReadAll(`SELECT count(*) FROM ${RESULT_TABLE}`) : undefined;
  return {
    db,
    table: RESULT_TABLE,
    rows: count ? Number(count.getRows()[0]![0]) : 0,
    passes,
    calls: { distinct: book.known, evaluated: book.lookups },
    failures: book.failures(),
    summaries,
  };
}

/** Rows a config's job asked of the model (not answered by its run state or the cache). */
export function paidRows(summary: RunSummary): number {
  return summary.rows.written - summary.rows.cached - summary.rows.resumed;
}

/** One --budget over every config's job: each may spend what the others (this invocation) have not. */
function budgetShares() {
  const spent = new Map<string, number>();
  return {
    async run(job: Job, run: (job: Job) => Promise<RunSummary>): Promise<RunSummary> {
      const total = job.budget;
      if (total === undefined) return run(job);
      let others = 0;
      for (const [dir, usd] of spent) if (dir !== job.state.dir) others += usd;
      const summary = await run({ ...job, budget: Math.max(total - others, 1e-9) });
      spent.set(job.state.dir, summary.cost?.jobUsd ?? 0);
      return summary;
    },
  };
}
