// Job's model spec → a provider behind the contract, with its HTTP transport. The only place that knows which
// adapter serves which prefix.

import type { ModelSpec, Task } from '../job/job.js';
import {
  ANTHROPIC_DEFAULT_BASE_URL,
  ANTHROPIC_VERSION,
  anthropicRequestBody,
  createAnthropicMessages,
} from './anthropic/anthropic-messages.js';
import { createUndiciHttpClient, type HttpClient } from './http/http-client.js';
import { createLlamaChat } from './llama/llama-chat.js';
import { createOpenAIChat, OPENAI_DEFAULT_BASE_URL, openAIRequestBuilder } from './openai/openai-chat.js';
import { createLlamaEmbeddings, type LlamaEmbeddingsSettings } from './llama/llama-embeddings.js';
import { createOpenAIEmbeddings } from './openai/openai-embeddings.js';
import type { ChatProvider, ChatRequest, EmbeddingProvider } from './provider.js';
import type { BatchApi, BatchLimits } from './batch/batch-api.js';
import { createOpenAIBatch, OPENAI_BATCH_LIMITS } from './openai/openai-batch.js';
import { ANTHROPIC_BATCH_LIMITS, createAnthropicBatch } from './anthropic/anthropic-batch.js';

export interface ProviderSettings {
  readonly timeoutMs: number;
  /** Connections to open per replica; at least the concurrency. */
  readonly connections: number;
  /** Replaces the HTTP transport (tests). */
  readonly http?: HttpClient;
  /** Progress of a local model's download, in bytes. */
  readonly onDownload?: (downloaded: number, total: number) => void;
}

export function createProvider(model: ModelSpec, settings: ProviderSettings): ChatProvider {
  const apiKey = model.apiKey?.reveal();
  switch (model.provider) {
    case 'openai': {
      const baseUrls = openAIBaseUrls(model);
      return createOpenAIChat({
        modelId: model.modelId,
        http: settings.http ?? createUndiciHttpClient({ baseUrls, connections: settings.connections }),
        timeoutMs: settings.timeoutMs,
        useMaxCompletionTokens: baseUrls.some((url) => url.hostname === 'api.openai.com'),
        ...(apiKey ? { apiKey } : {}),
      });
    }
    case 'anthropic': {
      const baseUrls =
        model.baseUrls.length > 0 ? model.baseUrls.map(anthropicBase) : [new URL(ANTHROPIC_DEFAULT_BASE_URL)];
      return createAnthropicMessages({
        modelId: model.modelId,
        http: settings.http ?? createUndiciHttpClient({ baseUrls, connections: settings.connections }),
        timeoutMs: settings.timeoutMs,
        ...(apiKey ? { apiKey } : {}),
      });
    }
    case 'llama':
      return createLlamaChat({ ...localModelSettings(model, settings), parallel: model.local!.parallel });
  }
}

/** The provider's Batch API for the model, with the job's overrides of its limits. */
export function createBatchApi(
  model: ModelSpec,
  settings: Pick<ProviderSettings, 'timeoutMs'>,
  limits: { readonly maxRequests?: number | undefined; readonly maxBytes?: number | undefined },
): BatchApi {
  const apiKey = model.apiKey?.reveal();
  const withLimits = (defaults: BatchLimits): BatchLimits => ({
    maxRequests: limits.maxRequests ?? defaults.maxRequests,
    maxBytes: limits.maxBytes ?? defaults.maxBytes,
  });
  switch (model.provider) {
    case 'openai': {
      const baseUrl = openAIBaseUrls(model)[0]!;
      return createOpenAIBatch({
        baseUrl,
        timeoutMs: settings.timeoutMs,
        useMaxCompletionTokens: baseUrl.hostname === 'api.openai.com',
        limits: withLimits(OPENAI_BATCH_LIMITS),
        ...(apiKey ? { apiKey } : {}),
      });
    }
    case 'anthropic':
      return createAnthropicBatch({
        baseUrl: model.baseUrls.length > 0 ? anthropicBase(model.baseUrls[0]!) : new URL(ANTHROPIC_DEFAULT_BASE_URL),
        timeoutMs: settings.timeoutMs,
        limits: withLimits(ANTHROPIC_BATCH_LIMITS),
        ...(apiKey ? { apiKey } : {}),
      });
    case 'llama':
      throw new Error('a local model has no Batch API');
  }
}

export function createEmbeddingProvider(
  model: ModelSpec,
  task: Extract<Task, { kind: 'embed' }>,
  settings: ProviderSettings,
): EmbeddingProvider {
  const apiKey = model.apiKey?.reveal();
  switch (model.provider) {
    case 'openai':
      return createOpenAIEmbeddings({
        modelId: model.modelId,
        http:
          settings.http ??
          createUndiciHttpClient({ baseUrls: openAIBaseUrls(model), connections: settings.connections }),
        timeoutMs: settings.timeoutMs,
        batchSize: task.batchSize,
        ...(task.dimensions === undefined ? {} : { dimensions: task.dimensions }),
        ...(apiKey ? { apiKey } : {}),
      });
    case 'llama':
      return createLlamaEmbeddings(localModelSettings(model, settings));
    case 'anthropic':
      throw new Error('Anthropic has no embeddings endpoint');
  }
}

function openAIBaseUrls(model: ModelSpec): URL[] {
  return model.baseUrls.length > 0 ? model.baseUrls.map(openAIBase) : [new URL(OPENAI_DEFAULT_BASE_URL)];
}

/** A `llama:` model's file and how to run it, as both its chat and its embeddings provider take them. */
function localModelSettings(model: ModelSpec, settings: ProviderSettings): LlamaEmbeddingsSettings {
  const local = model.local!;
  return {
    model: model.modelId,
    threads: local.threads,
    gpu: local.gpu,
    modelsDir: local.modelsDir,
    ...(local.contextSize === undefined ? {} : { contextSize: local.contextSize }),
    ...(local.hfEndpoint === undefined ? {} : { hfEndpoint: local.hfEndpoint }),
    ...(settings.onDownload ? { onDownload: settings.onDownload } : {}),
  };
}

/** A chat request as the model's provider would receive it, for showing it (`llmap run --dry-run`). */
export interface WireRequest {
  readonly method: 'POST';
  /** One URL per replica (--base-url given more than once); requests are spread over them. */
  readonly urls: readonly string[];
  /** The headers the adapter sets, any key shown as `***`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown>;
}

/** The request's endpoint, headers and body exactly as the adapter builds them; undefined for a local model. */
export function wireRequest(model: ModelSpec, request: ChatRequest): WireRequest | undefined {
  const keyed = model.apiKey !== undefined;
  const urls = (bases: readonly URL[], path: string) =>
    bases.map((base) => base.origin + base.pathname.replace(/\/+$/, '') + path);
  switch (model.provider) {
    case 'openai': {
      const baseUrls = openAIBaseUrls(model);
      const useMaxCompletionTokens = baseUrls.some((url) => url.hostname === 'api.openai.com');
      return {
        method: 'POST',
        urls: urls(baseUrls, '/chat/completions'),
        headers: { 'content-type': 'application/json', ...(keyed ? { authorization: 'Bearer ***' } : {}) },
        body: openAIRequestBuilder(useMaxCompletionTokens)(request),
      };
    }
    case 'anthropic': {
      const baseUrls =
        model.baseUrls.length > 0 ? model.baseUrls.map(anthropicBase) : [new URL(ANTHROPIC_DEFAULT_BASE_URL)];
      return {
        method: 'POST',
        urls: urls(baseUrls, '/v1/messages'),
        headers: {
          'content-type': 'application/json',
          'anthropic-version': ANTHROPIC_VERSION,
          ...(keyed ? { 'x-api-key': '***' } : {}),
        },
        body: anthropicRequestBody(request),
      };
    }
    case 'llama':
      return undefined;
  }
}

/** OpenAI base URLs end in /v1 by convention (`http://localhost:8000/v1`); a bare host gets it added. */
function openAIBase(url: URL): URL {
  if (url.pathname !== '/' && url.pathname !== '') return url;
  return new URL('/v1', url);
}

/** Anthropic's paths already start with /v1; a base URL given with /v1 would double it. */
function anthropicBase(url: URL): URL {
  return url.pathname.replace(/\/+$/, '').endsWith('/v1')
    ? new URL(url.pathname.replace(/\/v1\/*$/, '') || '/', url)
    : url;
}
