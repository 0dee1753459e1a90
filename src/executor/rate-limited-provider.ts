// The limiter and the concurrency controller in front of a provider: every call (retries included) waits for a
// permit, reports its latency, and hands the provider's rate-limit readings back to the limiter. Sits under the
// cache, so answers from the cache spend nothing. Embeddings are limited per call (a batch of many rows), not per row.

import { countPromptTokens } from '../cost/count-tokens.js';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { ChatProvider, ChatResult, EmbeddingProvider, EmbedResult } from '../providers/provider.js';
import type { RateLimitInfo } from '../providers/rate-limit-info.js';
import type { Budget } from '../cost/budget.js';
import type { ConcurrencyController } from './concurrency.js';
import type { RateLimiter } from './rate-limiter.js';

export function withRateLimit(
  provider: ChatProvider,
  limiter: RateLimiter,
  concurrency: ConcurrencyController,
  now: () => number,
  budget?: Budget,
): ChatProvider {
  return {
    ...provider,
    unsupportedSchemaParts: (schema) => provider.unsupportedSchemaParts(schema),
    async doGenerate(request, options): Promise<ChatResult> {
      // Tokens are counted only when a token limit is known: counting costs ~10 µs a row.
      const tokens = limiter.countsTokens ? countPromptTokens(request) + (request.maxTokens ?? 0) : 0;
      // Throws BudgetExceededError, which stops the run, when the call's worst case would pass the budget.
      const reservation = budget?.reserve(request);
      let used = { inputTokens: 0, outputTokens: 0 };
      try {
        return await underLimit(
          limiter,
          tokens,
          async () => {
            const result = await provider.doGenerate(request, options);
            used = result.usage;
            return result;
          },
          (result) => [result.usage.inputTokens + result.usage.outputTokens, result.rateLimit],
          (latencyMs, refused) => concurrency.completed(latencyMs, refused),
          now,
        );
      } finally {
        if (reservation) budget?.settle(reservation, used.inputTokens, used.outputTokens);
      }
    },
    close: () => provider.close(),
  };
}

/** One permit per embeddings call, for the tokens of all its inputs. */
export function withEmbeddingRateLimit(
  provider: EmbeddingProvider,
  limiter: RateLimiter,
  now: () => number,
  countTokens: (text: string) => number,
): EmbeddingProvider {
  return {
    ...provider,
    doEmbed(inputs, options): Promise<EmbedResult> {
      // The batcher has usually counted them already (for the provider's per-request limits).
      let tokens = options.inputTokens ?? 0;
      if (options.inputTokens === undefined && limiter.countsTokens) {
        for (const input of inputs) tokens += countTokens(input);
      }
      return underLimit(
        limiter,
        tokens,
        () => provider.doEmbed(inputs, options),
        (result) => [result.inputTokens, result.rateLimit],
        () => undefined,
        now,
      );
    },
    close: () => provider.close(),
  };
}

async function underLimit<T>(
  limiter: RateLimiter,
  tokens: number,
  call: () => Promise<T>,
  used: (result: T) => [tokens: number, rateLimit: RateLimitInfo | undefined],
  completed: (latencyMs: number, refused: boolean) => void,
  now: () => number,
): Promise<T> {
  const permit = await limiter.acquire(tokens);
  const started = now();
  try {
    const result = await call();
    const [spent, rateLimit] = used(result);
    limiter.settle(permit, spent, rateLimit);
    completed(now() - started, false);
    return result;
  } catch (error) {
    if (ApiCallError.isInstance(error) && error.statusCode === 429) {
      limiter.refused(permit, error.retryAfterMs, error.rateLimit);
      completed(now() - started, true);
    } else {
      limiter.settle(permit, undefined, ApiCallError.isInstance(error) ? error.rateLimit : undefined);
    }
    throw error;
  }
}
