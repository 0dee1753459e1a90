// The rate-limit headers each provider sends on every response, rendered from the limiter's state.
// OpenAI reports resets as Go-style durations (`1s`, `6m0s`, `120ms`); Anthropic as RFC 3339 timestamps.
import type { RateLimitState } from './rate-limiter.js';

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
  const reset = formatOpenAiDuration(state.resetAtMs - state.nowMs);
  const { rpm, tpm } = state.limits;
  if (rpm !== undefined) {
    headers['x-ratelimit-limit-requests'] = String(rpm);
    headers['x-ratelimit-remaining-requests'] = String(state.requestsRemaining);
    headers['x-ratelimit-reset-requests'] = reset;
  }
  if (tpm !== undefined) {
    headers['x-ratelimit-limit-tokens'] = String(tpm);
    headers['x-ratelimit-remaining-tokens'] = String(state.tokensRemaining);
    headers['x-ratelimit-reset-tokens'] = reset;
  }
}

/**
 * `anthropic-ratelimit-requests-*`, and the same figures under `-tokens-*`, `-input-tokens-*` and
 * `-output-tokens-*`: the simulator keeps one token budget where Anthropic keeps three.
 */
export function anthropicRateLimitHeaders(state: RateLimitState, headers: Record<string, string>): void {
  const reset = formatRfc3339(state.resetAtMs);
  const { rpm, tpm } = state.limits;
  if (rpm !== undefined) {
    headers['anthropic-ratelimit-requests-limit'] = String(rpm);
    headers['anthropic-ratelimit-requests-remaining'] = String(state.requestsRemaining);
    headers['anthropic-ratelimit-requests-reset'] = reset;
  }
  if (tpm !== undefined) {
    for (const family of ['tokens', 'input-tokens', 'output-tokens']) {
      headers[`anthropic-ratelimit-${family}-limit`] = String(tpm);
      headers[`anthropic-ratelimit-${family}-remaining`] = String(state.tokensRemaining);
      headers[`anthropic-ratelimit-${family}-reset`] = reset;
    }
  }
}
