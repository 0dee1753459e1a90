// What a watcher of a run (the metrics endpoint) reads while rows flow: the counters, the limits the run has learned,
// its batches and its price. Handed out once by runJob when rows are about to flow; read at scrape time, so
// watching costs the per-row path nothing.

import type { ModelPrice } from '../cost/prices.js';
import type { CircuitBreaker } from '../executor/circuit-breaker.js';
import type { ConcurrencyController } from '../executor/concurrency.js';
import type { Limiter } from '../executor/rate-limiter.js';
import type { Job } from '../job/job.js';
import type { BatchStore } from '../store/batch-store.js';
import type { RunStats } from './run-stats.js';

export interface ObservedRun {
  readonly job: Job;
  readonly stats: RunStats;
  readonly limiter: Limiter;
  readonly concurrency: ConcurrencyController;
  readonly breaker: CircuitBreaker | undefined;
  readonly batchStore: BatchStore | undefined;
  /** The model's price, when known (spend is computed from the tokens at scrape time). */
  readonly price: ModelPrice | undefined;
}
