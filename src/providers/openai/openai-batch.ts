// `openai:` in batch mode: the Files and Batch APIs. A batch is a JSONL input file of
// `{custom_id, method: "POST", url: "/v1/chat/completions", body}` lines, uploaded with purpose `batch`, then a batch
// created from it with `completion_window: "24h"` and llmap's own id in `metadata`. When it has ended (`completed`,
// `expired`, `cancelled`) its output file holds `{custom_id, response: {status_code, request_id, body}}` lines and its
// error file the failed and unexecuted ones; a `failed` batch (its input was refused) has `errors.data` instead.

import { randomBytes } from 'node:crypto';
import { isRetryableStatus } from '../errors/api-call-error.js';
import type { ItemResult } from '../../store/batch-store.js';
import type { BatchApi, BatchLimits, BatchProgress } from '../batch/batch-api.js';
import { createApiHttp, signalOption as opt } from '../batch/api-http.js';
import { completionResult, openAIRequestBuilder, type OpenAICompletion } from './openai-chat.js';

export const OPENAI_BATCH_LIMITS: BatchLimits = { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 };
const ENDPOINT = '/v1/chat/completions';
/** How far back a batch created but not recorded is looked for among the account's batches. */
const FIND_PAGES = 20;

export interface OpenAIBatchSettings {
  readonly baseUrl: URL;
  readonly apiKey?: string;
  readonly timeoutMs: number;
  readonly useMaxCompletionTokens: boolean;
  readonly limits: BatchLimits;
}

interface OpenAIBatch {
  id: string;
  status: string;
  input_file_id?: string;
  output_file_id?: string | null;
  error_file_id?: string | null;
  created_at?: number;
  metadata?: Record<string, string> | null;
  errors?: { data?: { code?: string; message?: string; line?: number | null }[] } | null;
  request_counts?: { total?: number; completed?: number; failed?: number };
}

interface OutputLine {
  custom_id?: string;
  response?: { status_code?: number; request_id?: string; body?: unknown } | null;
  error?: { code?: string; message?: string } | null;
}

export function createOpenAIBatch(settings: OpenAIBatchSettings): BatchApi {
  const http = createApiHttp({
    baseUrl: settings.baseUrl,
    headers: settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {},
    timeoutMs: settings.timeoutMs,
    errorMessage: (body) => (body as { error?: { message?: string } }).error?.message,
  });
  const body = openAIRequestBuilder(settings.useMaxCompletionTokens);
  const getBatch = async (id: string, signal?: AbortSignal) =>
    JSON.parse((await http.call({ method: 'GET', path: `/batches/${id}`, ...opt(signal) })).body) as OpenAIBatch;

  return {
    provider: 'openai',
    limits: settings.limits,
    overheadBytes: () => 0,
    line: (customId, request) =>
      JSON.stringify({ custom_id: customId, method: 'POST', url: ENDPOINT, body: body(request) }),

    async upload(localId, lines, signal) {
      const boundary = `llmap-${randomBytes(12).toString('hex')}`;
      const head =
        `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="llmap-${localId}.jsonl"\r\n` +
        `Content-Type: application/jsonl\r\n\r\n`;
      const content = Buffer.concat([
        Buffer.from(head),
        Buffer.from(lines.join('\n') + '\n'),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const response = await http.call({
        method: 'POST',
        path: '/files',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: content,
        ...opt(signal),
      });
      return (JSON.parse(response.body) as { id: string }).id;
    },

    async create(localId, fileId, _lines, signal) {
      const response = await http.call({
        method: 'POST',
        path: '/batches',
        body: JSON.stringify({
          input_file_id: fileId,
          endpoint: ENDPOINT,
          completion_window: '24h',
          metadata: { llmap_batch: localId },
        }),
        ...opt(signal),
      });
      return (JSON.parse(response.body) as OpenAIBatch).id;
    },

    async find(local, taken, signal) {
      let after: string | undefined;
      for (let page = 0; page < FIND_PAGES; page++) {
        const query = `?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`;
        const list = JSON.parse(
          (await http.call({ method: 'GET', path: `/batches${query}`, ...opt(signal) })).body,
        ) as { data: OpenAIBatch[]; has_more?: boolean; last_id?: string | null };
        for (const batch of list.data) {
          if (taken.has(batch.id)) continue;
          const ours =
            batch.metadata?.['llmap_batch'] === local.localId ||
            (local.fileId !== undefined && batch.input_file_id === local.fileId);
          if (ours) return batch.id;
        }
        // The list is newest first: past the local record's time, the batch was never created.
        const oldest = list.data.at(-1)?.created_at;
        if (!list.has_more || !list.last_id || (oldest !== undefined && oldest * 1000 < local.since - 60_000)) break;
        after = list.last_id;
      }
      return undefined;
    },

    async progress(batchId, signal): Promise<BatchProgress> {
      const batch = await getBatch(batchId, signal);
      const counts = batch.request_counts ?? {};
      switch (batch.status) {
        case 'completed':
        case 'expired':
        case 'cancelled':
          return {
            ended: true,
            status: batch.status,
            results: [batch.output_file_id, batch.error_file_id].filter((id): id is string => typeof id === 'string'),
          };
        case 'failed':
          return {
            ended: true,
            status: 'failed',
            failure: (batch.errors?.data ?? [])
              .slice(0, 3)
              .map((e) => `${e.line ? `line ${e.line}: ` : ''}${e.message ?? e.code ?? 'error'}`)
              .join('; '),
            results: [],
          };
        default:
          return {
            ended: false,
            status: batch.status,
            done: (counts.completed ?? 0) + (counts.failed ?? 0),
            total: counts.total ?? 0,
          };
      }
    },

    async *results(_batchId, fileIds, signal): AsyncIterable<ItemResult> {
      for (const fileId of fileIds) {
        const url = `${settings.baseUrl.href.replace(/\/+$/, '')}/files/${fileId}/content`;
        for await (const text of http.lines({ method: 'GET', path: `/files/${fileId}/content`, ...opt(signal) })) {
          const line = JSON.parse(text) as OutputLine;
          if (typeof line.custom_id !== 'string') continue;
          yield itemResult(line, line.custom_id, url);
        }
      }
    },

    async cancel(batchId, signal) {
      await http.call({ method: 'POST', path: `/batches/${batchId}/cancel`, ...opt(signal) });
    },
    close: () => http.close(),
  };
}

function itemResult(line: OutputLine, customId: string, url: string): ItemResult {
  const status = line.response?.status_code;
  if (line.response && status === 200) {
    try {
      const result = completionResult(url, line.response.body as OpenAICompletion, line.response.request_id);
      return { customId, ok: true, result };
    } catch (error) {
      return { customId, ok: false, error: (error as Error).message, retryable: false };
    }
  }
  if (line.response && status !== undefined) {
    const message = (line.response.body as { error?: { message?: string } } | undefined)?.error?.message;
    return {
      customId,
      ok: false,
      error: `HTTP ${status}${message ? `: ${message}` : ''} (in the batch)`,
      retryable: isRetryableStatus(status),
    };
  }
  const code = line.error?.code ?? 'error';
  return {
    customId,
    ok: false,
    error: `${code}: ${line.error?.message ?? 'no response'}`,
    // Expired and cancelled requests were never run; anything else the provider reports per line is not the request's.
    retryable: true,
  };
}
