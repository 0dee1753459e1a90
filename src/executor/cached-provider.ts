// The response cache in front of a provider: a request whose key is cached is answered without a call; every
// answer received is put in the cache before it is used. Answers older than `notBefore` are ignored (--no-cache,
// --retry-failed), so only this run's own answers are reused. A hit on an answer received since `runStartedAt` is
// marked a duplicate: another row of this run paid for it, which the summary counts apart from the cache.
// The cached response keeps its finish reason, so an answer cut off at max_tokens reads the same from the cache.

import type { RequestKeyer } from '../request/request-key.js';
import type { CacheStore } from '../store/cache-store.js';
import type { ChatProvider, ChatResult } from '../providers/provider.js';

export interface CacheOptions {
  readonly cache: CacheStore;
  readonly keyOf: RequestKeyer;
  readonly notBefore: number;
  /** When this run started: a hit received since then answers a duplicate of another row's request. */
  readonly runStartedAt?: number;
  readonly now: () => number;
}

export function withCache(provider: ChatProvider, options: CacheOptions): ChatProvider {
  const { cache, keyOf, notBefore, runStartedAt, now } = options;
  return {
    specificationVersion: provider.specificationVersion,
    provider: provider.provider,
    modelId: provider.modelId,
    capabilities: provider.capabilities,
    unsupportedSchemaParts: (schema) => provider.unsupportedSchemaParts(schema),
    async doGenerate(request, callOptions): Promise<ChatResult> {
      const key = keyOf(request);
      const hit = await cache.get(key, notBefore);
      if (hit) {
        return {
          text: hit.text,
          finishReason: hit.finishReason,
          usage: { inputTokens: hit.inputTokens, outputTokens: hit.outputTokens },
          model: hit.model,
          ...(hit.providerRequestId === undefined ? {} : { providerRequestId: hit.providerRequestId }),
          cached: true,
          ...(runStartedAt !== undefined && hit.createdAt >= runStartedAt ? { duplicate: true } : {}),
        };
      }
      const result = await provider.doGenerate(request, callOptions);
      cache.put(key, {
        text: result.text,
        finishReason: result.finishReason,
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        model: result.model,
        ...(result.providerRequestId === undefined ? {} : { providerRequestId: result.providerRequestId }),
        createdAt: now(),
      });
      return result;
    },
    close: () => provider.close(),
  };
}
