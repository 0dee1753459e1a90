import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConcurrencyController } from '../../executor/concurrency.js';
import { RateLimiter } from '../../executor/rate-limiter.js';
import { Slots } from '../../executor/slots.js';
import { loadJob } from '../../job/load-job.js';
import type { RunOptions } from '../../job/run-options.js';
import type { BatchCounts, BatchStore } from '../../store/batch-store.js';
import type { ObservedRun } from '../observed-run.js';
import { RunStats } from '../run-stats.js';
import { registryOf } from './prometheus-registry.js';
import { metricTypes, metricValue, parseMetrics } from './prometheus-text.test.util.js';
import { RunCollector } from './run-collector.js';

const dir = mkdtempSync(join(tmpdir(), 'llmap-metrics-'));
const input = join(dir, 'in.csv');
writeFileSync(input, 'text\nhello\n');
const PRICE = { input: 0.15, output: 0.6, batchDiscount: 0.5 };

function observedRun(options: Partial<RunOptions> = {}, extra: Partial<ObservedRun> = {}): ObservedRun {
  const job = loadJob(
    {
      input,
      prompt: 'Say {{text}}',
      model: 'openai:gpt-4o-mini',
      baseUrl: ['http://user:hunter2@127.0.0.1:9/v1'],
      out: join(dir, 'tickets.parquet'),
      ...options,
    },
    { OPENAI_API_KEY: 'sk-secret-key' },
  );
  const limiter = new RateLimiter({ now: () => 0 });
  const concurrency = new ConcurrencyController(new Slots(1), limiter, { fixed: 16, max: 256 });
  return {
    job,
    stats: new RunStats(100, 1_000_000),
    limiter,
    concurrency,
    breaker: undefined,
    batchStore: undefined,
    price: PRICE,
    ...extra,
  };
}

async function scrape(collector: RunCollector) {
  const text = await registryOf(collector.samples()).metrics();
  return { text, samples: parseMetrics(text) };
}

describe('the metrics of a run', () => {
  test("a run's counters: rows by status, requests by outcome and HTTP status, retries, 429s, tokens, spend", async () => {
    const run = observedRun();
    Object.assign(run.stats, { ok: 7, failed: 2, invalid: 1, resumed: 3, cached: 4, duplicates: 1, retries: 5 });
    Object.assign(run.stats, { inputTokens: 1_000_000, outputTokens: 500_000, inFlight: 6 });
    run.stats.requests.record(120, 'ok', 200);
    run.stats.requests.record(80, 'ok', 200);
    run.stats.requests.record(30, 'rate_limited', 429);
    run.stats.requests.record(5000, 'error', undefined);
    const collector = new RunCollector(() => 2_000_000);
    collector.observe(run);
    const { samples, text } = await scrape(collector);
    const at = (name: string, labels: Record<string, string> = {}) => metricValue(samples, name, labels);
    assert.deepEqual(
      ['ok', 'failed', 'invalid', 'skipped'].map((status) => at('llmap_rows_total', { status })),
      [7, 2, 1, 0],
    );
    assert.deepEqual(
      [
        at('llmap_resumed_rows_total'),
        at('llmap_cache_hits_total'),
        at('llmap_deduplicated_rows_total'),
        at('llmap_retries_total'),
        at('llmap_rate_limited_total'),
      ],
      [3, 4, 1, 5, 1],
    );
    assert.equal(at('llmap_requests_total', { outcome: 'ok', http_status: '200' }), 2);
    assert.equal(at('llmap_requests_total', { outcome: 'rate_limited', http_status: '429' }), 1);
    assert.equal(at('llmap_requests_total', { outcome: 'error', http_status: 'none' }), 1);
    assert.deepEqual(
      [
        at('llmap_tokens_total', { gen_ai_token_type: 'input' }),
        at('llmap_tokens_total', { gen_ai_token_type: 'output' }),
      ],
      [1_000_000, 500_000],
    );
    assert.equal(at('llmap_spend_usd_total'), 0.45);
    assert.deepEqual(
      [at('llmap_rows_expected'), at('llmap_rows_in_flight'), at('llmap_concurrency_limit')],
      [100, 6, 16],
    );
    const types = metricTypes(text);
    assert.equal(types.get('llmap_rows_total'), 'counter');
    assert.equal(types.get('llmap_concurrency_limit'), 'gauge');
    assert.equal(types.get('gen_ai_client_operation_duration_seconds'), 'histogram');
  });

  test('latency histograms as Prometheus buckets: cumulative, +Inf equal to the count, the sum in seconds', async () => {
    const run = observedRun();
    for (const ms of [3, 40, 40, 700, 900_000]) run.stats.requests.record(ms, 'ok', 200);
    const collector = new RunCollector(() => 0);
    collector.observe(run);
    const { samples } = await scrape(collector);
    const bucket = (le: string) => metricValue(samples, 'gen_ai_client_operation_duration_seconds_bucket', { le });
    assert.deepEqual([bucket('0.005'), bucket('0.05'), bucket('1'), bucket('600'), bucket('+Inf')], [1, 3, 4, 4, 5]);
    assert.equal(metricValue(samples, 'gen_ai_client_operation_duration_seconds_count'), 5);
    assert.ok(Math.abs(metricValue(samples, 'gen_ai_client_operation_duration_seconds_sum')! - 900.783) < 1e-9);
  });

  test('token usage per call by gen_ai_token_type, in OpenTelemetry’s buckets', async () => {
    const run = observedRun();
    run.stats.requests.sent();
    run.stats.requests.ended(50, 'ok', 200, { input: 300, output: 20 }, undefined);
    const collector = new RunCollector(() => 0);
    collector.observe(run);
    const { samples } = await scrape(collector);
    const usage = (type: string, le: string) =>
      metricValue(samples, 'gen_ai_client_token_usage_bucket', { gen_ai_token_type: type, le });
    assert.deepEqual(
      [usage('input', '256'), usage('input', '1024'), usage('output', '16'), usage('output', '64')],
      [0, 1, 0, 1],
    );
    assert.equal(metricValue(samples, 'gen_ai_client_token_usage_sum', { gen_ai_token_type: 'input' }), 300);
    assert.equal(metricValue(samples, 'llmap_in_flight_requests'), 0);
  });

  test('every sample carries the gen_ai labels and the job by its output name; no key, URL or password', async () => {
    const collector = new RunCollector(() => 0);
    collector.observe(observedRun());
    const { samples, text } = await scrape(collector);
    for (const sample of samples) {
      assert.deepEqual(
        [sample.labels['llmap_job'], sample.labels['gen_ai_provider_name'], sample.labels['gen_ai_request_model']],
        ['tickets.parquet', 'openai', 'gpt-4o-mini'],
      );
      assert.equal(sample.labels['gen_ai_operation_name'], 'chat');
    }
    for (const secret of ['sk-secret-key', 'hunter2', '127.0.0.1', dir]) assert.equal(text.includes(secret), false);
  });

  test('rate limits given with --rpm and stated by the provider, and the pace the limiter keeps', async () => {
    const run = observedRun({ rpm: '600' });
    const reading = (limit: number) => ({ limit, remaining: limit, resetMs: 1000 });
    run.stats.requests.sent();
    run.stats.requests.ended(
      10,
      'ok',
      200,
      { input: 1, output: 1 },
      {
        requests: reading(500),
        tokens: reading(200_000),
      },
    );
    const limiter = new RateLimiter({ rpm: 600, now: () => 0 });
    const collector = new RunCollector(() => 0);
    collector.observe({ ...run, limiter });
    const { samples } = await scrape(collector);
    const limit = (kind: string, source: string) => metricValue(samples, 'llmap_rate_limit', { kind, source });
    assert.deepEqual([limit('rpm', 'given'), limit('rpm', 'provider'), limit('tpm', 'provider')], [600, 500, 200_000]);
    assert.equal(limit('tpm', 'given'), undefined);
    assert.equal(metricValue(samples, 'llmap_rate_limit_pace_requests_per_second'), 10);
  });

  test("a worker's shards of one job add up; a shard that ended keeps its counters and drops its gauges", async () => {
    const first = observedRun();
    const second = observedRun();
    Object.assign(first.stats, { ok: 10, inFlight: 0, inputTokens: 100 });
    Object.assign(second.stats, { ok: 4, inFlight: 3, inputTokens: 40 });
    first.stats.timeToAnswer.observe(100);
    second.stats.timeToAnswer.observe(100);
    const collector = new RunCollector(() => 0);
    const ended = collector.observe(first, 'job.parquet');
    collector.observe(second, 'job.parquet');
    ended.end();
    first.stats.ok = 999; // read no more once ended
    const { samples } = await scrape(collector);
    assert.equal(metricValue(samples, 'llmap_rows_total', { status: 'ok', llmap_job: 'job.parquet' }), 14);
    assert.equal(metricValue(samples, 'llmap_tokens_total', { gen_ai_token_type: 'input' }), 140);
    assert.equal(metricValue(samples, 'llmap_time_to_answer_seconds_count'), 2);
    assert.deepEqual(
      [metricValue(samples, 'llmap_rows_in_flight'), metricValue(samples, 'llmap_concurrency_limit')],
      [3, 16],
    );
  });

  test('batches by state, read while the store is open; once it is closed the counts last read stand', async () => {
    let closed = false;
    const counts: BatchCounts = {
      batches: { preparing: 0, uploaded: 0, submitted: 2, collected: 1 },
      items: { pending: 50, done: 30, error: 1 },
    };
    const batchStore = {
      counts: () => {
        if (closed) throw new TypeError('The database connection is not open');
        return counts;
      },
    } as unknown as BatchStore;
    const run = observedRun({}, { batchStore });
    run.stats.deferred = 50;
    const collector = new RunCollector(() => 0);
    collector.observe(run);
    await scrape(collector);
    closed = true;
    const { samples } = await scrape(collector);
    assert.deepEqual(
      [
        metricValue(samples, 'llmap_batches', { state: 'submitted' }),
        metricValue(samples, 'llmap_batch_requests', { state: 'pending' }),
        metricValue(samples, 'llmap_rows_deferred'),
      ],
      [2, 50, 50],
    );
  });

  test('a local model: output tokens per second since the run started; its model by file name', async () => {
    const model = join(dir, 'qwen2.5-0.5b-instruct-q4_k_m.gguf');
    writeFileSync(model, 'GGUF');
    const run = observedRun({ model: `llama:${model}`, baseUrl: [] });
    run.stats.outputTokens = 3000;
    const collector = new RunCollector(() => 1_000_000 + 20_000);
    collector.observe({ ...run, price: undefined });
    const { samples, text } = await scrape(collector);
    assert.equal(metricValue(samples, 'llmap_local_tokens_per_second'), 150);
    assert.equal(samples[0]!.labels['gen_ai_request_model'], 'qwen2.5-0.5b-instruct-q4_k_m.gguf');
    assert.equal(text.includes(dir), false);
    assert.equal(metricValue(samples, 'llmap_spend_usd_total'), undefined);
  });
});
