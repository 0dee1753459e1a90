// A run read as metric samples, at scrape time: the counters of its RunStats and request log, its histograms'
// buckets, and the state of its limiter, concurrency controller, circuit breaker and batches. Nothing here runs on
// the per-row path.

import { costOfPaid } from '../../cost/prices.js';
import type { BatchCounts } from '../../store/batch-store.js';
import { LATENCY_BUCKETS_S, type LatencyHistogram } from '../latency-histogram.js';
import type { ObservedRun } from '../observed-run.js';
import { TOKEN_BUCKETS, type TokenHistogram } from '../token-histogram.js';
import type { MetricKey } from './metric-definitions.js';
import type { RunLabels } from './run-labels.js';

export type Labels = Readonly<Record<string, string>>;

/** Buckets as observed (not cumulative): `counts` has one more slot than `bounds`, for what is above them all. */
export interface BucketCounts {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export type Sample =
  | { readonly metric: MetricKey; readonly labels: Labels; readonly value: number }
  | { readonly metric: MetricKey; readonly labels: Labels; readonly buckets: BucketCounts };

/** `batches`: the batch store's counts, read by the caller (the store is closed once the run ends). */
export function readRun(run: ObservedRun, labels: RunLabels, now: number, batches?: BatchCounts): Sample[] {
  const samples: Sample[] = [];
  const value = (metric: MetricKey, v: number, extra: Labels = {}) =>
    samples.push({ metric, labels: { ...labels, ...extra }, value: v });
  const buckets = (metric: MetricKey, b: BucketCounts, extra: Labels = {}) =>
    samples.push({ metric, labels: { ...labels, ...extra }, buckets: b });
  const { stats, job } = run;
  const { requests } = stats;

  for (const status of ['ok', 'failed', 'invalid', 'skipped'] as const) value('rows', stats[status], { status });
  value('resumed', stats.resumedAtStart);
  value('cacheHits', stats.cached);
  value('deduplicated', stats.duplicates);
  value('truncated', stats.truncated);
  value('retries', stats.retries);
  value('rateLimited', requests.outcomes('rate_limited'));
  for (const [key, count] of requests.byOutcome) {
    const [outcome = '', status = '0'] = key.split(' ');
    value('requests', count, { outcome, http_status: status === '0' ? 'none' : status });
  }
  value('tokens', stats.inputTokens, { gen_ai_token_type: 'input' });
  value('tokens', stats.outputTokens, { gen_ai_token_type: 'output' });
  value('batchTokens', stats.batchInputTokens, { gen_ai_token_type: 'input' });
  value('batchTokens', stats.batchOutputTokens, { gen_ai_token_type: 'output' });
  if (run.price) value('spend', costOfPaid(run.price, stats));
  if (run.breaker) {
    value('outages', run.breaker.outages);
    value('outageSeconds', run.breaker.pausedMs / 1000);
  }

  buckets('operationDuration', latencyBuckets(requests.latency));
  buckets('tokenUsage', tokenBuckets(requests.inputTokens), { gen_ai_token_type: 'input' });
  if (job.task.kind !== 'embed') {
    buckets('tokenUsage', tokenBuckets(requests.outputTokens), { gen_ai_token_type: 'output' });
  }
  buckets('timeToAnswer', latencyBuckets(stats.timeToAnswer));

  value('rowsExpected', stats.total);
  value('rowsInFlight', stats.inFlight);
  value('requestsInFlight', requests.inFlight);
  value('concurrency', run.concurrency.limit);
  for (const [kind, limit] of rateLimits(run)) value('rateLimit', limit.value, { kind, source: limit.source });
  const pace = run.limiter.allowedRequestRate();
  if (pace !== undefined) value('pace', pace);
  if (batches) {
    value('deferred', stats.deferred);
    for (const [state, n] of Object.entries(batches.batches)) value('batches', n, { state });
    for (const [state, n] of Object.entries(batches.items)) value('batchRequests', n, { state });
  }
  if (job.model.provider === 'llama') {
    const seconds = (now - stats.startedAt) / 1000;
    value('localTokensPerSecond', seconds > 0 ? stats.outputTokens / seconds : 0);
  }
  value('startTime', stats.startedAt / 1000);
  return samples;
}

function latencyBuckets(histogram: LatencyHistogram): BucketCounts {
  return { bounds: LATENCY_BUCKETS_S, counts: histogram.counts, count: histogram.count, sum: histogram.sumSeconds };
}

function tokenBuckets(histogram: TokenHistogram): BucketCounts {
  return { bounds: TOKEN_BUCKETS, counts: histogram.counts, count: histogram.count, sum: histogram.sum };
}

/** The limits given by the user and the ones the provider's headers stated, per minute. */
function rateLimits(run: ObservedRun): [kind: string, { value: number; source: 'given' | 'provider' }][] {
  const { rpm, tpm } = run.job.execution;
  const stated = run.stats.requests.statedLimits;
  const limits: [string, { value: number; source: 'given' | 'provider' }][] = [];
  if (rpm !== undefined) limits.push(['rpm', { value: rpm, source: 'given' }]);
  if (tpm !== undefined) limits.push(['tpm', { value: tpm, source: 'given' }]);
  const provider = { rpm: stated.requests, tpm: stated.tokens, itpm: stated.inputTokens, otpm: stated.outputTokens };
  for (const [kind, limit] of Object.entries(provider)) {
    if (limit !== undefined) limits.push([kind, { value: limit, source: 'provider' }]);
  }
  return limits;
}
