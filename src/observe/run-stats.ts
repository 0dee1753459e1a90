// Counters of a run, updated by the pipeline as rows finish and read by progress, the summary and the run state.
// One object, passed in; never module state.

import type { RowOutcome } from '../executor/answer-row.js';
import { LatencyHistogram } from './latency-histogram.js';
import { RequestLog } from './request-log.js';

export class RunStats {
  readonly total: number;
  readonly startedAt: number;
  ok = 0;
  failed = 0;
  invalid = 0;
  /** Rows left unasked because a data check (`--expect … --expect-action skip`) failed on them. */
  skipped = 0;
  /** Rows whose outcome was taken from an earlier run's state. */
  resumed = 0;
  /** Rows answered in this run without a paid call (cache, or an identical request). */
  cached = 0;
  /** Of `cached`, the rows answered by a call another row of this run paid for (see RowOutcome.duplicate). */
  duplicates = 0;
  /** Rows answered in this run (from a call or the cache) whose answer was cut off at max_tokens. */
  truncated = 0;
  retries = 0;
  /** Rows left for a provider batch to answer (batch mode), in this pass over the table. */
  deferred = 0;
  /** Tokens of the calls paid for in this run. */
  inputTokens = 0;
  outputTokens = 0;
  /** Of those, the tokens a Batch API answered (paid at its discount). */
  batchInputTokens = 0;
  batchOutputTokens = 0;
  inFlight = 0;
  /** Every call made to the provider in this run (retries and 429s included). */
  readonly requests: RequestLog;
  /** Per row asked in this run: from its dispatch to its outcome (retries and waits for a permit included). */
  readonly timeToAnswer = new LatencyHistogram();

  constructor(total: number, startedAt: number, requests = new RequestLog()) {
    this.total = total;
    this.startedAt = startedAt;
    this.requests = requests;
  }

  /** Rows the first pass took from an earlier run's state (a later pass also takes this run's own answers). */
  get resumedAtStart(): number {
    return this.firstPassResumed ?? this.resumed;
  }
  private firstPassResumed: number | undefined;

  /** A new pass over the table (batch mode): row outcomes are counted again; tokens and cache hits add up. */
  startPass(): void {
    this.firstPassResumed ??= this.resumed;
    this.ok = this.failed = this.invalid = this.skipped = this.resumed = this.deferred = 0;
  }

  get done(): number {
    return this.ok + this.failed + this.invalid + this.skipped;
  }

  /** Rows answered in this run (by the provider, the cache or an identical request), not taken from the state. */
  get answered(): number {
    return this.done - this.resumed;
  }

  count(outcome: RowOutcome): void {
    this[outcome.status]++;
    if (outcome.resumed) {
      this.resumed++;
      return;
    }
    if (outcome.truncated) this.truncated++;
    if (outcome.cached) {
      this.cached++;
      if (outcome.duplicate) this.duplicates++;
    } else {
      this.inputTokens += outcome.inputTokens;
      this.outputTokens += outcome.outputTokens;
      this.batchInputTokens += outcome.batchInputTokens ?? 0;
      this.batchOutputTokens += outcome.batchOutputTokens ?? 0;
    }
  }
}
