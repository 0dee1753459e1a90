// What the provider was asked in a run, call by call (retries and 429s included), counted where each call ends
// (under the cache and the rate limiter): outcomes by HTTP status and the latency histogram. Read by the metrics at
// scrape time and by the run report.

import { LatencyHistogram } from './latency-histogram.js';

/** How a call ended: an answer, a 429 (back-pressure), or another error (timeouts and network errors included). */
export type CallOutcome = 'ok' | 'rate_limited' | 'error';

export class RequestLog {
  calls = 0;
  readonly latency = new LatencyHistogram();
  /** Calls by `${outcome} ${status}`, where status is the HTTP status or 0 when there was none (a network error). */
  readonly byOutcome = new Map<string, number>();

  record(latencyMs: number, outcome: CallOutcome, status: number | undefined): void {
    this.calls++;
    this.latency.observe(latencyMs);
    const key = `${outcome} ${status ?? 0}`;
    this.byOutcome.set(key, (this.byOutcome.get(key) ?? 0) + 1);
  }

  /** The count of one outcome, over every status. */
  outcomes(outcome: CallOutcome): number {
    let n = 0;
    for (const [key, count] of this.byOutcome) if (key.startsWith(`${outcome} `)) n += count;
    return n;
  }
}
