// The contract of a provider's batch API, as batch mode drives it: write each request as the provider's batch line,
// submit a batch (uploading its file first where the provider wants one), find a batch whose creation was not
// recorded, read its status, and stream its results. Adapters: openai/openai-batch.ts, anthropic/anthropic-batch.ts.

import type { ItemResult } from '../../store/batch-store.js';
import type { ChatRequest } from '../provider.js';

/** How much one batch may hold (OpenAI: 50,000 requests and 200 MB; Anthropic: 100,000 and 256 MB). */
export interface BatchLimits {
  readonly maxRequests: number;
  readonly maxBytes: number;
}

export type BatchProgress =
  | { readonly ended: false; readonly status: string; readonly done: number; readonly total: number }
  | {
      readonly ended: true;
      /** The provider's final status (`completed`, `expired`, `ended`, `failed`, …). */
      readonly status: string;
      /** Why every item failed, when the batch as a whole did (OpenAI's validation errors). */
      readonly failure?: string;
      /** Where its results are: the provider's own references, handed back to `results`. */
      readonly results: readonly string[];
    };

export interface BatchApi {
  readonly provider: string;
  readonly limits: BatchLimits;
  /** Bytes a batch adds around its lines (Anthropic's JSON envelope), counted against `maxBytes`. */
  readonly overheadBytes: (lines: number) => number;
  /** One request as the provider's batch line (JSON text). */
  line(customId: string, request: ChatRequest): string;
  /** OpenAI: uploads the input file and returns its id. Providers without files return undefined. */
  upload(localId: string, lines: readonly string[], signal?: AbortSignal): Promise<string | undefined>;
  /** Creates the batch (from the uploaded file, or from the lines) and returns the provider's batch id. */
  create(localId: string, fileId: string | undefined, lines: readonly string[], signal?: AbortSignal): Promise<string>;
  /**
   * A batch created at or after `since` for this local batch, whose creation was not recorded (the process died
   * between the call and the record): found by its metadata or input file (OpenAI), or by creation time and size
   * (Anthropic). `taken`: batch ids already recorded, never returned.
   */
  find(
    local: { readonly localId: string; readonly fileId?: string; readonly since: number; readonly requests: number },
    taken: ReadonlySet<string>,
    signal?: AbortSignal,
  ): Promise<string | undefined>;
  progress(batchId: string, signal?: AbortSignal): Promise<BatchProgress>;
  /** The answers and errors of an ended batch, streamed as they download. */
  results(batchId: string, refs: readonly string[], signal?: AbortSignal): AsyncIterable<ItemResult>;
  cancel(batchId: string, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
