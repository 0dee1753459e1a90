// OpenAI's Files and Batch APIs, simulated: `POST /v1/files` (multipart upload, purpose `batch`), `GET /v1/files/{id}`
// and `/content`, `DELETE /v1/files/{id}`; `POST /v1/batches` (input file, endpoint, `completion_window: 24h`),
// `GET /v1/batches/{id}`, `GET /v1/batches`, `POST /v1/batches/{id}/cancel`. A batch is validated when created, then
// moves from `validating` through `in_progress` (its `request_counts` growing with time) to `completed` after the
// configured delay, when its output file (the successful lines, `{id, custom_id, response: {status_code, request_id,
// body}, error: null}`, not in input order) and error file (failed lines, same shape, or `error: {code, message}`)
// appear. A share of items can fail, and a share of batches expire with part of their items done. Answers are the
// chat endpoint's own (same prompt, same answer).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerBody } from './handle-chat.js';
import { openAiDialect, openAiError } from './openai-dialect.js';
import type { DialectReply } from './provider-dialect.js';
import { createRandom, deriveSeed } from './seeded-random.js';
import type { SimConfig } from './sim-options.js';
import { countPromptTokens } from './token-count.js';
import { readBody } from './read-body.js';
import { createSubmissionCounter, DONE_BEFORE_EXPIRY, jsonReply, type BatchStats } from './batch-submissions.js';

const BATCH_ENDPOINTS = new Set(['/v1/chat/completions']);
const EXPIRE_SALT = 0xe4819e;
const ITEM_SALT = 0x17e4;

interface StoredFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: string;
  readonly createdAt: number;
  readonly content: Buffer;
}

interface BatchLine {
  readonly customId: string;
  readonly body: unknown;
}

interface Batch {
  readonly id: string;
  readonly inputFileId: string;
  readonly endpoint: string;
  readonly metadata: unknown;
  readonly createdMs: number;
  readonly lines: readonly BatchLine[];
  readonly errors: readonly BatchError[];
  readonly expires: boolean;
  cancelledMs?: number;
  outputFileId?: string | null;
  errorFileId?: string | null;
  finalCounts?: { total: number; completed: number; failed: number };
}

interface BatchError {
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
  readonly line: number | null;
}

export interface OpenAiBatches {
  /** Handles a Files or Batches route; false when the route is not one of them. */
  handle(
    method: string,
    path: string,
    query: URLSearchParams,
    request: IncomingMessage,
    response: ServerResponse,
  ): boolean;
  stats(): BatchStats;
  reset(): void;
}

export function createOpenAiBatches(config: SimConfig, now: () => number): OpenAiBatches {
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, Batch>();
  const submissions = createSubmissionCounter();
  let sequence = 0;
  const expiry = createRandom(deriveSeed(config.seed, EXPIRE_SALT));
  const nextId = (prefix: string) => `${prefix}${(++sequence).toString(16).padStart(24, '0')}`;
  const seconds = (ms: number) => Math.floor(ms / 1000);

  const storeFile = (filename: string, purpose: string, content: Buffer): StoredFile => {
    const file = { id: nextId('file-sim'), filename, purpose, createdAt: seconds(now()), content };
    files.set(file.id, file);
    return file;
  };
  const fileObject = (file: StoredFile) => ({
    id: file.id,
    object: 'file',
    bytes: file.content.length,
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    status_details: null,
  });

  /** The batch as it stands at `at`: its status, and its files once it has ended. */
  const settle = (batch: Batch, at: number): string => {
    if (batch.errors.length > 0) return 'failed';
    const ends = batch.createdMs + config.batchDelayMs;
    if (batch.cancelledMs !== undefined) {
      finish(batch, 'cancelled', progress(batch, batch.cancelledMs));
      return 'cancelled';
    }
    if (at < batch.createdMs + config.batchDelayMs * 0.1) return 'validating';
    if (at < ends) return 'in_progress';
    if (batch.expires) {
      if (batch.outputFileId === undefined) submissions.expired();
      finish(batch, 'expired', Math.floor(batch.lines.length * DONE_BEFORE_EXPIRY));
      return 'expired';
    }
    finish(batch, 'completed', batch.lines.length);
    return 'completed';
  };
  const progress = (batch: Batch, at: number) =>
    Math.min(
      batch.lines.length,
      Math.floor((batch.lines.length * Math.max(0, at - batch.createdMs)) / config.batchDelayMs),
    );

  /** Writes the output and error files once: the first `done` items are answered, the rest end unexecuted. */
  const finish = (batch: Batch, end: 'completed' | 'expired' | 'cancelled', done: number) => {
    if (batch.outputFileId !== undefined) return;
    const itemFaults = createRandom(deriveSeed(config.seed ^ hashString(batch.id), ITEM_SALT));
    const output: string[] = [];
    const errors: string[] = [];
    batch.lines.forEach((line, index) => {
      const id = `batch_req_${batch.id.slice(-12)}${index.toString(16).padStart(8, '0')}`;
      const requestId = openAiDialect.requestId(++sequence);
      if (index >= done) {
        const error =
          end === 'expired'
            ? {
                code: 'batch_expired',
                message: 'This request could not be executed before the completion window expired.',
              }
            : { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' };
        errors.push(JSON.stringify({ id, custom_id: line.customId, response: null, error }));
        return;
      }
      const reply = answerLine(line.body, requestId, itemFaults() < config.batchItemErrorRate);
      const entry = JSON.stringify({
        id,
        custom_id: line.customId,
        response: { status_code: reply.status, request_id: requestId, body: JSON.parse(reply.body) as unknown },
        error: null,
      });
      (reply.status === 200 ? output : errors).push(entry);
    });
    // Output lines are not in input order: clients join on custom_id.
    const order = createRandom(hashString(batch.id));
    for (let i = output.length - 1; i > 0; i--) {
      const j = Math.floor(order() * (i + 1));
      [output[i], output[j]] = [output[j]!, output[i]!];
    }
    const jsonl = (lines: string[]) => Buffer.from(lines.map((l) => l + '\n').join(''));
    batch.outputFileId = output.length > 0 ? storeFile('batch_output.jsonl', 'batch_output', jsonl(output)).id : null;
    batch.errorFileId = errors.length > 0 ? storeFile('batch_errors.jsonl', 'batch_output', jsonl(errors)).id : null;
    batch.finalCounts = { total: batch.lines.length, completed: output.length, failed: errors.length };
  };

  const answerLine = (body: unknown, requestId: string, fail: boolean): DialectReply => {
    const parsed = openAiDialect.parse(body, {}, requestId);
    if (!parsed.ok) return parsed.reply;
    if (fail) return openAiDialect.serverError(0, requestId);
    const promptTokens = countPromptTokens(parsed.call.promptParts);
    return {
      status: 200,
      body: answerBody(openAiDialect, parsed.call, false, {
        requestId,
        sequence: ++sequence,
        nowMs: now(),
        promptTokens,
      }),
    };
  };

  const batchObject = (batch: Batch) => {
    const at = now();
    const status = settle(batch, at);
    const ends = batch.createdMs + config.batchDelayMs;
    const ended = status === 'completed' || status === 'expired' || status === 'cancelled';
    const total = batch.errors.length > 0 ? 0 : batch.lines.length;
    return {
      id: batch.id,
      object: 'batch',
      endpoint: batch.endpoint,
      errors: batch.errors.length > 0 ? { object: 'list', data: batch.errors } : null,
      input_file_id: batch.inputFileId,
      completion_window: '24h',
      status,
      output_file_id: ended ? batch.outputFileId : null,
      error_file_id: ended ? batch.errorFileId : null,
      created_at: seconds(batch.createdMs),
      in_progress_at:
        status === 'validating' || status === 'failed' ? null : seconds(batch.createdMs + config.batchDelayMs * 0.1),
      expires_at: seconds(batch.createdMs) + 24 * 3600,
      finalizing_at: status === 'completed' ? seconds(ends) : null,
      completed_at: status === 'completed' ? seconds(ends) : null,
      failed_at: status === 'failed' ? seconds(batch.createdMs) : null,
      expired_at: status === 'expired' ? seconds(ends) : null,
      cancelling_at: batch.cancelledMs === undefined ? null : seconds(batch.cancelledMs),
      cancelled_at: status === 'cancelled' ? seconds(batch.cancelledMs!) : null,
      request_counts: ended
        ? batch.finalCounts!
        : { total, completed: status === 'in_progress' ? progress(batch, at) : 0, failed: 0 },
      metadata: batch.metadata ?? null,
    };
  };

  const createBatch = (json: unknown): DialectReply => {
    const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
    const invalid = (message: string, param: string | null) =>
      openAiError(400, message, 'invalid_request_error', param);
    if (typeof body['input_file_id'] !== 'string')
      return invalid("Missing required parameter: 'input_file_id'.", 'input_file_id');
    if (typeof body['endpoint'] !== 'string') return invalid("Missing required parameter: 'endpoint'.", 'endpoint');
    if (!BATCH_ENDPOINTS.has(body['endpoint'])) {
      return invalid(`Invalid value: '${body['endpoint']}'. Supported values are: '/v1/chat/completions'.`, 'endpoint');
    }
    if (body['completion_window'] !== '24h') {
      return invalid(
        `Invalid value: '${String(body['completion_window'])}'. Supported values are: '24h'.`,
        'completion_window',
      );
    }
    const file = files.get(body['input_file_id']);
    if (!file)
      return openAiError(
        404,
        `No such File object: ${body['input_file_id']}`,
        'invalid_request_error',
        'input_file_id',
      );
    const { lines, errors } = parseInput(file.content, body['endpoint'], config.batchMaxRequests);
    const batch: Batch = {
      id: nextId('batch_sim'),
      inputFileId: file.id,
      endpoint: body['endpoint'],
      metadata: body['metadata'],
      createdMs: now(),
      lines,
      errors,
      expires: errors.length === 0 && expiry() < config.batchExpireRate,
    };
    batches.set(batch.id, batch);
    submissions.record(lines.map((line) => line.customId));
    return { status: 200, body: JSON.stringify(batchObject(batch)) };
  };

  const upload = (request: IncomingMessage, body: Buffer): DialectReply => {
    const type = request.headers['content-type'] ?? '';
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(type);
    if (!/^multipart\/form-data/i.test(type) || !boundary) {
      return openAiError(
        400,
        'Expected a multipart/form-data body with `file` and `purpose`.',
        'invalid_request_error',
      );
    }
    const parts = parseMultipart(body, boundary[1] ?? boundary[2]!);
    const purpose = parts.get('purpose')?.content.toString('utf8');
    const file = parts.get('file');
    if (!file) return openAiError(400, "Missing required parameter: 'file'.", 'invalid_request_error', 'file');
    if (!purpose) return openAiError(400, "Missing required parameter: 'purpose'.", 'invalid_request_error', 'purpose');
    if (file.content.length > config.batchMaxFileBytes) {
      return openAiError(
        400,
        `File is too large: ${file.content.length} bytes, the limit for purpose 'batch' is ${config.batchMaxFileBytes} bytes.`,
        'invalid_request_error',
        'file',
      );
    }
    return {
      status: 200,
      body: JSON.stringify(fileObject(storeFile(file.filename ?? 'upload.jsonl', purpose, file.content))),
    };
  };

  const route = (
    method: string,
    path: string,
    query: URLSearchParams,
    request: IncomingMessage,
    body: Buffer | undefined,
  ): DialectReply | undefined => {
    const parts = path.split('/').filter(Boolean); // ['v1', 'files' | 'batches', id?, action?]
    if (parts[0] !== 'v1' || (parts[1] !== 'files' && parts[1] !== 'batches')) return undefined;
    const [, kind, id, action] = parts;
    const notFound = (what: string) =>
      openAiError(404, `No such ${what} object: ${id ?? ''}`, 'invalid_request_error', 'id');
    if (kind === 'files') {
      if (method === 'POST' && id === undefined) {
        if (body === undefined) return openAiError(413, 'Request body too large.', 'invalid_request_error');
        return upload(request, body);
      }
      const file = id === undefined ? undefined : files.get(id);
      if (method === 'GET' && id !== undefined && action === undefined)
        return file ? jsonReply(fileObject(file)) : notFound('File');
      if (method === 'GET' && action === 'content') {
        return file
          ? {
              status: 200,
              body: file.content.toString('utf8'),
              headers: { 'content-type': 'application/octet-stream' },
            }
          : notFound('File');
      }
      if (method === 'DELETE' && id !== undefined) {
        if (!file) return notFound('File');
        files.delete(file.id);
        return jsonReply({ id: file.id, object: 'file', deleted: true });
      }
      return undefined;
    }
    if (method === 'POST' && id === undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body?.toString('utf8') ?? '');
      } catch {
        return openAiDialect.invalidJson('');
      }
      return createBatch(parsed);
    }
    if (method === 'GET' && id === undefined) {
      const limit = Math.min(100, Number(query.get('limit') ?? 20) || 20);
      const all = [...batches.values()].reverse();
      const after = query.get('after');
      const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
      const page = all.slice(start, start + limit).map(batchObject);
      return jsonReply({
        object: 'list',
        data: page,
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
        has_more: start + limit < all.length,
      });
    }
    const batch = id === undefined ? undefined : batches.get(id);
    if (!batch) return notFound('Batch');
    if (method === 'GET' && action === undefined) return jsonReply(batchObject(batch));
    if (method === 'POST' && action === 'cancel') {
      const status = settle(batch, now());
      if (status !== 'validating' && status !== 'in_progress') {
        return openAiError(409, `Cannot cancel a batch with status '${status}'.`, 'invalid_request_error');
      }
      batch.cancelledMs = now();
      return jsonReply(batchObject(batch));
    }
    return undefined;
  };

  return {
    handle(method, path, query, request, response) {
      if (!/^\/v1\/(files|batches)(\/|$)/.test(path)) return false;
      const limit =
        method === 'POST' && path === '/v1/files' ? config.batchMaxFileBytes + 1024 * 1024 : 32 * 1024 * 1024;
      readBody(request, limit, (body) => {
        const requestId = openAiDialect.requestId(++sequence);
        if (config.apiKey !== undefined) {
          const denied = openAiDialect.checkAuth(request.headers, config.apiKey, requestId);
          if (denied) return send(response, denied, requestId);
        }
        const reply =
          route(method, path, query, request, body) ??
          openAiError(404, `Invalid URL (${method} ${path})`, 'invalid_request_error');
        if (reply.status === 200 && method === 'GET' && path.endsWith('/content')) {
          const headers = { 'content-type': 'application/octet-stream', 'x-request-id': requestId };
          return submissions.sendDownload(response, headers, reply.body, config.batchDownloadBytesPerS);
        }
        send(response, reply, requestId);
      });
      return true;
    },
    stats: () => submissions.stats(),
    reset: () => submissions.reset(),
  };
}

/** The requests of a batch input file, or why the batch fails validation (OpenAI reports them per line). */
function parseInput(
  content: Buffer,
  endpoint: string,
  maxRequests: number,
): { lines: BatchLine[]; errors: BatchError[] } {
  const lines: BatchLine[] = [];
  const errors: BatchError[] = [];
  const ids = new Set<string>();
  const text = content.toString('utf8').split('\n');
  text.forEach((raw, index) => {
    if (raw.trim() === '' || errors.length >= 10) return;
    const line = index + 1;
    let item: Record<string, unknown>;
    try {
      item = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      errors.push({
        code: 'invalid_json_line',
        message: 'This line is not parseable as valid JSON.',
        param: null,
        line,
      });
      return;
    }
    const customId = item['custom_id'];
    if (typeof customId !== 'string' || customId === '') {
      errors.push({
        code: 'missing_required_parameter',
        message: "Missing required parameter: 'custom_id'.",
        param: 'custom_id',
        line,
      });
      return;
    }
    if (ids.has(customId)) {
      errors.push({
        code: 'duplicate_custom_id',
        message:
          'The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each individual request in a batch.',
        param: 'custom_id',
        line,
      });
      return;
    }
    if (item['method'] !== 'POST') {
      errors.push({ code: 'invalid_method', message: "The method must be 'POST'.", param: 'method', line });
      return;
    }
    if (item['url'] !== endpoint) {
      errors.push({
        code: 'mismatched_endpoint',
        message: `The url of this request does not match the batch's endpoint '${endpoint}'.`,
        param: 'url',
        line,
      });
      return;
    }
    if (typeof item['body'] !== 'object' || item['body'] === null) {
      errors.push({
        code: 'missing_required_parameter',
        message: "Missing required parameter: 'body'.",
        param: 'body',
        line,
      });
      return;
    }
    ids.add(customId);
    lines.push({ customId, body: item['body'] });
  });
  if (errors.length === 0 && lines.length > maxRequests) {
    errors.push({
      code: 'too_many_requests',
      message: `The batch input file contains ${lines.length} requests, over the limit of ${maxRequests} per batch.`,
      param: null,
      line: null,
    });
  }
  if (errors.length === 0 && lines.length === 0) {
    errors.push({ code: 'empty_file', message: 'The batch input file is empty.', param: null, line: null });
  }
  return { lines, errors };
}

interface Part {
  readonly filename: string | undefined;
  readonly content: Buffer;
}

/** The named parts of a multipart/form-data body (RFC 7578). */
export function parseMultipart(body: Buffer, boundary: string): Map<string, Part> {
  const parts = new Map<string, Part>();
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start + 2, next - 2); // after CRLF, before the CRLF that precedes the delimiter
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
      if (name !== undefined) parts.set(name, { filename, content: part.subarray(headerEnd + 4) });
    }
    at = next;
  }
  return parts;
}

function send(response: ServerResponse, reply: DialectReply, requestId: string): void {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-request-id': requestId,
    ...reply.headers,
    'content-length': String(Buffer.byteLength(reply.body)),
  };
  response.writeHead(reply.status, headers);
  response.end(reply.body);
}

function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
