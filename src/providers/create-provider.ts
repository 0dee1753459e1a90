// Job's model spec → a provider behind the contract, with its HTTP transport. The only place that knows which
// adapter serves which prefix.

import type { ModelSpec } from '../job/job.js';
import { ANTHROPIC_DEFAULT_BASE_URL, createAnthropicMessages } from './anthropic/anthropic-messages.js';
import { createUndiciHttpClient, type HttpClient } from './http/http-client.js';
import { createOpenAIChat, OPENAI_DEFAULT_BASE_URL } from './openai/openai-chat.js';
import type { ChatProvider } from './provider.js';

export interface ProviderSettings {
  readonly timeoutMs: number;
  /** Connections to open per replica; at least the concurrency. */
  readonly connections: number;
  /** Replaces the HTTP transport (tests). */
  readonly http?: HttpClient;
}

export function createProvider(model: ModelSpec, settings: ProviderSettings): ChatProvider {
  const apiKey = model.apiKey?.reveal();
  switch (model.provider) {
    case 'openai': {
      const baseUrls = model.baseUrls.length > 0 ? model.baseUrls.map(openAIBase) : [new URL(OPENAI_DEFAULT_BASE_URL)];
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
