// The limiter and the concurrency controller in front of a provider: every call (retries included) waits for a
// permit, reports its latency, and hands the provider's rate-limit readings back to the limiter. Sits under the
// cache, so answers from the cache spend nothing.

import { countPromptTokens } from '../cost/count-tokens.js';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { ChatProvider, ChatResult } from '../providers/provider.js';
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
      const permit = await limiter.acquire(tokens);
      const started = now();
      let used = { inputTokens: 0, outputTokens: 0 };
      try {
        const result = await provider.doGenerate(request, options);
        used = result.usage;
        limiter.settle(permit, result.usage.inputTokens + result.usage.outputTokens, result.rateLimit);
        concurrency.completed(now() - started, false);
        return result;
      } catch (error) {
        if (ApiCallError.isInstance(error) && error.statusCode === 429) {
          limiter.refused(permit, error.retryAfterMs, error.rateLimit);
          concurrency.completed(now() - started, true);
        } else {
          limiter.settle(permit, undefined, ApiCallError.isInstance(error) ? error.rateLimit : undefined);
        }
        throw error;
      } finally {
        if (reservation) budget?.settle(reservation, used.inputTokens, used.outputTokens);
      }
    },
    close: () => provider.close(),
  };
}
