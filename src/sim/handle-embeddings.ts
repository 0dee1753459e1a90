// POST /v1/embeddings as OpenAI serves it: `input` a string or up to 2,048 strings, each non-empty and at most
// 8,192 tokens, 300,000 tokens per request; `encoding_format` float or base64 (little-endian float32); `dimensions`
// for models that take it. Vectors are deterministic (seeded by the text and the model) and of length 1, as
// OpenAI's are. Authentication, rate limits (one request, the inputs' tokens), faults and latency as for chat.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { openRequest, send, type ChatContext } from './handle-chat.js';
import { openAiDialect, openAiError } from './openai-dialect.js';
import type { DialectReply } from './provider-dialect.js';
import { createRandom } from './seeded-random.js';
import { countPromptTokens } from './token-count.js';

export const EMBED_MAX_INPUTS = 2048;
export const EMBED_MAX_INPUT_TOKENS = 8192;
export const EMBED_MAX_REQUEST_TOKENS = 300_000;
const INVALID_INPUT =
  "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";

interface EmbedCall {
  readonly model: string;
  readonly inputs: readonly string[];
  readonly tokens: readonly number[];
  readonly base64: boolean;
  readonly dimensions: number;
}

export function handleEmbeddings(
  context: ChatContext,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer | undefined,
): void {
  const opened = openRequest(context, openAiDialect, request, response, body);
  if (!opened) return;
  const { requestId, headers, json, reply } = opened;
  const { stats, limiter } = context;
  const parsed = parseEmbedCall(json);
  if ('status' in parsed) return reply(parsed);
  const call = parsed;
  const totalTokens = call.tokens.reduce((sum, n) => sum + n, 0);
  const admission = limiter.admit({ tokens: totalTokens });
  if (limiter.limited) openAiDialect.addRateLimitHeaders(admission.state, headers);
  if (!admission.admitted) {
    const refusal = openAiDialect.rateLimited(
      { model: call.model } as Parameters<typeof openAiDialect.rateLimited>[0],
      admission,
      requestId,
    );
    return reply(refusal);
  }
  if (context.faults.next() === 'error') {
    const failure = openAiDialect.serverError(context.faults.draw(), requestId);
    stats.record(String(failure.status), undefined, 'error');
    context.afterLatency(() => send(response, failure.status, headers, failure.body));
    return;
  }
  const data = call.inputs.map((input, index) => {
    const vector = embeddingOf(call.model, input, call.dimensions);
    return {
      object: 'embedding',
      index,
      embedding: call.base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector),
    };
  });
  const answer = JSON.stringify({
    object: 'list',
    data,
    model: call.model,
    usage: { prompt_tokens: totalTokens, total_tokens: totalTokens },
  });
  stats.record('200', undefined);
  stats.recordEmbeddings(call.inputs.length);
  context.afterLatency(() => send(response, 200, headers, answer));
}

/** The vector the simulator gives `text`: unit length, a pure function of model, text and dimensions. */
export function embeddingOf(model: string, text: string, dimensions: number): Float32Array {
  const seed = createHash('sha1').update(model).update('\u0000').update(text).digest().readUInt32BE(0);
  const random = createRandom(seed);
  const vector = new Float32Array(dimensions);
  let sum = 0;
  for (let i = 0; i < dimensions; i++) {
    const value = random() * 2 - 1;
    vector[i] = value;
    sum += value * value;
  }
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < dimensions; i++) vector[i] = vector[i]! / norm;
  return vector;
}

/** text-embedding-3-large has 3,072 dimensions; the others (3-small, ada-002, any other name) 1,536. */
function nativeDimensions(model: string): number {
  return model.includes('3-large') ? 3072 : 1536;
}

function parseEmbedCall(json: unknown): EmbedCall | DialectReply {
  const invalid = (message: string, param: string | null = null, code: string | null = null) =>
    openAiError(400, message, 'invalid_request_error', param, code);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return invalid('Invalid request body.');
  const body = json as Record<string, unknown>;
  if (typeof body['model'] !== 'string' || body['model'] === '') {
    return invalid('you must provide a model parameter', 'model');
  }
  const model = body['model'];
  const input = body['input'];
  if (input === undefined) return invalid("'input' is a required property");
  const inputs = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > EMBED_MAX_INPUTS) return invalid(INVALID_INPUT);
  if (!inputs.every((item) => typeof item === 'string' && item !== '')) return invalid(INVALID_INPUT);
  const tokens = (inputs as string[]).map((text) => countPromptTokens([text]));
  const longest = Math.max(...tokens);
  if (longest > EMBED_MAX_INPUT_TOKENS) {
    return invalid(
      `This model's maximum context length is ${EMBED_MAX_INPUT_TOKENS} tokens, however you requested ${longest} ` +
        `tokens (${longest} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`,
    );
  }
  const total = tokens.reduce((sum, n) => sum + n, 0);
  if (total > EMBED_MAX_REQUEST_TOKENS) {
    return invalid(
      `Requested ${total} tokens, max ${EMBED_MAX_REQUEST_TOKENS} tokens per request`,
      null,
      'max_tokens_per_request',
    );
  }
  const format = body['encoding_format'] ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    return invalid(
      `${JSON.stringify(format)} is not one of ['float', 'base64'] - 'encoding_format'`,
      'encoding_format',
    );
  }
  let dimensions = nativeDimensions(model);
  if (body['dimensions'] !== undefined) {
    const asked = body['dimensions'];
    if (model.includes('ada-002')) return invalid('This model does not support specifying dimensions.', 'dimensions');
    if (typeof asked !== 'number' || !Number.isInteger(asked) || asked < 1 || asked > dimensions) {
      return invalid(`Invalid value for 'dimensions': must be an integer from 1 to ${dimensions}.`, 'dimensions');
    }
    dimensions = asked;
  }
  return { model, inputs: inputs as string[], tokens, base64: format === 'base64', dimensions };
}
