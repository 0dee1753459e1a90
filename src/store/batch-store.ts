// The batch ledger: the provider batches a job has submitted, the requests in each, and their answers once
// downloaded. It is what makes batch mode durable: every step (prepared, uploaded, created, collected) is recorded
// before the next begins, so a run that dies anywhere is picked up by the next without losing or resubmitting a batch.

import type { ChatResult } from '../providers/provider.js';

/**
 * `preparing`: recorded with its requests, nothing sent yet (Anthropic: its create call may have been sent).
 * `uploaded`: the input file is on the provider (OpenAI), the batch not yet known to be created.
 * `submitted`: created, with the provider's batch id. `collected`: ended, and every answer is stored here.
 */
export type BatchState = 'preparing' | 'uploaded' | 'submitted' | 'collected';

export interface BatchRecord {
  /** llmap's own id for the batch, sent as metadata where the provider keeps it. */
  readonly localId: string;
  readonly state: BatchState;
  readonly fileId?: string;
  readonly batchId?: string;
  /** When it was recorded (ms): a batch created but not recorded is looked for from here on. */
  readonly createdAt: number;
  /** When it ended at the provider (ms). */
  readonly endedAt?: number;
  readonly requests: number;
  /** The provider's last word on it (`in_progress`, `expired`, …) and its counts, for `llmap status`. */
  readonly providerStatus?: string;
}

export interface BatchItem {
  /** Unique within the job: the request key and the attempt. */
  readonly customId: string;
  readonly localId: string;
  readonly requestKey: string;
  /** 1 for the first batch a request is in, 2 for a follow-up batch, … */
  readonly attempt: number;
  readonly state: 'pending' | 'done' | 'error';
  readonly result?: ChatResult;
  readonly error?: string;
  /** Whether asking again may help (expired, cancelled, a server error), or not (an invalid request). */
  readonly retryable?: boolean;
}

export type ItemResult =
  | { readonly customId: string; readonly ok: true; readonly result: ChatResult }
  | { readonly customId: string; readonly ok: false; readonly error: string; readonly retryable: boolean };

export interface BatchCounts {
  readonly batches: Readonly<Record<BatchState, number>>;
  readonly items: { readonly pending: number; readonly done: number; readonly error: number };
}

/** Every method commits before it returns: SQLite in the run directory by default (`sqlite/sqlite-batches.ts`). */
export interface BatchStore {
  /** Records a batch with its requests, in one transaction. */
  add(batch: BatchRecord, items: readonly Pick<BatchItem, 'customId' | 'requestKey' | 'attempt'>[]): void;
  update(localId: string, fields: Partial<Omit<BatchRecord, 'localId'>>): void;
  /** Forgets a batch that never reached the provider, and its requests. */
  drop(localId: string): void;
  /** Batches not yet collected, oldest first. */
  live(): BatchRecord[];
  /** The provider's ids of every batch recorded (live or collected). */
  batchIds(): Set<string>;
  /** The latest attempt of a request, if it was ever put in a batch. */
  latest(requestKey: string): BatchItem | undefined;
  /** Stores answers (and errors) as they are downloaded; the ones of other batches are ignored. */
  saveResults(localId: string, results: readonly ItemResult[]): void;
  /** Marks what the download did not mention as failed, and the batch as collected. */
  collected(localId: string, missing: string, endedAt: number, providerStatus: string): void;
  counts(): BatchCounts;
  /** Deletes collected batches once their answers are in the run's ledger. */
  prune(): void;
  close(): void;
}
