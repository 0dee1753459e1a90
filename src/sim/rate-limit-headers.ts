// The rate-limit headers each provider sends on every response, rendered from the limiter's state.
// OpenAI reports resets as Go-style durations (`1s`, `6m0s`, `120ms`); Anthropic as RFC 3339 timestamps.
import type { BudgetState, RateLimitState } from './rate-limiter.js';

/**
 * A duration as OpenAI writes it in `x-ratelimit-reset-*` (Go's `time.Duration` format at millisecond
 * precision): `0s`, `120ms`, `1.5s`, `6m0s`, `1h2m3s`. Rounds up to whole milliseconds.
 */
export function formatOpenAiDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = `${(total % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${minutes}m${seconds}`;
  return seconds;
}

/** An RFC 3339 timestamp in UTC, with milliseconds only when they are not zero. */
export function formatRfc3339(epochMs: number): string {
  return new Date(Math.ceil(epochMs)).toISOString().replace('.000Z', 'Z');
}

/** `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, for the limits that are set. */
export function openAiRateLimitHeaders(state: RateLimitState, headers: Record<string, string>): void {
  for (const family of ['requests', 'tokens'] as const) {
    const budget = state.budgets[family];
    if (budget === undefined) continue;
    headers[`x-ratelimit-limit-${family}`] = String(budget.limit);
    headers[`x-ratelimit-remaining-${family}`] = String(budget.remaining);
    headers[`x-ratelimit-reset-${family}`] = formatOpenAiDuration(budget.resetAtMs - state.nowMs);
  }
}

/**
 * `anthropic-ratelimit-{requests,input-tokens,output-tokens}-{limit,remaining,reset}`, and `-tokens-*`, which
 * Anthropic documents as "the most restrictive limit currently in effect" of the two token limits. Token
 * `remaining` values are "rounded to the nearest thousand", as Anthropic's are.
 */
export function anthropicRateLimitHeaders(state: RateLimitState, headers: Record<string, string>): void {
  const put = (family: string, budget: BudgetState, rounded: boolean) => {
    headers[`anthropic-ratelimit-${family}-limit`] = String(budget.limit);
    headers[`anthropic-ratelimit-${family}-remaining`] = String(
      rounded ? Math.round(budget.remaining / 1000) * 1000 : budget.remaining,
    );
    headers[`anthropic-ratelimit-${family}-reset`] = formatRfc3339(budget.resetAtMs);
  };
  const { requests, 'input-tokens': input, 'output-tokens': output } = state.budgets;
  if (requests) put('requests', requests, false);
  if (input) put('input-tokens', input, true);
  if (output) put('output-tokens', output, true);
  const tightest = [input, output]
    .filter((budget): budget is BudgetState => budget !== undefined)
    .sort((a, b) => a.remaining / a.limit - b.remaining / b.limit)[0];
  if (tightest) put('tokens', tightest, true);
}
