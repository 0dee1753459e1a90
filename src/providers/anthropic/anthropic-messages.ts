// `anthropic:<model>`: the Anthropic Messages API. A schema is enforced by forcing a single tool whose
// `input_schema` is the schema; the tool call's input is the answer.

import type { CallOptions, ChatProvider, ChatRequest, ChatResult, FinishReason } from '../provider.js';
import { responseShapeError } from '../errors/response-shape-error.js';
import { anthropicRateLimitInfo } from '../rate-limit-info.js';
import { apiErrorFromResponse } from '../http/api-error-from-response.js';
import { headerValue, type HttpClient } from '../http/http-client.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_VERSION = '2023-06-01';
/** The Messages API requires max_tokens; used when neither the prompt nor a flag sets it. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;
const TOOL_NAME = 'answer';

export interface AnthropicMessagesSettings {
  readonly modelId: string;
  readonly http: HttpClient;
  readonly apiKey?: string;
  readonly timeoutMs: number;
}

/** The Messages API body of a request (the online call's, and a batch request's `params`). */
export function anthropicRequestBody(request: ChatRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: request.messages,
  };
  if (request.system !== undefined) body['system'] = request.system;
  if (request.temperature !== undefined) body['temperature'] = request.temperature;
  if (request.schema) {
    body['tools'] = [
      {
        name: TOOL_NAME,
        description: `Record the answer (${request.schema.name}).`,
        input_schema: request.schema.jsonSchema,
      },
    ];
    body['tool_choice'] = { type: 'tool', name: TOOL_NAME };
  }
  return body;
}

export function createAnthropicMessages(settings: AnthropicMessagesSettings): ChatProvider {
  const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION };
  if (settings.apiKey) headers['x-api-key'] = settings.apiKey;

  return {
    specificationVersion: 'v1',
    provider: 'anthropic',
    modelId: settings.modelId,
    capabilities: { structuredOutput: 'tool' },
    // A forced tool call follows input_schema but is not constrained decoding: nothing is dropped from what is
    // sent, and every answer is validated locally.
    unsupportedSchemaParts: () => [],
    async doGenerate(request: ChatRequest, options: CallOptions): Promise<ChatResult> {
      const response = await settings.http.postJson(
        '/v1/messages',
        headers,
        JSON.stringify(anthropicRequestBody(request)),
        {
          timeoutMs: settings.timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      const rateLimit = anthropicRateLimitInfo(response.headers, Date.now());
      if (response.status < 200 || response.status >= 300) {
        throw apiErrorFromResponse(response, (body) => (body as AnthropicErrorBody).error?.message, rateLimit);
      }
      const result = parseMessage(response.url, response.body, headerValue(response.headers, 'request-id'));
      return rateLimit ? { ...result, rateLimit } : result;
    },
    close: () => settings.http.close(),
  };
}

interface AnthropicErrorBody {
  error?: { type?: string; message?: string };
}

export interface AnthropicMessage {
  id?: string;
  model?: string;
  content?: ({ type: 'text'; text: string } | { type: 'tool_use'; name: string; input: unknown })[];
  stop_reason?: string;
  usage?: { input_tokens?: number; output_tokens?: number };
}

function parseMessage(url: string, body: string, requestId: string | undefined): ChatResult {
  let message: AnthropicMessage;
  try {
    message = JSON.parse(body) as AnthropicMessage;
  } catch {
    throw responseShapeError(url, 'body is not JSON', body);
  }
  return messageResult(url, message, requestId, body);
}

/** A message (parsed JSON) as the pipeline's result; `body` is quoted in shape errors. */
export function messageResult(
  url: string,
  message: AnthropicMessage,
  requestId: string | undefined,
  body: string = JSON.stringify(message),
): ChatResult {
  if (!Array.isArray(message.content)) throw responseShapeError(url, 'no content array', body);
  const toolUse = message.content.find((block) => block.type === 'tool_use');
  // A tool answer is already an object; it is handed on as JSON text so every provider's answer is parsed the same way.
  const text = toolUse
    ? JSON.stringify(toolUse.input)
    : message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  const id = requestId ?? message.id;
  return {
    text,
    finishReason: finishReason(message.stop_reason),
    usage: { inputTokens: message.usage?.input_tokens ?? 0, outputTokens: message.usage?.output_tokens ?? 0 },
    model: message.model ?? '',
    ...(id === undefined ? {} : { providerRequestId: id }),
  };
}

/**
 * Anthropic's `stop_reason`: "`end_turn`: the model reached a natural stopping point; `max_tokens`: we exceeded the
 * requested max_tokens or the model's maximum; `stop_sequence`: one of your provided custom stop_sequences was
 * generated; `tool_use`: the model invoked one or more tools" (the Messages API reference). Its stop-reasons guide adds
 * `model_context_window_exceeded` ("the response filled the model's context window; treat the response as
 * truncated") and `refusal`.
 */
export function finishReason(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool';
    case 'refusal':
      return 'content-filter';
    default:
      return 'other';
  }
}
