// `anthropic:` in batch mode: Message Batches. A batch is created with `requests: [{custom_id, params}]` (params: the
// Messages API body), polled until `processing_status` is `ended`, and its results streamed from `results_url`: one
// JSON line per request, `{custom_id, result: {type: succeeded | errored | canceled | expired, …}}`.

import type { ItemResult } from '../../store/batch-store.js';
import type { BatchApi, BatchLimits, BatchProgress } from '../batch/batch-api.js';
import { createApiHttp, signalOption as opt } from '../batch/api-http.js';
import { ANTHROPIC_VERSION, anthropicRequestBody, messageResult, type AnthropicMessage } from './anthropic-messages.js';

export const ANTHROPIC_BATCH_LIMITS: BatchLimits = { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 };
const ENVELOPE = '{"requests":[';
const FIND_PAGES = 20;
/** Clock difference allowed between this machine and the provider when matching a batch by its creation time. */
const CLOCK_SKEW_MS = 120_000;
/** Error types of a request that may succeed when asked again. */
const RETRYABLE_ERRORS = new Set(['api_error', 'overloaded_error', 'rate_limit_error', 'timeout_error']);

export interface AnthropicBatchSettings {
  readonly baseUrl: URL;
  readonly apiKey?: string;
  readonly timeoutMs: number;
  readonly limits: BatchLimits;
}

interface MessageBatch {
  id: string;
  processing_status: string;
  created_at?: string;
  results_url?: string | null;
  request_counts?: Record<'processing' | 'succeeded' | 'errored' | 'canceled' | 'expired', number>;
}

interface ResultLine {
  custom_id?: string;
  result?: {
    type?: string;
    message?: AnthropicMessage;
    error?: { type?: string; error?: { type?: string; message?: string } };
  };
}

export function createAnthropicBatch(settings: AnthropicBatchSettings): BatchApi {
  const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION };
  if (settings.apiKey) headers['x-api-key'] = settings.apiKey;
  const http = createApiHttp({
    baseUrl: settings.baseUrl,
    headers,
    timeoutMs: settings.timeoutMs,
    errorMessage: (body) => (body as { error?: { message?: string } }).error?.message,
  });
  const getBatch = async (id: string, signal?: AbortSignal) =>
    JSON.parse(
      (await http.call({ method: 'GET', path: `/v1/messages/batches/${id}`, ...opt(signal) })).body,
    ) as MessageBatch;
  const total = (batch: MessageBatch) => Object.values(batch.request_counts ?? {}).reduce((sum, n) => sum + n, 0);

  return {
    provider: 'anthropic',
    limits: settings.limits,
    // `{"requests":[` + the lines joined by commas + `]}`
    overheadBytes: (lines) => ENVELOPE.length + 2 + Math.max(0, lines - 1),
    line: (customId, request) => JSON.stringify({ custom_id: customId, params: anthropicRequestBody(request) }),
    upload: () => Promise.resolve(undefined),

    async create(_localId, _fileId, lines, signal) {
      const response = await http.call({
        method: 'POST',
        path: '/v1/messages/batches',
        body: ENVELOPE + lines.join(',') + ']}',
        ...opt(signal),
      });
      return (JSON.parse(response.body) as MessageBatch).id;
    },

    // Message batches carry no metadata: the one created for this local batch is the one created after the
    // record was written, holding as many requests, and not already recorded for another.
    async find(local, taken, signal) {
      let afterId: string | undefined;
      for (let page = 0; page < FIND_PAGES; page++) {
        const query = `?limit=100${afterId ? `&after_id=${encodeURIComponent(afterId)}` : ''}`;
        const list = JSON.parse(
          (await http.call({ method: 'GET', path: `/v1/messages/batches${query}`, ...opt(signal) })).body,
        ) as { data: MessageBatch[]; has_more?: boolean; last_id?: string | null };
        for (const batch of list.data) {
          const created = Date.parse(batch.created_at ?? '');
          if (taken.has(batch.id) || !(created >= local.since - CLOCK_SKEW_MS)) continue;
          if (total(batch) === local.requests) return batch.id;
        }
        const oldest = Date.parse(list.data.at(-1)?.created_at ?? '');
        if (!list.has_more || !list.last_id || oldest < local.since - CLOCK_SKEW_MS) break;
        afterId = list.last_id;
      }
      return undefined;
    },

    async progress(batchId, signal): Promise<BatchProgress> {
      const batch = await getBatch(batchId, signal);
      if (batch.processing_status === 'ended') {
        return { ended: true, status: 'ended', results: batch.results_url ? [batch.results_url] : [] };
      }
      const counts = batch.request_counts;
      return {
        ended: false,
        status: batch.processing_status,
        done: counts ? total(batch) - counts.processing : 0,
        total: total(batch),
      };
    },

    async *results(_batchId, urls, signal): AsyncIterable<ItemResult> {
      for (const url of urls) {
        for await (const text of http.lines({ method: 'GET', path: url, ...opt(signal) })) {
          const line = JSON.parse(text) as ResultLine;
          if (typeof line.custom_id !== 'string') continue;
          yield itemResult(line, line.custom_id, url);
        }
      }
    },

    async cancel(batchId, signal) {
      await http.call({ method: 'POST', path: `/v1/messages/batches/${batchId}/cancel`, ...opt(signal) });
    },
    close: () => http.close(),
  };
}

function itemResult(line: ResultLine, customId: string, url: string): ItemResult {
  const result = line.result ?? {};
  switch (result.type) {
    case 'succeeded':
      try {
        return { customId, ok: true, result: messageResult(url, result.message ?? {}, result.message?.id) };
      } catch (error) {
        return { customId, ok: false, error: (error as Error).message, retryable: false };
      }
    case 'errored': {
      const error = result.error?.error ?? result.error;
      const type = error?.type ?? 'error';
      return {
        customId,
        ok: false,
        error: `${type}: ${(error as { message?: string } | undefined)?.message ?? 'no message'} (in the batch)`,
        retryable: RETRYABLE_ERRORS.has(type),
      };
    }
    default:
      // `canceled` or `expired`: the request was never run.
      return { customId, ok: false, error: `${result.type ?? 'unknown'}: the request was not run`, retryable: true };
  }
}
