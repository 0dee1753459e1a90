// `openai:<model>`: the OpenAI chat-completions protocol, spoken to api.openai.com or to any compatible server
// (vLLM, llama.cpp server, Ollama, LM Studio, TGI) given with --base-url.

import type { AnswerSchema, CallOptions, ChatProvider, ChatRequest, ChatResult, FinishReason } from '../provider.js';
import { ApiCallError } from '../errors/api-call-error.js';
import { responseShapeError } from '../errors/response-shape-error.js';
import { openAiRateLimitInfo } from '../rate-limit-info.js';
import { apiErrorFromResponse } from '../http/api-error-from-response.js';
import { headerValue, type HttpClient } from '../http/http-client.js';
import { toOpenAIStrictSchema } from './openai-strict-schema.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIChatSettings {
  readonly modelId: string;
  readonly http: HttpClient;
  /** Secret; sent as a bearer token, never logged. Local servers often need none. */
  readonly apiKey?: string;
  readonly timeoutMs: number;
  /** api.openai.com wants `max_completion_tokens`; compatible servers still expect `max_tokens`. */
  readonly useMaxCompletionTokens: boolean;
}

/** The chat-completions body of a request (the online call's, and a batch line's `body`). */
export function openAIRequestBuilder(
  useMaxCompletionTokens: boolean,
): (request: ChatRequest) => Record<string, unknown> {
  // The converted schema is the same for every row: convert once per schema object.
  const strictCache = new WeakMap<AnswerSchema, Record<string, unknown>>();
  const strictSchema = (schema: AnswerSchema) => {
    let converted = strictCache.get(schema);
    if (!converted) {
      converted = toOpenAIStrictSchema(schema.jsonSchema).schema;
      strictCache.set(schema, converted);
    }
    return converted;
  };
  return (request) => {
    const messages: { role: string; content: string }[] = [];
    if (request.system !== undefined) messages.push({ role: 'system', content: request.system });
    for (const message of request.messages) messages.push(message);
    const body: Record<string, unknown> = { model: request.model, messages };
    if (request.temperature !== undefined) body['temperature'] = request.temperature;
    if (request.maxTokens !== undefined) {
      body[useMaxCompletionTokens ? 'max_completion_tokens' : 'max_tokens'] = request.maxTokens;
    }
    if (request.schema) {
      body['response_format'] = {
        type: 'json_schema',
        json_schema: { name: request.schema.name, schema: strictSchema(request.schema), strict: true },
      };
    }
    return body;
  };
}

export function createOpenAIChat(settings: OpenAIChatSettings): ChatProvider {
  const headers: Record<string, string> = settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {};
  const requestBody = openAIRequestBuilder(settings.useMaxCompletionTokens);

  return {
    specificationVersion: 'v1',
    provider: 'openai',
    modelId: settings.modelId,
    capabilities: { structuredOutput: 'native' },
    unsupportedSchemaParts: (schema) => toOpenAIStrictSchema(schema.jsonSchema).dropped,
    async doGenerate(request: ChatRequest, options: CallOptions): Promise<ChatResult> {
      const response = await settings.http.postJson(
        '/chat/completions',
        headers,
        JSON.stringify(requestBody(request)),
        {
          timeoutMs: settings.timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      const rateLimit = openAiRateLimitInfo(response.headers);
      if (response.status < 200 || response.status >= 300) {
        throw apiErrorFromResponse(
          response,
          (body) => (body as OpenAIErrorBody).error?.message,
          rateLimit,
          isOutOfQuota,
        );
      }
      const result = parseCompletion(response.url, response.body, headerValue(response.headers, 'x-request-id'));
      return rateLimit ? { ...result, rateLimit } : result;
    },
    close: () => settings.http.close(),
  };
}

interface OpenAIErrorBody {
  error?: { message?: string; code?: unknown };
}

/** OpenAI answers 429 `insufficient_quota` when the account has no credit left: the run's error, not back-pressure. */
export function isOutOfQuota(body: unknown): boolean {
  return (body as OpenAIErrorBody | null)?.error?.code === 'insufficient_quota';
}

export interface OpenAICompletion {
  id?: string;
  model?: string;
  choices?: { message?: { content?: string | null; refusal?: string | null }; finish_reason?: string }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

function parseCompletion(url: string, body: string, requestId: string | undefined): ChatResult {
  let completion: OpenAICompletion;
  try {
    completion = JSON.parse(body) as OpenAICompletion;
  } catch {
    throw responseShapeError(url, 'body is not JSON', body);
  }
  return completionResult(url, completion, requestId, body);
}

/** A chat completion (parsed JSON) as the pipeline's result; `body` is quoted in shape errors. */
export function completionResult(
  url: string,
  completion: OpenAICompletion,
  requestId: string | undefined,
  body: string = JSON.stringify(completion),
): ChatResult {
  const choice = completion.choices?.[0];
  if (!choice?.message) throw responseShapeError(url, 'no choices[0].message', body);
  if (choice.message.refusal) {
    throw new ApiCallError({
      message: `model refused: ${choice.message.refusal}`,
      url,
      statusCode: 200,
      isRetryable: false,
    });
  }
  const id = requestId ?? completion.id;
  return {
    text: choice.message.content ?? '',
    finishReason: finishReason(choice.finish_reason),
    usage: {
      inputTokens: completion.usage?.prompt_tokens ?? 0,
      outputTokens: completion.usage?.completion_tokens ?? 0,
    },
    model: completion.model ?? '',
    ...(id === undefined ? {} : { providerRequestId: id }),
  };
}

/**
 * OpenAI's `finish_reason`: "`stop` if the model hit a natural stop point or a provided stop sequence, `length` if the
 * maximum number of tokens specified in the request was reached, `content_filter` if content was omitted due to a
 * flag from our content filters, `tool_calls` if the model called a tool" (the Chat Completions reference).
 */
export function finishReason(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}
