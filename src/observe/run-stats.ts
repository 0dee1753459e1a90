// Counters of a run, updated by the pipeline as rows finish and read by progress, the summary and (later)
// status. One object, passed in; never module state.

import type { RowStatus } from '../executor/answer-row.js';

export class RunStats {
  readonly total: number;
  readonly startedAt: number;
  ok = 0;
  failed = 0;
  invalid = 0;
  retries = 0;
  inputTokens = 0;
  outputTokens = 0;
  inFlight = 0;

  constructor(total: number, startedAt: number) {
    this.total = total;
    this.startedAt = startedAt;
  }

  get done(): number {
    return this.ok + this.failed + this.invalid;
  }

  count(status: RowStatus, inputTokens: number, outputTokens: number): void {
    this[status]++;
    this.inputTokens += inputTokens;
    this.outputTokens += outputTokens;
  }
}
