// What a provider says of its rate limits on every response, in one shape: OpenAI's `x-ratelimit-*` headers
// (resets as durations like `1s`, `6m0s`, `120ms`) and Anthropic's `anthropic-ratelimit-*` (resets as RFC 3339
// timestamps). The executor's limiter learns the limits from these, so users need not give them.
//
// Both providers quote their limits per minute (RPM, TPM; Anthropic's ITPM and OTPM) and give as the reset the time
// until the budget is fully restored, which both replenish continuously: the limiter reads them so.

import { headerValue, type HttpResponse } from './http/http-client.js';

export interface LimitReading {
  /** The budget per minute. */
  readonly limit: number;
  /** What is left of it, this request included. */
  readonly remaining: number;
  /** Milliseconds until the budget is full again. */
  readonly resetMs: number;
  /** `remaining` is rounded to this (Anthropic rounds token figures "to the nearest thousand"). */
  readonly rounding?: number;
}

export interface RateLimitInfo {
  readonly requests?: LimitReading;
  /** One token budget for prompt and answer (OpenAI's TPM, charged with `max_tokens` when the request arrives). */
  readonly tokens?: LimitReading;
  /** Anthropic's separate input (ITPM) and output (OTPM) budgets; the output one is charged `max_tokens` and given
   * back what the answer did not use. */
  readonly inputTokens?: LimitReading;
  readonly outputTokens?: LimitReading;
}

type Headers = HttpResponse['headers'];

export function openAiRateLimitInfo(headers: Headers): RateLimitInfo | undefined {
  const read = (kind: string): LimitReading | undefined =>
    reading(
      headerValue(headers, `x-ratelimit-limit-${kind}`),
      headerValue(headers, `x-ratelimit-remaining-${kind}`),
      parseGoDuration(headerValue(headers, `x-ratelimit-reset-${kind}`)),
    );
  return info({ requests: read('requests'), tokens: read('tokens') });
}

/** Anthropic's token figures are "rounded to the nearest thousand". */
const ANTHROPIC_TOKEN_ROUNDING = 1000;

export function anthropicRateLimitInfo(headers: Headers, now: number): RateLimitInfo | undefined {
  const read = (kind: string, rounding?: number): LimitReading | undefined => {
    const reset = headerValue(headers, `anthropic-ratelimit-${kind}-reset`);
    const at = reset === undefined ? Number.NaN : Date.parse(reset);
    const found = reading(
      headerValue(headers, `anthropic-ratelimit-${kind}-limit`),
      headerValue(headers, `anthropic-ratelimit-${kind}-remaining`),
      Number.isNaN(at) ? undefined : Math.max(0, at - now),
    );
    return found && rounding ? { ...found, rounding } : found;
  };
  const inputTokens = read('input-tokens', ANTHROPIC_TOKEN_ROUNDING);
  const outputTokens = read('output-tokens', ANTHROPIC_TOKEN_ROUNDING);
  // `-tokens-*` is "the most restrictive limit currently in effect" of the two: read only when they are absent.
  const tokens = inputTokens || outputTokens ? undefined : read('tokens', ANTHROPIC_TOKEN_ROUNDING);
  return info({ requests: read('requests'), inputTokens, outputTokens, tokens });
}

function info(readings: { [K in keyof RateLimitInfo]: LimitReading | undefined }): RateLimitInfo | undefined {
  const present = Object.entries(readings).filter(([, value]) => value !== undefined);
  return present.length === 0 ? undefined : Object.fromEntries(present);
}

function reading(limit?: string, remaining?: string, resetMs?: number): LimitReading | undefined {
  if (limit === undefined || remaining === undefined || limit.trim() === '' || remaining.trim() === '')
    return undefined;
  const l = Number(limit);
  const r = Number(remaining);
  if (!Number.isFinite(l) || !Number.isFinite(r) || l <= 0) {
    return undefined;
  }
  return { limit: l, remaining: r, resetMs: resetMs ?? 0 };
}

/** Go's `time.Duration` text, as OpenAI writes resets: `0s`, `120ms`, `1.5s`, `6m0s`, `1h2m3s`. */
export function parseGoDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 1e-6 };
  let total = 0;
  let matched = '';
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)) {
    total += Number(part[1]) * units[part[2]!]!;
    matched += part[0];
  }
  // Rounded to the nanosecond: `1.001s` is 1001 ms, not 1000.9999999999999.
  return matched.length > 0 && matched === text.trim() ? Math.round(total * 1e6) / 1e6 : undefined;
}
