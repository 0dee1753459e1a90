// runJob: the library's front door. Prepares everything that can fail before a request is sent (table, columns,
// prompt placeholders, schema, provider), then runs the row pipeline and publishes the output.

import { jobKeyer, openJobSource, requestTemplate } from './job/job-source.js';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { answerRow, type RowOutcome } from './executor/answer-row.js';
import { Budget } from './cost/budget.js';
import { costOf, costOfPaid, costOfSpend, isFree, paidPriceOf } from './cost/prices.js';
import { createBatchMode, type BatchRunCounts } from './executor/batch-mode.js';
import { BATCH_WINDOW_MS, planBatch } from './executor/batch-plan.js';
import { ApiCallError } from './providers/errors/api-call-error.js';
import type { ChatRequest } from './providers/provider.js';
import type { BatchRecord } from './store/batch-store.js';
import { openSqliteBatches } from './store/sqlite/sqlite-batches.js';
import { withCache } from './executor/cached-provider.js';
import { ConcurrencyController } from './executor/concurrency.js';
import { CircuitBreaker, withCircuitBreaker, type OutageEvent } from './executor/circuit-breaker.js';
import { ANTHROPIC_DEFAULT_BASE_URL } from './providers/anthropic/anthropic-messages.js';
import { OPENAI_DEFAULT_BASE_URL } from './providers/openai/openai-chat.js';
import { RateLimiter } from './executor/rate-limiter.js';
import { withEmbeddingRateLimit, withRateLimit } from './executor/rate-limited-provider.js';
import { batchEmbeddings } from './executor/embed-batcher.js';
import { countTextTokens } from './cost/count-tokens.js';
import { Slots } from './executor/slots.js';
import { startCheckpoints } from './executor/checkpoints.js';
import {
  runPipeline,
  type PipelineResult,
  type RowRef,
  type RowTask,
  type StopReason,
} from './executor/run-pipeline.js';
import { DEFAULT_RETRY_POLICY } from './executor/retry.js';
import { InputError } from './job/input-error.js';
import type { Job } from './job/job.js';
import { jobFingerprint, sameRequests } from './job/job-fingerprint.js';
import { answerColumns, EMBEDDING_COLUMN, TEXT_ANSWER_COLUMN, type OutputColumn } from './output/answer-columns.js';
import { fromBase64 } from './output/vector-text.js';
import { ANSWER_CHECK_VERSION } from './output/parse-answer.js';
import { createQuarantine, type Quarantine } from './output/quarantine.js';
import { RunStats } from './observe/run-stats.js';
import { createBatchApi, createEmbeddingProvider, createProvider } from './providers/create-provider.js';
import type { HttpClient } from './providers/http/http-client.js';
import { offlineProvider } from './providers/offline/offline-provider.js';
import type { ChatProvider } from './providers/provider.js';
import { buildRequest } from './request/build-request.js';
import { canonicalJson } from './request/canonical-json.js';
import { promptHash, sha256Hex } from './request/request-key.js';
import type { CacheStore } from './store/cache-store.js';
import type { LedgerEntry, LedgerStore, OpenLedger, RunMeta, RunState } from './store/ledger-store.js';
import { openRunState } from './store/run-state.js';
import { openSqliteCache } from './store/sqlite/sqlite-cache.js';
import { openSqliteLedger } from './store/sqlite/sqlite-ledger.js';
import { openDuckDB, type DuckDB } from './table/duckdb.js';
import { type Column, type Row } from './table/read-table.js';
import { rowIdentity } from './table/row-identity.js';
import { OutputWriteError } from './table/output-write-error.js';
import { publishOutput, type Published } from './table/publish-output.js';
import { createTableWriter, siblingPath, type TableWriter } from './table/write-table.js';

/** The status and audit columns after the answer, in order (`_sample` only when several samples are asked). */
export function metaColumns(samples: number): OutputColumn[] {
  const column = (name: string, type: string): OutputColumn => ({ name, type, nested: false });
  return [
    column('_status', 'VARCHAR'),
    column('_error', 'VARCHAR'),
    column('_row_id', 'VARCHAR'),
    ...(samples > 1 ? [column('_sample', 'INTEGER')] : []),
    column('_attempts', 'INTEGER'),
    column('_latency_ms', 'BIGINT'),
    column('_input_tokens', 'BIGINT'),
    column('_output_tokens', 'BIGINT'),
    column('_model', 'VARCHAR'),
    column('_cached', 'BOOLEAN'),
    column('_request_key', 'VARCHAR'),
    column('_prompt_hash', 'VARCHAR'),
    column('_provider_request_id', 'VARCHAR'),
    column('_finished_at', 'TIMESTAMP'),
  ];
}

export interface RunJobDeps {
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /** Abort to stop dispatching (Ctrl-C); what is done is written. */
  readonly stopSignal?: AbortSignal;
  /** Replaces the provider built from the job (tests, custom backends). */
  readonly provider?: ChatProvider;
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
  /** Called once the job is checked and rows are about to flow. */
  readonly onStart?: (stats: RunStats, warnings: readonly string[], notes: readonly string[]) => void;
}

export interface RunSummary {
  /** Where the complete output goes: written only by a run that leaves no row of the job out (and no --limit). */
  readonly outputPath: string;
  /** The file this run wrote ('' when none): `outputPath` when complete, else its partial file. */
  readonly output: string;
  /** Why `output` is `<name>.partial.<ext>` (the run was limited, or stopped early), leaving `outputPath` as it was. */
  readonly partial?: 'limit' | 'stopped';
  /** Why the output could not be written; every answer is in the run state, and the same command writes it. */
  readonly outputError?: string;
  readonly quarantine: string | undefined;
  readonly stateDir: string;
  readonly rows: {
    total: number;
    written: number;
    ok: number;
    failed: number;
    invalid: number;
    /** Taken from the run state of an earlier run. */
    resumed: number;
    /** Answered without a paid call in this run. */
    cached: number;
    /**
     * Of `cached`, the rows answered by a call another row of this run paid for (an identical request: in flight at
     * the same time, or answered earlier in the run); the others came from answers cached before this run.
     */
    duplicates: number;
    /** Rows answered in this run (from a call or the cache) whose answer was cut off at max_tokens (see `_error`). */
    truncated: number;
  };
  /**
   * Tokens of the calls made in this run (not answered from the cache). `paid` is false when they cost nothing (a
   * local model).
   */
  readonly tokens: { input: number; output: number; paid: boolean };
  readonly retries: number;
  readonly elapsedMs: number;
  readonly stopped: StopReason | undefined;
  readonly warnings: readonly string[];
  /** How the provider ran (a local model: its file, sequences, threads, prompt format). */
  readonly notes: readonly string[];
  /**
   * USD, when the model's price is known: this run's paid calls, and the job's across its runs (each run's tokens at
   * the price of the model that run used; `unpriced` names models of earlier runs whose price is unknown, whose
   * tokens are left out of `jobUsd`).
   */
  readonly cost?: {
    readonly runUsd: number;
    readonly jobUsd: number;
    readonly pricesAsOf: string;
    readonly unpriced?: readonly string[];
  };
  /** Batch mode: what this run submitted and collected, and what still waits. */
  readonly batch?: BatchSummary;
  /** Times the provider was down during the run (the run paused, its rows asked again once it was back). */
  readonly outages?: { readonly count: number; readonly pausedMs: number };
}

export interface BatchSummary extends BatchRunCounts {
  /** How the mode was chosen. */
  readonly note: string;
  /** Batches submitted and not yet collected. */
  readonly live: number;
  /** Rows whose answer is still in a live batch (the output is written once there are none). */
  readonly deferred: number;
  /** The run submitted and exited (--detach). */
  readonly detached: boolean;
  /** Tokens paid at the batch discount in this run, and what the discount saved (USD, when the price is known). */
  readonly tokens: { readonly input: number; readonly output: number };
  readonly savedUsd?: number;
}

/** Batches a request may be in (the first, and one follow-up) before it goes online. */
const MAX_BATCH_ATTEMPTS = 2;

/** Embeddings calls in flight when --concurrency is auto. */
const EMBED_REQUESTS = 4;

/** Answers are committed on the turn that receives them; the run's metadata is refreshed at least this often. */
const CHECKPOINT_MS = 1000;

export async function runJob(job: Job, deps: RunJobDeps = {}): Promise<RunSummary> {
  const now = deps.now ?? Date.now;
  let db: DuckDB | undefined;
  let provider: ChatProvider | undefined;
  let ledger: LedgerStore | undefined;
  let cache: CacheStore | undefined;
  const closers: (() => void)[] = [];
  try {
    const limiter = new RateLimiter({
      ...(job.execution.rpm === undefined ? {} : { rpm: job.execution.rpm }),
      ...(job.execution.tpm === undefined ? {} : { tpm: job.execution.tpm }),
      now,
    });
    closers.push(() => limiter.close());
    const settings = {
      timeoutMs: job.execution.timeoutMs,
      connections: job.execution.maxConcurrency,
      ...(deps.http ? { http: deps.http } : {}),
      ...(deps.onDownload ? { onDownload: deps.onDownload } : {}),
    };
    const embedTask = job.task.kind === 'embed' ? job.task : undefined;
    provider = job.cache.replay
      ? offlineProvider(job.model.provider, job.model.modelId)
      : (deps.provider ??
        (embedTask
          ? // Rows are packed into embeddings calls; the limiter counts calls, not rows.
            batchEmbeddings(
              withEmbeddingRateLimit(
                createEmbeddingProvider(job.model, embedTask, settings),
                limiter,
                now,
                countTextTokens,
              ),
              {
                requests: job.execution.concurrency === 'auto' ? EMBED_REQUESTS : job.execution.concurrency,
                countTokens: countTextTokens,
              },
            )
          : createProvider(job.model, settings)));
    // A local model starts loading now, while the table is opened and scanned.
    const opening = provider.open?.();
    opening?.catch(() => undefined);
    // Spills go beside the output (writable, and on the disk that takes the output), not into the working directory.
    db = await openDuckDB({ tempDirectory: siblingPath(resolve(job.output.path), 'spill') });
    const source = await openJobSource(db, job);
    const answerCols =
      job.task.kind === 'embed'
        ? [EMBEDDING_COLUMN]
        : job.schema
          ? answerColumns(job.schema.jsonSchema)
          : [TEXT_ANSWER_COLUMN];
    const columns = outputColumns(source.columns, answerCols, metaColumns(job.samples));

    const warnings = job.cache.replay ? [] : schemaWarnings(job, provider);

    // A model that cannot load stops the run here, before its run state is touched.
    const providerNotes = [
      ...((await opening) ?? []),
      ...(job.schema && provider.schemaNotes ? provider.schemaNotes(job.schema) : []),
    ];
    const output = resolve(job.output.path);
    const fingerprint = jobFingerprint(job);
    const state = await openRunState(
      { dir: job.state.dir, output, fingerprint, fresh: job.state.fresh },
      deps.openLedger ?? openSqliteLedger,
    );
    ledger = state.ledger;
    cache = (deps.openCache ?? openSqliteCache)(job.cache.dir);
    const price = paidPriceOf(job.prices, job.model.provider, job.model.modelId);
    if (job.budget !== undefined && !price) {
      throw new InputError(
        `--budget needs the price of ${job.model.provider}:${job.model.modelId}, which the price table (of ` +
          `${job.prices.asOf}) does not list: give it with --prices FILE`,
      );
    }
    // Each earlier run's tokens at the price of the model it used: a free local run costs nothing here.
    const spentBefore = costOfSpend(job.prices, (await ledger.counts()).spend);
    // A model that costs nothing cannot spend a budget: no reservations (nor token counts) for it.
    const budget =
      job.budget !== undefined && price && !isFree(price) ? new Budget(job.budget, price, spentBefore.usd) : undefined;

    // Fast resume: entries found by content-hash id under unchanged requests are reused without re-keying the row.
    const uniform =
      !state.previous || (state.previous.uniform && sameRequests(state.previous.fingerprint, fingerprint));
    const trustRowIds = uniform && state.previous !== undefined && job.identity.idColumn === undefined;
    const runStartedAt = now();
    const keyOf = jobKeyer(job);
    const stats = new RunStats(source.rowCount * job.samples, runStartedAt);
    const slots = new Slots(1);
    const sleep =
      deps.sleep ?? ((ms: number, signal?: AbortSignal) => sleepTimer(ms, undefined, signal ? { signal } : {}));
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
    const concurrency = new ConcurrencyController(slots, limiter, {
      fixed:
        provider.maxInFlight ??
        (plan.batch
          ? job.execution.maxConcurrency
          : job.execution.concurrency === 'auto'
            ? undefined
            : job.execution.concurrency),
      max: job.execution.maxConcurrency,
    });
    closers.push(() => concurrency.close());
    const rateLimited = embedTask ? provider : withRateLimit(provider, limiter, concurrency, now, budget);
    // An outage of a hosted or self-hosted server pauses the run instead of failing its rows; a local model has none.
    const breaker =
      job.model.provider === 'llama' || job.cache.replay || deps.provider
        ? undefined
        : new CircuitBreaker({
            endpoint: endpointOf(job),
            maxOutageMs: job.execution.maxOutageMs,
            now,
            ...(deps.onOutage ? { onChange: deps.onOutage } : {}),
          });
    if (breaker) closers.push(() => breaker.close());
    const limited = breaker ? withCircuitBreaker(rateLimited, breaker) : rateLimited;
    const batchMode =
      plan.batch && batchStore
        ? createBatchMode({
            api: createBatchApi(job.model, settings, job.batch),
            store: batchStore,
            online: limited,
            keyOf,
            onFailure: job.batch.onFailure,
            maxBatchAttempts: MAX_BATCH_ATTEMPTS,
            cutoffAt: plan.cutoffAt,
            windowMs: BATCH_WINDOW_MS,
            pollMs: job.batch.pollMs,
            now,
            sleep,
            ...(budget ? { reserve: (request: ChatRequest) => void budget.reserve(request, true) } : {}),
          })
        : undefined;
    if (batchMode) closers.push(() => void batchMode.close());
    const asked = batchMode ? batchMode.provider : limited;
    const cacheOptions = { cache, keyOf, runStartedAt, now };
    const cachedProvider = withCache(asked, { ...cacheOptions, notBefore: job.cache.read ? 0 : runStartedAt });
    // Rows asked again by --retry-failed must not get their old answer back from the cache.
    const uncachedProvider = withCache(asked, { ...cacheOptions, notBefore: runStartedAt });
    // Batch mode repairs an answer online: a repair turn is one request, and a row should not wait a day for it.
    const repairProvider = batchMode
      ? withCache(limited, { ...cacheOptions, notBefore: job.cache.read ? 0 : runStartedAt })
      : undefined;

    // Row groups and DuckDB's memory for the final write are sized from the rows staged (see planWrite).
    const newWriter = () => createTableWriter({ path: job.output.path, format: job.output.format, columns });
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
    const { ledger: openLedger, cache: openCache } = { ledger, cache };
    const checkpoint = async (runState: RunState, stopReason?: string) => {
      await openCache.flush();
      await openLedger.checkpoint(meta(runState, stopReason));
    };
    // A local model loads here: one that cannot load stops the run before any row is asked.
    await checkpoint('running');
    // Batches an earlier run left half-submitted are settled, and the ones that ended since are downloaded.
    const batchNotes = [...(plan.note ? [plan.note] : []), ...((await batchMode?.recover(deps.stopSignal)) ?? [])];
    await batchMode?.collect(deps.stopSignal);
    deps.onStart?.(stats, warnings, [...providerNotes, ...state.notes, ...batchNotes]);

    const template = requestTemplate(job);
    const answerDeps = {
      schema: job.schema,
      retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: job.execution.maxAttempts },
      now,
      sleep,
      random: deps.random ?? Math.random,
      onRetry: () => stats.retries++,
      ...(breaker ? { excused: (error: ApiCallError) => breaker.excuses(error) } : {}),
      ...(repairProvider ? { repairProvider } : {}),
    };
    const answerNames = answerCols.map((c) => c.name);
    const vectors = vectorOutput(embedTask?.normalize ?? false);
    // Only outcomes of earlier runs: a later pass of this run (batch mode) keeps what an earlier pass recorded.
    const retrying = (earlier: LedgerEntry | undefined) =>
      job.state.retryFailed && earlier !== undefined && earlier.status !== 'ok' && earlier.finishedAt < runStartedAt;
    // Answers checked with another schema (or other rules) are checked again; the cache answers their requests.
    const checkedWith = sha256Hex(
      canonicalJson({ schema: job.schema?.jsonSchema ?? null, rules: ANSWER_CHECK_VERSION }),
    ).slice(0, 16);
    const stale = (recorded: LedgerEntry) => recorded.status !== 'failed' && recorded.checkedWith !== checkedWith;

    // One pass over the table; in batch mode, passes go on until every row is answered from a collected batch.
    interface Pass {
      readonly result: PipelineResult;
      /** Undefined when the pass ended in a way that writes nothing. */
      readonly writer: TableWriter | undefined;
      readonly quarantine: Quarantine | undefined;
    }
    const runPass = async (): Promise<Pass> => {
      const writer = newWriter();
      const quarantine = createQuarantine(job.output.path);
      const checkpoints = startCheckpoints(() => checkpoint('running'), CHECKPOINT_MS);
      let result;
      try {
        result = await runPipeline(
          {
            source,
            samples: job.samples,
            identify: rowIdentity(job.identity.idColumn),
            buildRequest: (row, sample) => buildRequest(template, row, sample),
            address: (request) => ({ key: keyOf(request), promptHash: promptHash(request) }),
            lookup: (rowIds) => openLedger.getMany(rowIds),
            prefetch: (keys) => openCache.warm(keys),
            reuse: (recorded, row, sample) => {
              // A replay re-reads every answer from the cache (re-parsed and re-validated with today's schema).
              if (job.cache.replay || retrying(recorded) || stale(recorded)) return undefined;
              const outcome = outcomeFromEntry(recorded);
              if (trustRowIds) return { outcome, key: recorded.requestKey, promptHash: recorded.promptHash };
              const request = buildRequest(template, row, sample);
              const key = keyOf(request);
              return key === recorded.requestKey ? { outcome, key, promptHash: promptHash(request) } : undefined;
            },
            answer: (task, earlier, signal) =>
              answerRow(task.request, {
                ...answerDeps,
                provider: earlier && retrying(earlier) ? uncachedProvider : cachedProvider,
                signal,
              }),
            record: (task, outcome) => {
              // `not in cache` is not an answer: the next online run must ask it.
              if (job.cache.replay && outcome.status === 'failed') return;
              openLedger.record(ledgerEntry(task, outcome, checkedWith));
              checkpoints.soon();
            },
            sink: (task, outcome) => {
              const written = embedTask && typeof outcome.answer === 'string' ? vectors.output(outcome) : outcome;
              writer.append(outputRow(task, written, answerNames, job.schema !== undefined, job.samples > 1));
              if (outcome.status === 'invalid') {
                quarantine.add({
                  row: task.index,
                  rowId: task.rowId,
                  error: outcome.error ?? '',
                  raw: outcome.raw ?? '',
                  model: outcome.model,
                });
              }
            },
          },
          {
            slots,
            maxWaiting: Math.max(10_000, job.execution.maxConcurrency * 100),
            drainMs: job.execution.drainMs,
            stats,
            ...(deps.stopSignal ? { stopSignal: deps.stopSignal } : {}),
          },
        );
        // The batch being filled is submitted; a batch API that refuses the run stops it like a provider would.
        await batchMode?.flush(deps.stopSignal);
      } catch (error) {
        await checkpoints.stop().catch(() => undefined);
        writer.abort();
        quarantine.abort();
        // A batch the provider would not take stops the run like a provider refusing it (exit 3); what is done is kept.
        if (ApiCallError.isInstance(error) && result) {
          return {
            result: { stopped: { kind: 'provider', message: error.message } },
            writer: undefined,
            quarantine: undefined,
          };
        }
        throw error;
      }
      await checkpoints.stop();
      return { result, writer, quarantine };
    };

    let pass = await runPass();
    const resumedAtStart = stats.resumed;
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
    const { result, writer, quarantine } = pass;
    const deferred = stats.deferred;
    let published: Published | undefined;
    let outputError: string | undefined;
    if (writer && quarantine && !detached && !(deferred > 0 && !result.stopped)) {
      // The output's own name only for every row of the job (a late Ctrl-C that left none out included).
      const complete = job.limit === undefined && writer.rowsWritten === stats.total;
      try {
        published = await publishOutput(db, writer, quarantine, output, complete);
      } catch (error) {
        // The answers are in the run state: the same command again writes the file, asking nothing.
        if (!OutputWriteError.isInstance(error)) throw error;
        outputError = error.message;
      }
    } else {
      writer?.abort();
      quarantine?.abort();
    }
    const written = published?.path;
    const stopReason = outputError
      ? `output not written: ${outputError}`
      : detached
        ? `detached: ${deferred.toLocaleString('en-US')} rows wait for provider batches`
        : result.stopped && result.stopped.kind !== 'interrupted'
          ? result.stopped.message
          : result.stopped?.kind;
    const runUsd = price ? costOfPaid(price, stats) : undefined;
    await checkpoint(result.stopped || detached || outputError ? 'stopped' : 'finished', stopReason);
    if (batchStore && written && !result.stopped) batchStore.prune();
    const batchCounts = batchStore?.counts();
    return {
      outputPath: output,
      output: written ?? '',
      ...(published?.partial ? { partial: job.limit === undefined ? 'stopped' : 'limit' } : {}),
      ...(outputError === undefined ? {} : { outputError }),
      quarantine: published?.quarantine,
      stateDir: job.state.dir,
      rows: {
        total: stats.total,
        written: published?.rows ?? 0,
        ok: stats.ok,
        failed: stats.failed,
        invalid: stats.invalid,
        resumed: resumedAtStart,
        cached: stats.cached,
        duplicates: stats.duplicates,
        truncated: stats.truncated,
      },
      tokens: { input: stats.inputTokens, output: stats.outputTokens, paid: !(price && isFree(price)) },
      retries: stats.retries,
      elapsedMs: now() - stats.startedAt,
      stopped: result.stopped,
      warnings,
      notes: [...providerNotes, ...vectors.notes(), ...(published?.notes ?? [])],
      ...(price && runUsd !== undefined
        ? {
            cost: {
              runUsd,
              jobUsd: spentBefore.usd + runUsd,
              pricesAsOf: job.prices.asOf,
              ...(spentBefore.unpriced.length > 0 ? { unpriced: spentBefore.unpriced } : {}),
            },
          }
        : {}),
      ...(breaker && breaker.outages > 0 ? { outages: { count: breaker.outages, pausedMs: breaker.outageMs } } : {}),
      ...(batchMode && batchCounts
        ? {
            batch: {
              note: plan.note,
              ...batchMode.counts,
              live: batchCounts.batches.preparing + batchCounts.batches.uploaded + batchCounts.batches.submitted,
              deferred,
              detached,
              tokens: { input: stats.batchInputTokens, output: stats.batchOutputTokens },
              ...(price
                ? {
                    savedUsd:
                      costOf(price, stats.batchInputTokens, stats.batchOutputTokens) -
                      costOf(price, stats.batchInputTokens, stats.batchOutputTokens, true),
                  }
                : {}),
            },
          }
        : {}),
    };
  } finally {
    for (const close of closers) close();
    await provider?.close();
    await cache?.close();
    await ledger?.close();
    db?.close();
  }
}

/** The endpoint a job's requests go to, as the user would recognise it in a message. */
function endpointOf(job: Job): string {
  if (job.model.baseUrls.length > 0) return job.model.baseUrls.map((url) => url.href).join(', ');
  return job.model.provider === 'anthropic' ? ANTHROPIC_DEFAULT_BASE_URL : OPENAI_DEFAULT_BASE_URL;
}

/** Embeddings arrive as base64 float32 text (cache, ledger) and are written as a FLOAT[] column. */
function vectorOutput(normalize: boolean) {
  const dimensions = new Map<number, number>();
  return {
    output(outcome: RowOutcome): RowOutcome {
      const vector = fromBase64(outcome.answer as string);
      dimensions.set(vector.length, (dimensions.get(vector.length) ?? 0) + 1);
      if (normalize) normalizeVector(vector);
      return { ...outcome, answer: Array.from(vector) as unknown as string };
    },
    notes(): string[] {
      if (dimensions.size === 0) return [];
      const sizes = [...dimensions.keys()];
      return [
        sizes.length === 1
          ? `embedding dimension ${sizes[0]}${normalize ? ' (normalized to length 1)' : ''}`
          : `embedding dimensions differ between rows: ${sizes.join(', ')}`,
      ];
    },
  };
}

function normalizeVector(vector: Float32Array): void {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm;
}

/** Input columns, then the answer's, then the status and audit columns; a clash is an input error, never a silent
 * overwrite. */
function outputColumns(
  input: readonly Column[],
  answer: readonly OutputColumn[],
  meta: readonly OutputColumn[],
): OutputColumn[] {
  const inputCols: OutputColumn[] = input.map((c) => ({
    name: c.name,
    type: c.type,
    nested: /^(STRUCT|MAP|JSON|UNION)|\]$/.test(c.type),
  }));
  const taken = new Set(input.map((c) => c.name));
  for (const column of [...answer, ...meta]) {
    if (taken.has(column.name)) {
      throw new InputError(
        `output column "${column.name}" would overwrite the input column of the same name; rename it in the schema, or ` +
          `select the input columns with --sql "SELECT ... AS other_name FROM ..."`,
      );
    }
    taken.add(column.name);
  }
  return [...inputCols, ...answer, ...meta];
}

function outputRow(
  task: RowRef,
  outcome: RowOutcome,
  answerNames: readonly string[],
  structured: boolean,
  withSample: boolean,
): Row {
  // With several samples, one input row object is shared by its tasks: each gets a copy.
  const out: Record<string, unknown> = withSample ? { ...task.row } : task.row;
  if (outcome.answer !== undefined) {
    if (structured) {
      const answer = outcome.answer as Record<string, unknown>;
      for (const name of answerNames) out[name] = answer[name];
    } else {
      out[answerNames[0]!] = outcome.answer;
    }
  }
  out['_status'] = outcome.status;
  out['_error'] = outcome.error;
  out['_row_id'] = task.rowId;
  if (withSample) out['_sample'] = task.sample;
  out['_attempts'] = outcome.attempts;
  out['_latency_ms'] = Math.round(outcome.latencyMs);
  out['_input_tokens'] = outcome.inputTokens;
  out['_output_tokens'] = outcome.outputTokens;
  out['_model'] = outcome.model || undefined;
  out['_cached'] = outcome.cached;
  out['_request_key'] = task.key;
  out['_prompt_hash'] = task.promptHash;
  out['_provider_request_id'] = outcome.providerRequestId;
  out['_finished_at'] = new Date(outcome.finishedAt).toISOString();
  return out as Row;
}

function ledgerEntry(task: RowTask, outcome: RowOutcome, checkedWith: string): LedgerEntry {
  return {
    rowId: task.rowId,
    sample: task.sample,
    status: outcome.status,
    requestKey: task.key,
    promptHash: task.promptHash,
    checkedWith,
    ...(outcome.answer === undefined ? {} : { answer: outcome.answer }),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
    ...(outcome.status === 'invalid' && outcome.raw !== undefined ? { raw: outcome.raw } : {}),
    attempts: outcome.attempts,
    latencyMs: outcome.latencyMs,
    inputTokens: outcome.inputTokens,
    outputTokens: outcome.outputTokens,
    ...(outcome.batchInputTokens ? { batchInputTokens: outcome.batchInputTokens } : {}),
    ...(outcome.batchOutputTokens ? { batchOutputTokens: outcome.batchOutputTokens } : {}),
    model: outcome.model,
    ...(outcome.providerRequestId === undefined ? {} : { providerRequestId: outcome.providerRequestId }),
    cached: outcome.cached,
    finishedAt: outcome.finishedAt,
  };
}

function outcomeFromEntry(entry: LedgerEntry): RowOutcome {
  return {
    status: entry.status,
    ...(entry.answer === undefined ? {} : { answer: entry.answer as Record<string, unknown> | string }),
    ...(entry.error === undefined ? {} : { error: entry.error }),
    ...(entry.raw === undefined ? {} : { raw: entry.raw }),
    attempts: entry.attempts,
    latencyMs: entry.latencyMs,
    inputTokens: entry.inputTokens,
    outputTokens: entry.outputTokens,
    model: entry.model,
    ...(entry.providerRequestId === undefined ? {} : { providerRequestId: entry.providerRequestId }),
    cached: entry.cached,
    finishedAt: entry.finishedAt,
    resumed: true,
  };
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
