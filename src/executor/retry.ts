// Retry with exponential backoff and jitter, for failures marked retryable only. The server's own hint
// (retry-after-ms / retry-after) wins when given, within bounds. Never throws for a failed call: the outcome
// is data, because one row's failure must never end the run.

import { ApiCallError } from '../providers/errors/api-call-error.js';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A server hint longer than this is capped to it. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

export interface RetryDeps {
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

export type Attempted<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number }
  | { readonly ok: false; readonly error: unknown; readonly attempts: number };

/** Frozen view of a failed attempt, for observers (progress, logs). */
export interface RetryEvent {
  readonly error: ApiCallError;
  readonly attemptNumber: number;
  readonly delayMs: number;
}

export interface RetryOptions {
  readonly signal?: AbortSignal;
  readonly onRetry?: (event: RetryEvent) => void;
  /**
   * Failures that cost the row no attempt: asked again however often they happen. By default a 429 (back-pressure,
   * which the rate limiter answers by pausing and slowing down); the circuit breaker adds failures during an outage.
   */
  readonly excused?: (error: ApiCallError) => boolean;
}

/** A 429 is back-pressure, not a failure of the row. */
export const isRateLimited = (error: ApiCallError): boolean => error.statusCode === 429;

export async function withRetry<T>(
  call: () => Promise<T>,
  policy: RetryPolicy,
  deps: RetryDeps,
  options: RetryOptions = {},
): Promise<Attempted<T>> {
  const excused = options.excused ?? isRateLimited;
  // `calls` counts every call (the row's `_attempts`); `attempt` only those that were the row's own failures.
  let attempt = 0;
  for (let calls = 1; ; calls++) {
    try {
      return { ok: true, value: await call(), attempts: calls };
    } catch (error) {
      const retryable = ApiCallError.isInstance(error) && error.isRetryable && !error.stopsRun;
      if (!retryable || options.signal?.aborted) return { ok: false, error, attempts: calls };
      const free = excused(error);
      if (!free) attempt++;
      if (attempt >= policy.maxAttempts) return { ok: false, error, attempts: calls };
      const delayMs = free ? excusedDelay(error, policy, deps.random) : retryDelay(error, attempt, policy, deps.random);
      options.onRetry?.(Object.freeze({ error, attemptNumber: calls, delayMs }));
      try {
        await deps.sleep(delayMs, options.signal);
      } catch {
        return { ok: false, error, attempts: calls };
      }
    }
  }
}

/** Before asking again after an excused failure: the server's hint if any (the limiter or the breaker holds the call
 * back as long as needed anyway), else a short random pause that spreads the retries. */
function excusedDelay(error: ApiCallError, policy: RetryPolicy, random: () => number): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, policy.maxRetryAfterMs);
  return Math.round(random() * policy.baseDelayMs);
}

/** Backoff before attempt `attempt + 1`: the server's hint if any, else a random point in the upper half of an exponential ceiling. */
export function retryDelay(error: ApiCallError, attempt: number, policy: RetryPolicy, random: () => number): number {
  if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
