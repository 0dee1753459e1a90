// The limiter and the concurrency controller in front of a provider: every call (retries included) waits for a
// permit, reports its latency, and hands the provider's rate-limit readings back to the limiter. Sits under the
// cache, so answers from the cache spend nothing. Embeddings are limited per call (a batch of many rows), not per row.
// Each call that leaves is also recorded in the run's request log (outcome, HTTP status, latency, tokens), which the
// metrics read at scrape time.

import { countPromptTokens } from '../cost/count-tokens.js';
import type { RequestLog } from '../observe/request-log.js';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { ChatProvider, ChatResult, EmbeddingProvider, EmbedResult } from '../providers/provider.js';
import type { RateLimitInfo } from '../providers/rate-limit-info.js';
import type { Budget } from '../cost/budget.js';
import type { ConcurrencyController } from './concurrency.js';
import type { Limiter, MeasureCost, RequestCost } from './rate-limiter.js';

/** The HTTP status of an answered call: 200 from a server, none from a model in this process. */
const ANSWERED = 200;

export function withRateLimit(
  provider: ChatProvider,
  limiter: Limiter,
  concurrency: ConcurrencyController,
  now: () => number,
  budget?: Budget,
  log?: RequestLog,
): ChatProvider {
  const answered = provider.provider === 'llama' ? undefined : ANSWERED;
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
        return await underLimit({
          limiter,
          measure,
          call: async () => {
            const result = await provider.doGenerate(request, options);
            used = result.usage;
            return result;
          },
          used: (result) => [{ input: result.usage.inputTokens, output: result.usage.outputTokens }, result.rateLimit],
          completed: (latencyMs, refused) => concurrency.completed(latencyMs, refused),
          now,
          log,
          answered,
        });
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
  log?: RequestLog,
): EmbeddingProvider {
  const answered = provider.provider === 'llama' ? undefined : ANSWERED;
  return {
    ...provider,
    doEmbed(inputs, options): Promise<EmbedResult> {
      // The batcher has usually counted them already (for the provider's per-request limits).
      const measure = (countInput: boolean) => {
        let input = options.inputTokens ?? 0;
        if (options.inputTokens === undefined && countInput) for (const text of inputs) input += countTokens(text);
        return { input, output: 0 };
      };
      return underLimit({
        limiter,
        measure,
        call: () => provider.doEmbed(inputs, options),
        used: (result) => [{ input: result.inputTokens, output: 0 }, result.rateLimit],
        completed: () => undefined,
        now,
        log,
        answered,
        embeddings: true,
      });
    },
    close: () => provider.close(),
  };
}

interface LimitedCall<T> {
  readonly limiter: Limiter;
  readonly measure: MeasureCost;
  readonly call: () => Promise<T>;
  readonly used: (result: T) => [used: RequestCost, rateLimit: RateLimitInfo | undefined];
  readonly completed: (latencyMs: number, refused: boolean) => void;
  readonly now: () => number;
  readonly log: RequestLog | undefined;
  /** The status an answered call is recorded with. */
  readonly answered: number | undefined;
  /** Only input tokens are counted (an embeddings call). */
  readonly embeddings?: boolean;
}

async function underLimit<T>(limited: LimitedCall<T>): Promise<T> {
  const { limiter, now, log } = limited;
  const permit = await limiter.acquire(limited.measure);
  const started = now();
  log?.sent();
  try {
    const result = await limited.call();
    const [spent, rateLimit] = limited.used(result);
    limiter.settle(permit, spent, rateLimit);
    const latencyMs = now() - started;
    limited.completed(latencyMs, false);
    log?.ended(latencyMs, 'ok', limited.answered, limited.embeddings ? { input: spent.input } : spent, rateLimit);
    return result;
  } catch (error) {
    const latencyMs = now() - started;
    const apiError = ApiCallError.isInstance(error) ? error : undefined;
    // A 429 is back-pressure: the limiter pauses and slows down, and the retry that follows costs the row no attempt.
    if (apiError?.statusCode === 429) {
      limiter.refused(permit, apiError.retryAfterMs, apiError.rateLimit);
      limited.completed(latencyMs, true);
    } else {
      limiter.settle(permit, undefined, apiError?.rateLimit);
    }
    log?.ended(
      latencyMs,
      apiError?.statusCode === 429 ? 'rate_limited' : 'error',
      apiError?.statusCode,
      undefined,
      apiError?.rateLimit,
    );
    throw error;
  }
}
