// Batch mode: rows are answered by the provider's Batch API at half price, in passes over the table.
//
// A pass asks each row's request of this provider. A request never submitted is put in the batch being filled and
// the row is deferred (left out of this pass, not recorded); a full batch is recorded in the batch ledger with its
// requests before it is uploaded and created, and each step is recorded as it completes. Between passes, live batches
// are polled and downloaded into the batch ledger. The next pass finds each row's answer there (it then flows through
// validation, the ledger and the output like an online answer), or the item's error, which the failure policy turns
// into a follow-up batch, an online call, or a recorded failure. A run that dies anywhere resumes from the ledgers:
// batches recorded but not known to be created are looked up at the provider before anything is created again.

import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { BatchApi } from '../providers/batch/batch-api.js';
import type { CallOptions, ChatProvider, ChatRequest, ChatResult } from '../providers/provider.js';
import type { RequestKeyer } from '../request/request-key.js';
import type { BatchRecord, BatchStore, ItemResult } from '../store/batch-store.js';

/** What happens to a request whose batch item failed or expired. */
export type BatchFailurePolicy = 'batch' | 'online' | 'fail';

/** Thrown for a row whose answer is in a batch not yet collected: the row is left for a later pass or run. */
export class BatchDeferred extends Error {
  override readonly name = 'BatchDeferred';
  static isInstance(error: unknown): error is BatchDeferred {
    return error instanceof BatchDeferred;
  }
}

export interface BatchModeOptions {
  readonly api: BatchApi;
  readonly store: BatchStore;
  /** The same model online: failed items fall back to it, and repair turns use it. */
  readonly online: ChatProvider;
  readonly keyOf: RequestKeyer;
  readonly onFailure: BatchFailurePolicy;
  /** Batches a request may be in before it goes online (the first included). */
  readonly maxBatchAttempts: number;
  /** When batches still running are cancelled and what is left goes online (ms since the epoch). */
  readonly cutoffAt: number | undefined;
  /** How long a follow-up batch may take (the provider's completion window). */
  readonly windowMs: number;
  readonly pollMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Local batch ids (unique per batch; random by default). */
  readonly newId?: () => string;
  /** The batch API's own calls (upload, create, poll) are retried this many times on transient errors. */
  readonly apiAttempts?: number;
  /** Called before a request joins a batch; throws (BudgetExceededError) when the budget cannot take it. */
  readonly reserve?: (request: ChatRequest) => void;
}

export interface BatchRunCounts {
  /** Batches created by this run, and the requests in them. */
  submitted: number;
  requests: number;
  /** Batches downloaded by this run. */
  collected: number;
  /** Items that failed or expired in a batch and were sent to a follow-up batch, online, or failed. */
  followUp: number;
  online: number;
  failedItems: number;
}

export interface BatchMode {
  /** The provider the pipeline asks: answers from collected batches, defers the rest. */
  readonly provider: ChatProvider;
  readonly counts: BatchRunCounts;
  /** Settles batches an earlier run left half-submitted: found at the provider, created from their file, or dropped. */
  recover(signal?: AbortSignal): Promise<string[]>;
  /** Submits the batch being filled, and waits for every submission of this pass. */
  flush(signal?: AbortSignal): Promise<void>;
  /** Polls live batches once and downloads the ended ones; returns how many are still live. */
  collect(signal?: AbortSignal): Promise<number>;
  /** Polls until every live batch is collected (cancelling them at the cutoff); false when stopped by the signal. */
  waitForAll(signal: AbortSignal | undefined, onPoll?: (live: readonly BatchRecord[]) => void): Promise<boolean>;
  close(): Promise<void>;
}

const RESULT_CHUNK = 2048;

export function createBatchMode(options: BatchModeOptions): BatchMode {
  const { api, store, online, keyOf, now } = options;
  const newId = options.newId ?? (() => `${now().toString(36)}${Math.random().toString(36).slice(2, 10)}`);
  const apiAttempts = options.apiAttempts ?? 5;
  const counts: BatchRunCounts = { submitted: 0, requests: 0, collected: 0, followUp: 0, online: 0, failedItems: 0 };

  // The batch being filled: its lines, and the keys in it (so an identical request is not put in twice).
  let lines: string[] = [];
  let items: { customId: string; requestKey: string; attempt: number }[] = [];
  let bytes = 0;
  const queued = new Set<string>();
  const submissions = new Set<Promise<void>>();
  let submitError: Error | undefined;

  /** Retries a batch API call on transient errors, with backoff. */
  async function retrying<T>(what: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const transient = ApiCallError.isInstance(error) && error.isRetryable && !error.stopsRun;
        if (!transient || attempt >= apiAttempts || signal?.aborted) throw apiFailure(what, error);
        await options.sleep(Math.min(30_000, 500 * 2 ** (attempt - 1)), signal);
      }
    }
  }

  /** A batch API call that failed for good, saying which step it was. */
  function apiFailure(what: string, error: unknown): Error {
    if (!ApiCallError.isInstance(error)) return error instanceof Error ? error : new Error(String(error));
    return new ApiCallError({
      message: `${api.provider} batch API, ${what}: ${error.message}`,
      isRetryable: false,
      stopsRun: error.stopsRun,
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
      cause: error,
    });
  }

  // Every batch id this job recorded, collected ones too: a batch found at the provider must be none of them.
  const taken = () => store.batchIds();

  async function submit(localId: string, batchLines: string[], requests: number, signal?: AbortSignal): Promise<void> {
    const fileId = await retrying('upload', () => api.upload(localId, batchLines, signal), signal);
    if (fileId !== undefined) store.update(localId, { state: 'uploaded', fileId });
    const since = now();
    let batchId: string | undefined;
    for (let attempt = 1; batchId === undefined; attempt++) {
      try {
        batchId = await api.create(localId, fileId, batchLines, signal);
      } catch (error) {
        const transient = ApiCallError.isInstance(error) && error.isRetryable && !error.stopsRun;
        if (!transient || attempt >= apiAttempts || signal?.aborted) {
          throw apiFailure('create', error);
        }
        // A create that timed out may still have created the batch: look before creating another.
        batchId = await retrying(
          'find',
          () => api.find({ localId, ...(fileId ? { fileId } : {}), since, requests }, taken(), signal),
          signal,
        );
        if (batchId === undefined) await options.sleep(Math.min(30_000, 500 * 2 ** (attempt - 1)), signal);
      }
    }
    store.update(localId, { state: 'submitted', batchId });
    counts.submitted++;
    counts.requests += requests;
  }

  /** Records the batch being filled and starts its submission. */
  function startBatch(signal?: AbortSignal): void {
    if (items.length === 0) return;
    const localId = newId();
    const batchLines = lines;
    const requests = items.length;
    store.add({ localId, state: 'preparing', createdAt: now(), requests }, items);
    for (const item of items) queued.delete(item.requestKey);
    lines = [];
    items = [];
    bytes = 0;
    const submission = submit(localId, batchLines, requests, signal)
      .catch((error: unknown) => {
        // Nothing reached the provider for good: the batch is forgotten, and its rows are asked again next time.
        store.drop(localId);
        submitError ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => submissions.delete(submission));
    submissions.add(submission);
  }

  function enqueue(request: ChatRequest, key: string, attempt: number): never {
    // A batch that could not be submitted stops the run; the row is not this row's failure, so it is not recorded.
    if (submitError) throw new ApiCallError({ message: submitError.message, isRetryable: false, stopsRun: true });
    if (!queued.has(key)) {
      const customId = `${key.slice(0, 56)}-${attempt}`;
      const line = api.line(customId, request);
      const size = Buffer.byteLength(line) + 1;
      if (
        items.length > 0 &&
        (items.length + 1 > api.limits.maxRequests ||
          bytes + size + api.overheadBytes(items.length + 1) > api.limits.maxBytes)
      ) {
        startBatch();
      }
      options.reserve?.(request);
      if (size + api.overheadBytes(1) > api.limits.maxBytes) {
        throw new ApiCallError({
          message: `the request is ${size} bytes, over the ${api.provider} batch limit of ${api.limits.maxBytes} bytes`,
          isRetryable: false,
        });
      }
      lines.push(line);
      items.push({ customId, requestKey: key, attempt });
      bytes += size;
      queued.add(key);
      if (items.length >= api.limits.maxRequests) startBatch();
    }
    throw new BatchDeferred('in a batch');
  }

  const timeRemains = () => options.cutoffAt === undefined || now() + options.windowMs <= options.cutoffAt;

  async function afterFailure(
    request: ChatRequest,
    key: string,
    attempt: number,
    error: string,
    callOptions: CallOptions,
  ) {
    switch (options.onFailure) {
      case 'fail':
        counts.failedItems++;
        throw new ApiCallError({ message: `${error} (--on-batch-failure fail)`, isRetryable: false });
      case 'batch':
        if (attempt < options.maxBatchAttempts && timeRemains()) {
          counts.followUp++;
          return enqueue(request, key, attempt + 1);
        }
        break;
      case 'online':
        break;
    }
    counts.online++;
    return online.doGenerate(request, callOptions);
  }

  const provider: ChatProvider = {
    ...online,
    unsupportedSchemaParts: (schema) => online.unsupportedSchemaParts(schema),
    async doGenerate(request, callOptions): Promise<ChatResult> {
      const key = keyOf(request);
      if (queued.has(key)) throw new BatchDeferred('in a batch');
      const item = store.latest(key);
      if (!item) return enqueue(request, key, 1);
      if (item.state === 'pending') throw new BatchDeferred('in a batch');
      if (item.state === 'done') return { ...item.result!, batch: true };
      if (!item.retryable) {
        throw new ApiCallError({ message: item.error ?? 'failed in the batch', isRetryable: false });
      }
      return afterFailure(request, key, item.attempt, item.error ?? 'failed in the batch', callOptions);
    },
    // The online provider is the run's to close.
    close: () => Promise.resolve(),
  };

  async function download(batch: BatchRecord, refs: readonly string[], signal?: AbortSignal): Promise<void> {
    let chunk: ItemResult[] = [];
    for await (const result of api.results(batch.batchId!, refs, signal)) {
      chunk.push(result);
      if (chunk.length >= RESULT_CHUNK) {
        store.saveResults(batch.localId, chunk);
        chunk = [];
      }
    }
    store.saveResults(batch.localId, chunk);
  }

  async function collect(signal?: AbortSignal): Promise<number> {
    let live = 0;
    for (const batch of store.live()) {
      if (batch.state !== 'submitted') continue;
      const progress = await retrying('poll', () => api.progress(batch.batchId!, signal), signal);
      if (!progress.ended) {
        live++;
        store.update(batch.localId, { providerStatus: `${progress.status} ${progress.done}/${progress.total}` });
        continue;
      }
      if (progress.failure !== undefined) {
        store.collected(batch.localId, `the batch failed: ${progress.failure}`, now(), 'failed');
      } else {
        await retrying('download', () => download(batch, progress.results, signal), signal);
        store.collected(batch.localId, `missing from the results of batch ${batch.batchId!}`, now(), progress.status);
      }
      counts.collected++;
    }
    return live;
  }

  return {
    provider,
    counts,
    async recover(signal) {
      const notes: string[] = [];
      for (const batch of store.live()) {
        if (batch.state === 'submitted') continue;
        const found = await retrying(
          'find',
          () =>
            api.find(
              {
                localId: batch.localId,
                ...(batch.fileId ? { fileId: batch.fileId } : {}),
                since: batch.createdAt,
                requests: batch.requests,
              },
              taken(),
              signal,
            ),
          signal,
        );
        if (found !== undefined) {
          store.update(batch.localId, { state: 'submitted', batchId: found });
          notes.push(`batch ${found} was created before the last run stopped, and is tracked`);
        } else if (batch.fileId !== undefined) {
          const batchId = await retrying(
            'create',
            () => api.create(batch.localId, batch.fileId, [], signal),
            signal,
          ).catch(() => undefined);
          if (batchId === undefined) store.drop(batch.localId);
          else store.update(batch.localId, { state: 'submitted', batchId });
        } else {
          store.drop(batch.localId);
        }
      }
      return notes;
    },
    async flush(signal) {
      startBatch(signal);
      while (submissions.size > 0) await Promise.all([...submissions]);
      if (submitError) {
        const error = submitError;
        submitError = undefined;
        throw error;
      }
    },
    collect,
    async waitForAll(signal, onPoll) {
      let cancelled = false;
      for (;;) {
        if (signal?.aborted) return false;
        const live = await collect(signal);
        if (live === 0) return true;
        onPoll?.(store.live());
        if (!cancelled && options.cutoffAt !== undefined && now() >= options.cutoffAt) {
          cancelled = true;
          for (const batch of store.live()) {
            if (batch.batchId)
              await retrying('cancel', () => api.cancel(batch.batchId!, signal), signal).catch(() => undefined);
          }
          continue;
        }
        try {
          const untilCutoff =
            options.cutoffAt !== undefined && !cancelled ? Math.max(0, options.cutoffAt - now()) : Infinity;
          await options.sleep(Math.min(options.pollMs, untilCutoff), signal);
        } catch {
          return false;
        }
      }
    },
    close: () => api.close(),
  };
}
