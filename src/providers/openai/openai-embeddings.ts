// `openai:<embedding model>` for `llmap embed`: POST /embeddings with many inputs per call, vectors asked as base64
// float32 (as OpenAI's own SDK does: a quarter of the bytes of JSON floats, and exact). Spoken to api.openai.com or
// any compatible server (vLLM, llama.cpp server, Ollama, `llmap sim`).

import { responseShapeError } from '../errors/response-shape-error.js';
import { isOutOfQuota } from './openai-chat.js';
import { apiErrorFromResponse } from '../http/api-error-from-response.js';
import { headerValue, type HttpClient } from '../http/http-client.js';
import { fromBase64 } from '../../output/vector-text.js';
import type { CallOptions, EmbedLimits, EmbeddingProvider, EmbedResult } from '../provider.js';
import { openAiRateLimitInfo } from '../rate-limit-info.js';

/** OpenAI's documented limits: 2,048 inputs per request, 8,192 tokens per input, 300,000 tokens per request. */
export const OPENAI_EMBED_LIMITS: EmbedLimits = { maxInputs: 2048, maxInputTokens: 8192, maxTotalTokens: 300_000 };

export interface OpenAIEmbeddingsSettings {
  readonly modelId: string;
  readonly http: HttpClient;
  readonly apiKey?: string;
  readonly timeoutMs: number;
  /** Inputs per request (at most OpenAI's 2,048). */
  readonly batchSize: number;
  /** `dimensions`: shorter vectors from models that support it (text-embedding-3-*). */
  readonly dimensions?: number;
}

export function createOpenAIEmbeddings(settings: OpenAIEmbeddingsSettings): EmbeddingProvider {
  const headers: Record<string, string> = settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {};
  return {
    provider: 'openai',
    modelId: settings.modelId,
    limits: { ...OPENAI_EMBED_LIMITS, maxInputs: Math.min(settings.batchSize, OPENAI_EMBED_LIMITS.maxInputs) },
    async doEmbed(inputs: readonly string[], options: CallOptions): Promise<EmbedResult> {
      const body = JSON.stringify({
        model: settings.modelId,
        input: inputs,
        encoding_format: 'base64',
        ...(settings.dimensions === undefined ? {} : { dimensions: settings.dimensions }),
      });
      const response = await settings.http.postJson('/embeddings', headers, body, {
        timeoutMs: settings.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const rateLimit = openAiRateLimitInfo(response.headers);
      if (response.status < 200 || response.status >= 300) {
        throw apiErrorFromResponse(
          response,
          (json) => (json as { error?: { message?: string } }).error?.message,
          rateLimit,
          isOutOfQuota,
        );
      }
      const requestId = headerValue(response.headers, 'x-request-id');
      const result = parseEmbeddings(response.url, response.body, inputs.length);
      return {
        ...result,
        ...(requestId === undefined ? {} : { providerRequestId: requestId }),
        ...(rateLimit ? { rateLimit } : {}),
      };
    },
    close: () => settings.http.close(),
  };
}

interface EmbeddingsBody {
  data?: { index?: number; embedding?: string | number[] }[];
  model?: string;
  usage?: { prompt_tokens?: number };
}

function parseEmbeddings(url: string, body: string, expected: number): Omit<EmbedResult, 'providerRequestId'> {
  let parsed: EmbeddingsBody;
  try {
    parsed = JSON.parse(body) as EmbeddingsBody;
  } catch {
    throw responseShapeError(url, 'body is not JSON', body);
  }
  const data = parsed.data;
  if (!Array.isArray(data) || data.length !== expected) {
    throw responseShapeError(url, `expected ${expected} embeddings in data, got ${data?.length ?? 'none'}`, body);
  }
  const vectors: Float32Array[] = new Array<Float32Array>(expected);
  for (let i = 0; i < data.length; i++) {
    const item = data[i]!;
    const index = item.index ?? i;
    if (index < 0 || index >= expected || vectors[index] !== undefined) {
      throw responseShapeError(url, `data[${i}].index ${index} is out of range or repeated`, body);
    }
    if (typeof item.embedding === 'string') vectors[index] = fromBase64(item.embedding);
    else if (Array.isArray(item.embedding)) vectors[index] = Float32Array.from(item.embedding);
    else throw responseShapeError(url, `data[${i}].embedding is missing`, body);
  }
  return { vectors, inputTokens: parsed.usage?.prompt_tokens ?? 0, model: parsed.model ?? '' };
}
