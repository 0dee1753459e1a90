// Anthropic's Message Batches API, simulated: `POST /v1/messages/batches` with `requests: [{custom_id, params}]`,
// `GET /v1/messages/batches[/{id}]`, `POST /v1/messages/batches/{id}/cancel`, `DELETE /v1/messages/batches/{id}`, and
// the results stream `GET /v1/messages/batches/{id}/results`: one JSON line per request, `{custom_id, result}` with a
// result of type `succeeded` (the message), `errored`, `canceled` or `expired`. A batch is `in_progress` until the
// configured delay has passed, then `ended` with its `results_url`; `request_counts` move from `processing` to the
// outcomes. Each request's params are checked as the Messages endpoint checks them (a bad one ends `errored`), a
// share of items can fail, and a share of batches expire with part of their items done.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { anthropicDialect, anthropicError } from './anthropic-dialect.js';
import { answerBody } from './handle-chat.js';
import type { DialectReply } from './provider-dialect.js';
import { createRandom, deriveSeed } from './seeded-random.js';
import type { SimConfig } from './sim-options.js';
import { countPromptTokens } from './token-count.js';
import { readBody } from './read-body.js';
import { createSubmissionCounter, DONE_BEFORE_EXPIRY, jsonReply, type BatchStats } from './batch-submissions.js';

const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const EXPIRE_SALT = 0xa7e4;
const ITEM_SALT = 0x5eed;

interface MessageBatch {
  readonly id: string;
  readonly createdMs: number;
  readonly requests: readonly { readonly customId: string; readonly params: unknown }[];
  readonly expires: boolean;
  cancelMs?: number;
  results?: string;
  counts?: Record<'processing' | 'succeeded' | 'errored' | 'canceled' | 'expired', number>;
}

export interface AnthropicBatches {
  handle(method: string, path: string, request: IncomingMessage, response: ServerResponse): boolean;
  stats(): BatchStats;
  reset(): void;
}

export function createAnthropicBatches(config: SimConfig, now: () => number): AnthropicBatches {
  const batches = new Map<string, MessageBatch>();
  const submissions = createSubmissionCounter();
  let sequence = 0;
  /** `http://host:port` of the request being answered: `results_url` is absolute, as Anthropic's is. */
  let origin = '';
  const expiry = createRandom(deriveSeed(config.seed, EXPIRE_SALT));
  const iso = (ms: number) => new Date(ms).toISOString();

  const ended = (batch: MessageBatch, at: number) =>
    batch.cancelMs !== undefined || at >= batch.createdMs + config.batchDelayMs;

  /** Writes the results once the batch has ended: the first `done` items answered, the rest canceled or expired. */
  const finish = (batch: MessageBatch) => {
    if (batch.results !== undefined) return;
    const cancelled = batch.cancelMs !== undefined;
    if (!cancelled && batch.expires) submissions.expired();
    const done = cancelled
      ? Math.floor((batch.requests.length * (batch.cancelMs! - batch.createdMs)) / config.batchDelayMs)
      : batch.expires
        ? Math.floor(batch.requests.length * DONE_BEFORE_EXPIRY)
        : batch.requests.length;
    const itemFaults = createRandom(deriveSeed(config.seed, ITEM_SALT + batches.size));
    const tally = { processing: 0, succeeded: 0, errored: 0, canceled: 0, expired: 0 };
    const lines = batch.requests.map(({ customId, params }, index) => {
      let result: unknown;
      if (index >= done) {
        result = { type: cancelled ? 'canceled' : 'expired' };
      } else {
        const requestId = anthropicDialect.requestId(++sequence);
        const parsed = anthropicDialect.parse(params, { 'anthropic-version': '2023-06-01' }, requestId);
        if (!parsed.ok) {
          result = { type: 'errored', error: errorOf(parsed.reply) };
        } else if (itemFaults() < config.batchItemErrorRate) {
          result = { type: 'errored', error: errorOf(anthropicDialect.serverError(0, requestId)) };
        } else {
          const promptTokens = countPromptTokens(parsed.call.promptParts);
          const body = answerBody(anthropicDialect, parsed.call, false, {
            requestId,
            sequence,
            nowMs: now(),
            promptTokens,
          });
          result = { type: 'succeeded', message: JSON.parse(body) as unknown };
        }
      }
      tally[(result as { type: keyof typeof tally }).type]++;
      return JSON.stringify({ custom_id: customId, result });
    });
    batch.results = lines.map((line) => line + '\n').join('');
    batch.counts = tally;
  };

  const batchObject = (batch: MessageBatch) => {
    const at = now();
    const isEnded = ended(batch, at);
    if (isEnded) finish(batch);
    const endedMs = batch.cancelMs ?? batch.createdMs + config.batchDelayMs;
    return {
      id: batch.id,
      type: 'message_batch',
      processing_status: isEnded ? 'ended' : 'in_progress',
      request_counts: isEnded
        ? batch.counts
        : { processing: batch.requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: isEnded ? iso(endedMs) : null,
      created_at: iso(batch.createdMs),
      expires_at: iso(batch.createdMs + 24 * 3600 * 1000),
      archived_at: null,
      cancel_initiated_at: batch.cancelMs === undefined ? null : iso(batch.cancelMs),
      results_url: isEnded ? `${origin}/v1/messages/batches/${batch.id}/results` : null,
    };
  };

  const create = (body: unknown, requestId: string): DialectReply => {
    const invalid = (message: string) => anthropicError(400, 'invalid_request_error', message, requestId);
    const requests = (body as { requests?: unknown } | null)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) return invalid('requests: Field required');
    if (requests.length > config.batchMaxRequests) {
      return invalid(`requests: a batch holds at most ${config.batchMaxRequests} requests, got ${requests.length}`);
    }
    const ids = new Set<string>();
    const accepted: MessageBatch['requests'][number][] = [];
    for (const [index, item] of requests.entries()) {
      const { custom_id: customId, params } = (item ?? {}) as { custom_id?: unknown; params?: unknown };
      if (typeof customId !== 'string' || !CUSTOM_ID.test(customId)) {
        return invalid(`requests.${index}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
      }
      if (ids.has(customId)) return invalid(`requests.${index}.custom_id: duplicate custom_id ${customId}`);
      if (typeof params !== 'object' || params === null) return invalid(`requests.${index}.params: Field required`);
      ids.add(customId);
      accepted.push({ customId, params });
    }
    const batch: MessageBatch = {
      id: `msgbatch_sim${(++sequence).toString(36).padStart(20, '0')}`,
      createdMs: now(),
      requests: accepted,
      expires: expiry() < config.batchExpireRate,
    };
    batches.set(batch.id, batch);
    submissions.record(accepted.map((item) => item.customId));
    return jsonReply(batchObject(batch));
  };

  const route = (method: string, path: string, body: Buffer | undefined, requestId: string): DialectReply => {
    const [, , , , id, action] = path.split('/'); // '', 'v1', 'messages', 'batches', id?, action?
    const notFound = () => anthropicError(404, 'not_found_error', `batch ${id ?? ''} not found`, requestId);
    if (id === undefined || id === '') {
      if (method === 'POST') {
        if (body === undefined) {
          return anthropicError(
            413,
            'request_too_large',
            'Request exceeds the maximum allowed number of bytes.',
            requestId,
          );
        }
        try {
          return create(JSON.parse(body.toString('utf8')), requestId);
        } catch {
          return anthropicDialect.invalidJson(requestId);
        }
      }
      const data = [...batches.values()].reverse().map(batchObject);
      return jsonReply({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    }
    const batch = batches.get(id);
    if (!batch) return notFound();
    if (method === 'GET' && action === undefined) return jsonReply(batchObject(batch));
    if (method === 'GET' && action === 'results') {
      if (!ended(batch, now())) {
        return anthropicError(
          400,
          'invalid_request_error',
          `batch ${id} is still in progress: no results yet`,
          requestId,
        );
      }
      finish(batch);
      return { status: 200, body: batch.results!, headers: { 'content-type': 'application/binary' } };
    }
    if (method === 'POST' && action === 'cancel') {
      if (!ended(batch, now())) batch.cancelMs = now();
      return jsonReply(batchObject(batch));
    }
    if (method === 'DELETE' && action === undefined) {
      if (!ended(batch, now())) {
        return anthropicError(400, 'invalid_request_error', `batch ${id} is in progress: cancel it first`, requestId);
      }
      batches.delete(id);
      return jsonReply({ id, type: 'message_batch_deleted' });
    }
    return anthropicError(404, 'not_found_error', `Not found: ${method} ${path}`, requestId);
  };

  return {
    handle(method, path, request, response) {
      if (!/^\/v1\/messages\/batches(\/|$)/.test(path)) return false;
      origin = `http://${request.headers.host ?? '127.0.0.1'}`;
      const limit = 256 * 1024 * 1024 + 1024 * 1024;
      readBody(request, limit, (body) => {
        const requestId = anthropicDialect.requestId(++sequence);
        const denied =
          config.apiKey === undefined
            ? undefined
            : anthropicDialect.checkAuth(request.headers, config.apiKey, requestId);
        const reply = denied ?? route(method, path, body, requestId);
        if (reply.status === 200 && method === 'GET' && path.endsWith('/results')) {
          const headers = { 'content-type': 'application/binary', 'request-id': requestId };
          return submissions.sendDownload(response, headers, reply.body, config.batchDownloadBytesPerS);
        }
        response.writeHead(reply.status, {
          'content-type': 'application/json',
          'request-id': requestId,
          ...reply.headers,
          'content-length': String(Buffer.byteLength(reply.body)),
        });
        response.end(reply.body);
      });
      return true;
    },
    stats: () => submissions.stats(),
    reset: () => submissions.reset(),
  };
}

/** The `error` of an errored result: the error body the Messages endpoint would have sent. */
function errorOf(reply: DialectReply): unknown {
  const body = JSON.parse(reply.body) as { type: string; error: unknown };
  return { type: body.type, error: body.error };
}
