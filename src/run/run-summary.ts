// What a run reports when it ends: the rows and where they went, tokens and spend, outages, batches. The CLI renders
// it (`render-summary.ts`) or prints it as JSON.

import { costOf, costOfPaid, isFree, type JobSpend, type ModelPrice } from '../cost/prices.js';
import type { BatchMode, BatchRunCounts } from '../executor/batch-mode.js';
import type { CircuitBreaker } from '../executor/circuit-breaker.js';
import type { StopReason } from '../executor/run-pipeline.js';
import type { Job } from '../job/job.js';
import type { RunStats } from '../observe/run-stats.js';
import type { BatchCounts } from '../store/batch-store.js';
import type { Published } from '../table/publish-output.js';

export interface RunSummary {
  /** Where the complete output goes: written only by a run that leaves no row of the job out (and no --limit). */
  readonly outputPath: string;
  /** The file this run wrote ('' when none): `outputPath` when complete, else its partial file. */
  readonly output: string;
  /** The Postgres table the complete output was written to (its URL without password, and the table). */
  readonly table?: string;
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
    /** Left unasked because they failed a data check (`--expect-action skip`); in the output with `_status = skipped`
     * and the rule as `_error`, and not recorded, so a run whose data passes asks them. */
    skipped: number;
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
  /** The run report of the file written, and the drift check against its baseline. */
  readonly report?: ReportSummary;
}

/** Where the report went (or why it could not be written), and what drifted. */
export type ReportSummary =
  | {
      readonly html: string;
      readonly sample: string;
      /** Without a baseline (the output's first run), no drift check. */
      readonly drift?: {
        readonly baseline: string;
        readonly sigma: number;
        /** Statistics compared. */
        readonly statistics: number;
        readonly flagged: readonly {
          name: string;
          kind: 'share' | 'mean';
          baseline: number;
          current: number;
          z: number;
        }[];
      };
    }
  | { readonly error: string };

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

export interface SummaryInput {
  readonly job: Job;
  /** The complete output's path. */
  readonly output: string;
  /** The Postgres table the complete output was written to, as shown. */
  readonly table?: string;
  readonly published: Published | undefined;
  readonly outputError: string | undefined;
  readonly stats: RunStats;
  /** Rows taken from the run state by the first pass. */
  readonly resumedAtStart: number;
  readonly stopped: StopReason | undefined;
  readonly price: ModelPrice | undefined;
  /** What earlier runs of the job spent. */
  readonly spentBefore: JobSpend;
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
  readonly breaker: CircuitBreaker | undefined;
  readonly batch:
    | {
        readonly mode: BatchMode;
        readonly counts: BatchCounts;
        readonly note: string;
        readonly detached: boolean;
      }
    | undefined;
  readonly elapsedMs: number;
}

export function summarise(input: SummaryInput): RunSummary {
  const { stats, published, price, breaker } = input;
  const runUsd = price ? costOfPaid(price, stats) : undefined;
  return {
    outputPath: input.output,
    output: published?.path ?? '',
    ...(input.table === undefined ? {} : { table: input.table }),
    ...(published?.partial ? { partial: input.job.limit === undefined ? 'stopped' : 'limit' } : {}),
    ...(input.outputError === undefined ? {} : { outputError: input.outputError }),
    quarantine: published?.quarantine,
    stateDir: input.job.state.dir,
    rows: {
      total: stats.total,
      written: published?.rows ?? 0,
      ok: stats.ok,
      failed: stats.failed,
      invalid: stats.invalid,
      skipped: stats.skipped,
      resumed: input.resumedAtStart,
      cached: stats.cached,
      duplicates: stats.duplicates,
      truncated: stats.truncated,
    },
    tokens: { input: stats.inputTokens, output: stats.outputTokens, paid: !(price && isFree(price)) },
    retries: stats.retries,
    elapsedMs: input.elapsedMs,
    stopped: input.stopped,
    warnings: input.warnings,
    notes: [...input.notes, ...(published?.notes ?? [])],
    ...(price && runUsd !== undefined
      ? {
          cost: {
            runUsd,
            jobUsd: input.spentBefore.usd + runUsd,
            pricesAsOf: input.job.prices.asOf,
            ...(input.spentBefore.unpriced.length > 0 ? { unpriced: input.spentBefore.unpriced } : {}),
          },
        }
      : {}),
    ...(breaker && breaker.outages > 0 ? { outages: { count: breaker.outages, pausedMs: breaker.pausedMs } } : {}),
    ...(input.batch ? { batch: batchSummary(input.batch, stats, price) } : {}),
  };
}

function batchSummary(
  batch: NonNullable<SummaryInput['batch']>,
  stats: RunStats,
  price: ModelPrice | undefined,
): BatchSummary {
  const { batches } = batch.counts;
  const { batchInputTokens: input, batchOutputTokens: output } = stats;
  return {
    note: batch.note,
    ...batch.mode.counts,
    live: batches.preparing + batches.uploaded + batches.submitted,
    deferred: stats.deferred,
    detached: batch.detached,
    tokens: { input, output },
    ...(price ? { savedUsd: costOf(price, input, output) - costOf(price, input, output, true) } : {}),
  };
}
