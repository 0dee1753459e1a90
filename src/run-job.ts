// runJob: the library's front door. Prepares everything that can fail before a request is sent (table, columns,
// prompt placeholders, schema, provider), then runs the row pipeline and publishes the output. It reads as the table
// of contents of a run; each step is a module under run/ (the provider stack, a pass over the rows, the summary),
// which a worker composes the same way.

import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { Budget } from './cost/budget.js';
import { costOfSpend, isFree, jobPrice } from './cost/prices.js';
import { planBatch } from './executor/batch-plan.js';
import type { OutageEvent } from './executor/circuit-breaker.js';
import { RateLimiter, type Limiter } from './executor/rate-limiter.js';
import { Slots } from './executor/slots.js';
import { jobFingerprint, sameRequests } from './job/job-fingerprint.js';
import { jobKeyer, openJobSource } from './job/job-source.js';
import type { Job } from './job/job.js';
import type { ObservedRun } from './observe/observed-run.js';
import { previousRecord } from './observe/report/run-record.js';
import { Timeline } from './observe/report/timeline.js';
import { RequestLog } from './observe/request-log.js';
import { RunStats } from './observe/run-stats.js';
import { answerColumnsOf, metaColumns, outputColumns, vectorOutput } from './output/output-rows.js';
import type { HttpClient } from './providers/http/http-client.js';
import type { ChatProvider } from './providers/provider.js';
import { openModelProvider, providerSettings, stackProviders, type ProviderStack } from './run/provider-stack.js';
import { reportStep } from './run/report-step.js';
import { rowPass, type Pass } from './run/row-pass.js';
import { summarise, type RunSummary } from './run/run-summary.js';
import type { BatchRecord } from './store/batch-store.js';
import type { CacheStore } from './store/cache-store.js';
import type { LedgerStore, OpenLedger, RunMeta, RunState } from './store/ledger-store.js';
import { openRunState } from './store/run-state.js';
import { openSqliteBatches } from './store/sqlite/sqlite-batches.js';
import { openSqliteCache } from './store/sqlite/sqlite-cache.js';
import { openSqliteLedger } from './store/sqlite/sqlite-ledger.js';
import { openDuckDB, type DuckDB } from './table/duckdb.js';
import { checkJobExpectations, skipWarnings } from './table/expectations.js';
import { OutputWriteError } from './table/output-write-error.js';
import { describePg } from './table/postgres/pg-location.js';
import { writePostgresTable } from './table/postgres/pg-write.js';
import { publishOutput, type Published } from './table/publish-output.js';
import { siblingPath } from './table/write-table.js';

export { metaColumns } from './output/output-rows.js';
export type { BatchSummary, RunSummary } from './run/run-summary.js';

export interface RunJobDeps {
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /** Abort to stop dispatching (Ctrl-C); what is done is written. */
  readonly stopSignal?: AbortSignal;
  /** Replaces the provider built from the job (tests, custom backends). */
  readonly provider?: ChatProvider;
  /** Keeps the job's model provider open across runs (a worker's local model loads once): given how to open it,
   * returns the one to use, whose `close` leaves it open. */
  readonly keepProvider?: (job: Job, open: () => ChatProvider) => ChatProvider;
  /** Replaces the one-machine rate limiter (a worker's, shared in Redis); closed when the run ends. */
  readonly limiter?: Limiter;
  /** The run state is leased to this run by a scheduler (a worker's shard): a run recorded as still going elsewhere
   * is one whose lease ran out, not one to wait for. */
  readonly leasedState?: boolean;
  /** Replaces the HTTP transport of the job's provider. */
  readonly http?: HttpClient;
  /** The run state and the response cache; SQLite files by default. */
  readonly openLedger?: OpenLedger;
  readonly openCache?: (cacheDir: string) => CacheStore;
  /** The command line that resumes this job, kept in the run state for `llmap status`. */
  readonly command?: readonly string[];
  /** Progress of a local model's download, in bytes. */
  readonly onDownload?: (downloaded: number, total: number) => void;
  /** Batch mode: called while the run waits for its batches (the live ones, and the rows waiting for them). */
  readonly onBatchWait?: (live: readonly BatchRecord[], rows: number) => void;
  /** Called when the provider goes down (the run pauses) and comes back. */
  readonly onOutage?: (event: OutageEvent) => void;
  /** Called once rows are about to flow, with what a watcher (the metrics endpoint) reads while they do. */
  readonly onObserve?: (run: ObservedRun) => void;
  /** Called once the job is checked and rows are about to flow. */
  readonly onStart?: (stats: RunStats, warnings: readonly string[], notes: readonly string[]) => void;
}

export async function runJob(job: Job, deps: RunJobDeps = {}): Promise<RunSummary> {
  const now = deps.now ?? Date.now;
  const sleep =
    deps.sleep ?? ((ms: number, signal?: AbortSignal) => sleepTimer(ms, undefined, signal ? { signal } : {}));
  let db: DuckDB | undefined;
  let provider: ChatProvider | undefined;
  let ledger: LedgerStore | undefined;
  let cache: CacheStore | undefined;
  let stack: ProviderStack | undefined;
  const closers: (() => void)[] = [];
  try {
    // 1. The model's provider. A local model starts loading now, while the table is opened and scanned.
    const limiter =
      deps.limiter ??
      new RateLimiter({
        ...(job.execution.rpm === undefined ? {} : { rpm: job.execution.rpm }),
        ...(job.execution.tpm === undefined ? {} : { tpm: job.execution.tpm }),
        now,
      });
    closers.push(() => limiter.close());
    const settings = providerSettings(job, deps);
    // Every call to the provider, recorded where it ends (the metrics and the report read it).
    const requests = new RequestLog();
    const open = () => openModelProvider(job, settings, limiter, now, deps.provider, requests);
    provider = deps.keepProvider ? deps.keepProvider(job, open) : open();
    const opening = provider.open?.();
    opening?.catch(() => undefined);

    // 2. The table and the output's columns. Spills go beside the output (writable, and on the disk that takes the
    // output), not into the working directory.
    db = await openDuckDB({ tempDirectory: siblingPath(resolve(job.output.path), 'spill') });
    const source = await openJobSource(db, job);
    // The job's data checks: a failed one stops it here, before its run state is touched (or, with
    // --expect-action skip, leaves its rows unasked).
    const expectations = await checkJobExpectations(db, job, source);
    const answerCols = answerColumnsOf(job);
    const columns = outputColumns(source.columns, answerCols, metaColumns(job.samples, job.output.keepPrompts));
    const warnings = [...(job.cache.replay ? [] : schemaWarnings(job, provider)), ...skipWarnings(expectations)];
    // A model that cannot load stops the run here, before its run state is touched.
    const providerNotes = [
      ...((await opening) ?? []),
      ...(job.schema && provider.schemaNotes ? provider.schemaNotes(job.schema) : []),
    ];

    // 3. The run state, the cache, and what the job may still spend.
    const output = resolve(job.output.path);
    const fingerprint = jobFingerprint(job);
    const state = await openRunState(
      { dir: job.state.dir, output, fingerprint, fresh: job.state.fresh, leased: deps.leasedState === true },
      deps.openLedger ?? openSqliteLedger,
    );
    const openLedger = (ledger = state.ledger);
    const openCache = (cache = (deps.openCache ?? openSqliteCache)(job.cache.dir));
    const price = jobPrice(job);
    // Each earlier run's tokens at the price of the model it used: a free local run costs nothing here.
    const spentBefore = costOfSpend(job.prices, (await openLedger.counts()).spend);
    // A model that costs nothing cannot spend a budget: no reservations (nor token counts) for it.
    const budget =
      job.budget !== undefined && price && !isFree(price) ? new Budget(job.budget, price, spentBefore.usd) : undefined;

    // 4. The provider stack: limits, breaker, batch mode, cache.
    // Fast resume: entries found by content-hash id under unchanged requests are reused without re-keying the row.
    const uniform =
      !state.previous || (state.previous.uniform && sameRequests(state.previous.fingerprint, fingerprint));
    const trustRowIds = uniform && state.previous !== undefined && job.identity.idColumn === undefined;
    const runStartedAt = now();
    const keyOf = jobKeyer(job);
    const stats = new RunStats(source.rowCount * job.samples, runStartedAt, requests);
    const slots = new Slots(1);
    // Batch mode: rows are looked up or queued, not called, so they flow at the pipeline's widest.
    const batchStore =
      job.batch.mode === 'online' ? undefined : openSqliteBatches(job.state.dir, { fresh: job.state.fresh });
    if (batchStore) closers.push(() => batchStore.close());
    const plan = planBatch({
      settings: job.batch,
      now: now(),
      requests: stats.total,
      rpm: job.execution.rpm,
      firstBatchAt: batchStore?.live()[0]?.createdAt,
    });
    const providers = (stack = stackProviders({
      job,
      provider,
      given: deps.provider !== undefined,
      settings,
      limiter,
      slots,
      plan,
      batchStore,
      budget,
      cache: openCache,
      keyOf,
      runStartedAt,
      now,
      sleep,
      requests,
      ...(deps.onOutage ? { onOutage: deps.onOutage } : {}),
    }));
    const { batchMode } = providers;

    // 5. Checkpointed: the run is running. Batches an earlier run left half-submitted are settled, and the ones that
    // ended since are downloaded.
    const meta = (runState: RunState, stopReason?: string): RunMeta => ({
      output,
      model: `${job.model.provider}:${job.model.modelId}`,
      fingerprint,
      command: deps.command ?? [],
      cwd: process.cwd(),
      state: runState,
      pid: process.pid,
      host: hostname(),
      startedAt: runStartedAt,
      updatedAt: now(),
      rowsTotal: stats.total,
      inFlight: stats.inFlight,
      uniform,
      ...(stopReason === undefined ? {} : { stopReason }),
    });
    const checkpoint = async (runState: RunState, stopReason?: string) => {
      await openCache.flush();
      await openLedger.checkpoint(meta(runState, stopReason));
    };
    await checkpoint('running');
    const batchNotes = [...(plan.note ? [plan.note] : []), ...((await batchMode?.recover(deps.stopSignal)) ?? [])];
    await batchMode?.collect(deps.stopSignal);
    deps.onObserve?.({
      job,
      stats,
      limiter,
      concurrency: providers.concurrency,
      breaker: providers.breaker,
      batchStore,
      price,
    });
    deps.onStart?.(stats, warnings, [...providerNotes, ...state.notes, ...batchNotes]);
    // The report's baseline is the output's previous report, read before this run replaces it.
    const previousReport = job.report.write ? previousRecord(output) : undefined;
    const timeline = new Timeline(stats, now);
    timeline.start();
    closers.push(() => timeline.stop());

    // 6. Passes over the rows: one, or in batch mode as many as it takes for every row to be answered.
    const vectors = vectorOutput(job.task.kind === 'embed' ? job.task.normalize : false);
    const runPass = rowPass({
      job,
      source,
      columns,
      answerNames: answerCols.map((c) => c.name),
      stats,
      slots,
      ledger: openLedger,
      cache: openCache,
      stack: providers,
      keyOf,
      answering: { now, sleep, random: deps.random ?? Math.random },
      runStartedAt,
      trustRowIds,
      vectors,
      skipped: expectations.skipped,
      checkpoint: () => checkpoint('running'),
      stopSignal: deps.stopSignal,
    });
    let pass: Pass = await runPass();
    let detached = false;
    // Rows left to batches: wait for them (or leave them, with --detach), then pass again.
    while (batchMode && pass.writer && stats.deferred > 0 && !pass.result.stopped) {
      pass.writer.abort();
      pass.quarantine?.abort();
      await checkpoint('running');
      if (job.batch.detach) {
        detached = true;
        break;
      }
      deps.onBatchWait?.(batchStore!.live(), stats.deferred);
      const done = await batchMode.waitForAll(deps.stopSignal, (live) => deps.onBatchWait?.(live, stats.deferred));
      if (!done) {
        pass = { result: { stopped: { kind: 'interrupted' } }, writer: undefined, quarantine: undefined };
        break;
      }
      stats.startPass();
      pass = await runPass();
    }

    // 7. The output: its own name for a complete run, else the partial file; none while rows wait for batches.
    const { result, writer, quarantine } = pass;
    const deferred = stats.deferred;
    let published: Published | undefined;
    let outputError: string | undefined;
    let table: string | undefined;
    if (writer && quarantine && !detached && !(deferred > 0 && !result.stopped)) {
      // The output's own name only for every row of the job (a late Ctrl-C that left none out included).
      const complete = job.limit === undefined && writer.rowsWritten === stats.total;
      try {
        published = await publishOutput(db, writer, quarantine, output, complete);
        // A Postgres target takes the complete output only: its table is replaced once, never by part of a job.
        if (job.output.postgres && published && !published.partial) {
          const target = describePg(job.output.postgres);
          await writePostgresTable(db, published.path, job.output.postgres).catch((error: unknown) => {
            throw new OutputWriteError(target, error);
          });
          table = target;
        }
      } catch (error) {
        // The answers are in the run state: the same command again writes the file, asking nothing.
        if (!OutputWriteError.isInstance(error)) throw error;
        outputError = error.message;
      }
    } else {
      writer?.abort();
      quarantine?.abort();
    }
    const stopReason = outputError
      ? `output not written: ${outputError}`
      : detached
        ? `detached: ${deferred.toLocaleString('en-US')} rows wait for provider batches`
        : result.stopped && result.stopped.kind !== 'interrupted'
          ? result.stopped.message
          : result.stopped?.kind;
    await checkpoint(result.stopped || detached || outputError ? 'stopped' : 'finished', stopReason);
    if (batchStore && published && !result.stopped) batchStore.prune();

    // 8. The summary, and the report of the file written.
    const batchCounts = batchStore?.counts();
    const summary = summarise({
      job,
      output,
      ...(table === undefined ? {} : { table }),
      published,
      outputError,
      stats,
      resumedAtStart: stats.resumedAtStart,
      stopped: result.stopped,
      price,
      spentBefore,
      warnings,
      notes: [...providerNotes, ...vectors.notes()],
      breaker: providers.breaker,
      batch: batchMode && batchCounts ? { mode: batchMode, counts: batchCounts, note: plan.note, detached } : undefined,
      elapsedMs: now() - stats.startedAt,
    });
    if (!job.report.write || !published) return summary;
    const report = await reportStep({
      db,
      job,
      fingerprint,
      summary,
      stats,
      timeline: timeline.stop(),
      answers: answerCols.map((c) => c.name),
      previous: previousReport,
      now,
    });
    return { ...summary, report };
  } finally {
    stack?.close();
    for (const close of closers) close();
    await provider?.close();
    await cache?.close();
    await ledger?.close();
    db?.close();
  }
}

function schemaWarnings(job: Job, provider: ChatProvider): string[] {
  if (!job.schema) return [];
  const dropped = provider.unsupportedSchemaParts(job.schema);
  if (dropped.length === 0) return [];
  return [
    `${provider.provider} cannot enforce these parts of ${job.schema.origin} while decoding; they are dropped from the ` +
      `request and checked locally instead: ${dropped.join(', ')}`,
  ];
}
