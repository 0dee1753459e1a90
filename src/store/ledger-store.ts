// The ledger: one entry per (row id, sample) of a job, the row's final outcome and the request that produced it,
// plus the run's metadata and last checkpoint. Resume reads it; `llmap status` reports from it.

import type { RowStatus } from '../executor/answer-row.js';
import type { JobFingerprint } from '../job/job-fingerprint.js';

export interface LedgerEntry {
  readonly rowId: string;
  readonly sample: number;
  readonly status: RowStatus;
  /** The row's request key: a later run reuses the entry only while the row's request is unchanged. */
  readonly requestKey: string;
  readonly promptHash: string;
  /** The schema and rules the answer was checked with: under others, the answer is checked again (from the cache). */
  readonly checkedWith: string;
  /** The validated answer (object or text); absent when the row failed. */
  readonly answer?: unknown;
  readonly error?: string;
  /** The last raw answer, kept for `invalid` rows (the quarantine is rebuilt from it). */
  readonly raw?: string;
  readonly attempts: number;
  readonly latencyMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Of those tokens, the ones a Batch API answered (paid at its discount). */
  readonly batchInputTokens?: number;
  readonly batchOutputTokens?: number;
  readonly model: string;
  readonly providerRequestId?: string;
  /** True when the row caused no paid call (cache, or an identical request in the same run). */
  readonly cached: boolean;
  readonly finishedAt: number;
}

export type RunState = 'running' | 'stopped' | 'finished';

/** What a state directory says about its run: enough to report on it and to resume it. */
export interface RunMeta {
  readonly output: string;
  /** `provider:model`, to price the run's tokens in `llmap status`. */
  readonly model?: string;
  readonly fingerprint: JobFingerprint;
  /** The arguments of the `llmap run` that owns this state, and where it was started. */
  readonly command: readonly string[];
  readonly cwd: string;
  readonly state: RunState;
  readonly pid: number;
  readonly host: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly rowsTotal: number;
  /** Requests in flight when the last checkpoint was written. */
  readonly inFlight: number;
  /**
   * True while every entry was recorded by a job with this fingerprint's requests (see `sameRequests`): then, with
   * content-hash row ids, an entry found by row id answers the same request, and need not be re-keyed to be reused.
   */
  readonly uniform: boolean;
  /** Why the run stopped, when it did not finish. */
  readonly stopReason?: string;
}

/** Tokens a job paid for with one model, across all its runs. */
export interface ModelSpend {
  /** `provider:model` of the runs that asked (RunMeta.model); '' when an old ledger did not record it. */
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Of those, the tokens a Batch API answered. */
  readonly batchInputTokens: number;
  readonly batchOutputTokens: number;
}

export interface LedgerCounts {
  readonly entries: number;
  readonly ok: number;
  readonly failed: number;
  readonly invalid: number;
  /** Entries answered without a paid call. */
  readonly cached: number;
  /** Tokens of paid calls. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Of those, the tokens a Batch API answered. */
  readonly batchInputTokens: number;
  readonly batchOutputTokens: number;
  /**
   * What the job paid for, per model, across all its runs: unlike the tokens above (those of the entries as they
   * stand), an entry replaced by a later answer (a retried row, a changed prompt, another model) keeps its spend.
   */
  readonly spend: readonly ModelSpend[];
}

/**
 * Implementations: SQLite on one machine (`sqlite/sqlite-ledger.ts`); a shared store when distributed.
 * `record` buffers; entries are durable once `checkpoint` has resolved.
 */
export interface LedgerStore {
  /** The entries of these row ids (every sample), keyed by `entryKey(rowId, sample)`. */
  getMany(rowIds: readonly string[]): Promise<Map<string, LedgerEntry>>;
  record(entry: LedgerEntry): void;
  /**
   * Makes recorded entries and the run's metadata durable, in one transaction; the paid tokens of those entries are
   * added to the spend of `meta.model`, the model of the run that asked them.
   */
  checkpoint(meta: RunMeta): Promise<void>;
  readMeta(): Promise<RunMeta | undefined>;
  counts(): Promise<LedgerCounts>;
  close(): Promise<void>;
}

/** Opens (creating if need be) the ledger of a run directory; `fresh` starts it empty, whatever was there. */
export type OpenLedger = (stateDir: string, options?: { readonly fresh?: boolean }) => LedgerStore;

export function entryKey(rowId: string, sample: number): string {
  return sample === 0 ? rowId : `${rowId}\u0000${sample}`;
}
