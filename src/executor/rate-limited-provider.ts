// The limiter and the concurrency controller in front of a provider: every call (retries included) waits for a
// permit, reports its latency, and hands the provider's rate-limit readings back to the limiter. Sits under the
// cache, so answers from the cache spend nothing. Embeddings are limited per call (a batch of many rows), not per row.

import { countPromptTokens } from '../cost/count-tokens.js';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { ChatProvider, ChatResult, EmbeddingProvider, EmbedResult } from '../providers/provider.js';
import type { RateLimitInfo } from '../providers/rate-limit-info.js';
import type { Budget } from '../cost/budget.js';
import type { ConcurrencyController } from './concurrency.js';
import type { Limiter, MeasureCost, RequestCost } from './rate-limiter.js';

export function withRateLimit(
  provider: ChatProvider,
  limiter: Limiter,
  concurrency: ConcurrencyController,
  now: () => number,
  budget?: Budget,
): ChatProvider {
  return {
    ...provider,
    unsupportedSchemaParts: (schema) => provider.unsupportedSchemaParts(schema),
    async doGenerate(request, options): Promise<ChatResult> {
      // Prompt tokens are counted only when a token limit is known: counting costs ~10 µs a row.
      const measure = (countInput: boolean) => ({
        input: countInput ? countPromptTokens(request) : 0,
        output: request.maxTokens ?? 0,
      });
      // Throws BudgetExceededError, which stops the run, when the call's worst case would pass the budget.
      const reservation = budget?.reserve(request);
      let used = { inputTokens: 0, outputTokens: 0 };
      try {
        return await underLimit(
          limiter,
          measure,
          async () => {
            const result = await provider.doGenerate(request, options);
            used = result.usage;
            return result;
          },
          (result) => [{ input: result.usage.inputTokens, output: result.usage.outputTokens }, result.rateLimit],
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
  limiter: Limiter,
  now: () => number,
  countTokens: (text: string) => number,
): EmbeddingProvider {
  return {
    ...provider,
    doEmbed(inputs, options): Promise<EmbedResult> {
      // The batcher has usually counted them already (for the provider's per-request limits).
      const measure = (countInput: boolean) => {
        let input = options.inputTokens ?? 0;
        if (options.inputTokens === undefined && countInput) for (const text of inputs) input += countTokens(text);
        return { input, output: 0 };
      };
      return underLimit(
        limiter,
        measure,
        () => provider.doEmbed(inputs, options),
        (result) => [{ input: result.inputTokens, output: 0 }, result.rateLimit],
        () => undefined,
        now,
      );
    },
    close: () => provider.close(),
  };
}

async function underLimit<T>(
  limiter: Limiter,
  measure: MeasureCost,
  call: () => Promise<T>,
  used: (result: T) => [used: RequestCost, rateLimit: RateLimitInfo | undefined],
  completed: (latencyMs: number, refused: boolean) => void,
  now: () => number,
): Promise<T> {
  const permit = await limiter.acquire(measure);
  const started = now();
  try {
    const result = await call();
    const [spent, rateLimit] = used(result);
    limiter.settle(permit, spent, rateLimit);
    completed(now() - started, false);
    return result;
  } catch (error) {
    // A 429 is back-pressure: the limiter pauses and slows down, and the retry that follows costs the row no attempt.
    if (ApiCallError.isInstance(error) && error.statusCode === 429) {
      limiter.refused(permit, error.retryAfterMs, error.rateLimit);
      completed(now() - started, true);
    } else {
      limiter.settle(permit, undefined, ApiCallError.isInstance(error) ? error.rateLimit : undefined);
    }
    throw error;
  }
}
