// What the provider was asked in a run, call by call (retries and 429s included), counted where each call ends
// (under the cache and the rate limiter): outcomes by HTTP status, the latency histogram, the tokens of each
// answered call and the rate limits the provider stated. Read by the metrics at scrape time and by the run report.

import type { RateLimitInfo } from '../providers/rate-limit-info.js';
import { LatencyHistogram } from './latency-histogram.js';
import { TokenHistogram } from './token-histogram.js';

/** How a call ended: an answer, a 429 (back-pressure), or another error (timeouts and network errors included). */
export type CallOutcome = 'ok' | 'rate_limited' | 'error';

/** Per-minute limits as the provider's headers last stated them (OpenAI's RPM and TPM; Anthropic's ITPM, OTPM). */
export interface StatedLimits {
  requests?: number;
  tokens?: number;
  inputTokens?: number;
  outputTokens?: number;
}

export class RequestLog {
  calls = 0;
  /** Calls sent and not yet answered. */
  inFlight = 0;
  readonly latency = new LatencyHistogram();
  /** Calls by `${outcome} ${status}`, where status is the HTTP status or 0 when there was none (a network error). */
  readonly byOutcome = new Map<string, number>();
  /** Tokens of each answered call, as the provider counted them. */
  readonly inputTokens = new TokenHistogram();
  readonly outputTokens = new TokenHistogram();
  readonly statedLimits: StatedLimits = {};

  /** A call leaves for the provider (it holds a permit). */
  sent(): void {
    this.inFlight++;
  }

  record(latencyMs: number, outcome: CallOutcome, status: number | undefined): void {
    this.calls++;
    this.latency.observe(latencyMs);
    const key = `${outcome} ${status ?? 0}`;
    this.byOutcome.set(key, (this.byOutcome.get(key) ?? 0) + 1);
  }

  /** A call that was `sent` ended: its outcome, and what its response said of tokens and limits. */
  ended(
    latencyMs: number,
    outcome: CallOutcome,
    status: number | undefined,
    usage: { readonly input: number; readonly output?: number } | undefined,
    limits: RateLimitInfo | undefined,
  ): void {
    this.inFlight--;
    this.record(latencyMs, outcome, status);
    if (usage) {
      this.inputTokens.observe(usage.input);
      // An embeddings call has no output tokens: none observed, rather than a zero per call.
      if (usage.output !== undefined) this.outputTokens.observe(usage.output);
    }
    if (limits) this.#learn(limits);
  }

  /** The count of one outcome, over every status. */
  outcomes(outcome: CallOutcome): number {
    let n = 0;
    for (const [key, count] of this.byOutcome) if (key.startsWith(`${outcome} `)) n += count;
    return n;
  }

  #learn(info: RateLimitInfo): void {
    if (info.requests) this.statedLimits.requests = info.requests.limit;
    if (info.tokens) this.statedLimits.tokens = info.tokens.limit;
    if (info.inputTokens) this.statedLimits.inputTokens = info.inputTokens.limit;
    if (info.outputTokens) this.statedLimits.outputTokens = info.outputTokens.limit;
  }
}
