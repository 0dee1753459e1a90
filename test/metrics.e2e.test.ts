// `--metrics-port` and `--metrics-push` end to end: the real CLI against the simulator, scraped while it runs, and a
// real Prometheus Pushgateway (Debian's prometheus-pushgateway) holding what the run pushed last, which must be what
// its summary says. And `llmap worker --metrics-port`, whose counters add up the shards it answered.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRedis, type TestRedis } from '../src/distributed/redis-server.test.util.js';
import { metricValue, parseMetrics, type ParsedSample } from '../src/observe/metrics/prometheus-text.test.util.js';
import type { RunSummary } from '../src/run-job.js';
import { startSim, type SimServer } from '../src/sim/index.js';
import { freePort } from '../src/store/free-port.test.util.js';
import { startCli, tempDir, type RunningCli } from './helpers.js';

const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway';

async function until<T>(what: string, value: () => T | undefined | Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await value();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function scrape(url: string): Promise<ParsedSample[]> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  return parseMetrics(await response.text());
}

/** What a child printed so far on stderr (startCli gathers it only for `done`). */
function stderrOf(cli: RunningCli): () => string {
  let text = '';
  cli.child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

async function startPushgateway(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(PUSHGATEWAY, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.interval=1h'], {
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await until('the Pushgateway', () =>
    fetch(`${url}/-/ready`).then(
      (r) => (r.ok ? true : undefined),
      () => undefined,
    ),
  );
  return { url, child };
}

/** A table whose texts repeat (every fifth row asks what another asked): cache hits within the run. */
function reviewsWithRepeats(path: string, rows: number): string {
  const lines = ['id,text'];
  for (let i = 0; i < rows; i++) lines.push(`${i},review ${i % 5 === 4 ? i - 1 : i}: it works`);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('Prometheus metrics of a run', () => {
  const dir = tempDir('metrics');
  let sim: SimServer;
  let gateway: { url: string; child: ChildProcess };
  let env: Record<string, string>;
  before(async () => {
    // Slow enough answers that the run lasts a few seconds; 5xx faults make retries and error outcomes.
    sim = await startSim({ port: 0, latencyMs: 60, errorRate: 0.08, seed: 3 });
    gateway = await startPushgateway();
    env = { OPENAI_API_KEY: 'sk-metrics-secret', OPENAI_BASE_URL: `${sim.url}/v1` };
  });
  after(async () => {
    gateway.child.kill('SIGTERM');
    await sim.close();
  });

  test('counters move while the run goes; the Pushgateway ends with the values of the run summary', async () => {
    const input = reviewsWithRepeats(join(dir, 'reviews.csv'), 300);
    const out = join(dir, 'labels.parquet');
    const args = ['run', input, '-p', 'Label: {{text}}', '-m', 'openai:gpt-4o-mini', '-o', out, '--json'];
    const metricsArgs = ['--concurrency', '8', '--metrics-port', '0', '--metrics-push', gateway.url];
    const run = startCli([...args, ...metricsArgs], env);
    const stderr = stderrOf(run);
    const url = await until('the metrics URL', () => /llmap: metrics at (\S+)/.exec(stderr())?.[1]);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const rowsOk = (samples: ParsedSample[]) => metricValue(samples, 'llmap_rows_total', { status: 'ok' }) ?? 0;
    const first = await until('a first answered row', async () => {
      const samples = await scrape(url);
      return rowsOk(samples) > 0 ? samples : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const second = await scrape(url);
    assert.ok(rowsOk(second) > rowsOk(first), `rows ok: ${rowsOk(first)} then ${rowsOk(second)}`);
    assert.ok(rowsOk(second) < 300, 'still running');
    const calls = (samples: ParsedSample[]) => metricValue(samples, 'llmap_requests_total') ?? 0;
    assert.ok(calls(second) > calls(first));
    assert.equal(metricValue(second, 'llmap_concurrency_limit'), 8);
    assert.equal(metricValue(second, 'llmap_rows_expected'), 300);

    const result = await run.done;
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    const summary = JSON.parse(result.stdout) as RunSummary;
    const pushed = parseMetrics(await (await fetch(`${gateway.url}/metrics`)).text());
    const at = (name: string, labels: Record<string, string> = {}) =>
      metricValue(pushed, name, { job: 'llmap', llmap_job: 'labels.parquet', ...labels });
    assert.deepEqual(
      {
        ok: at('llmap_rows_total', { status: 'ok' }),
        failed: at('llmap_rows_total', { status: 'failed' }),
        invalid: at('llmap_rows_total', { status: 'invalid' }),
        cached: at('llmap_cache_hits_total'),
        duplicates: at('llmap_deduplicated_rows_total'),
        resumed: at('llmap_resumed_rows_total'),
        inputTokens: at('llmap_tokens_total', { gen_ai_token_type: 'input' }),
        outputTokens: at('llmap_tokens_total', { gen_ai_token_type: 'output' }),
        retries: at('llmap_retries_total'),
        usd: at('llmap_spend_usd_total'),
      },
      {
        ok: summary.rows.ok,
        failed: summary.rows.failed,
        invalid: summary.rows.invalid,
        cached: summary.rows.cached,
        duplicates: summary.rows.duplicates,
        resumed: summary.rows.resumed,
        inputTokens: summary.tokens.input,
        outputTokens: summary.tokens.output,
        retries: summary.retries,
        usd: summary.cost?.runUsd,
      },
    );
    assert.ok(summary.retries > 0 && summary.rows.cached >= 60, JSON.stringify(summary.rows));
    // Every call the simulator answered, by its status, and nothing in flight at the end.
    const simStats = sim.stats();
    assert.equal(at('llmap_requests_total'), simStats.requests);
    for (const [status, count] of Object.entries(simStats.byStatus)) {
      const outcome = status === '200' ? 'ok' : status === '429' ? 'rate_limited' : 'error';
      assert.equal(at('llmap_requests_total', { outcome, http_status: status }), count, `HTTP ${status}`);
    }
    assert.equal(at('gen_ai_client_operation_duration_seconds_count'), simStats.requests);
    // Every row asked in this run, from dispatch to outcome (a repeat waits for the call it shares).
    assert.equal(at('llmap_time_to_answer_seconds_count'), summary.rows.total - summary.rows.resumed);
    assert.deepEqual([at('llmap_in_flight_requests'), at('llmap_rows_in_flight')], [0, 0]);
    // Every sample of ours (not the gateway's push_time_seconds) carries the gen_ai labels.
    for (const sample of pushed.filter((s) => /^(llmap|gen_ai)_/.test(s.name))) {
      assert.equal(sample.labels['gen_ai_provider_name'], 'openai');
      assert.equal(sample.labels['gen_ai_request_model'], 'gpt-4o-mini');
    }
    const everything = await (await fetch(`${gateway.url}/metrics`)).text();
    assert.doesNotMatch(everything, /sk-metrics-secret|127\.0\.0\.1:\d+\/v1/);

    // The same command again: every row from the run state, no call; the push replaces the group.
    sim.resetStats();
    const again = startCli([...args, '--metrics-push', gateway.url], env);
    const resumed = JSON.parse((await again.done).stdout) as RunSummary;
    const repushed = parseMetrics(await (await fetch(`${gateway.url}/metrics`)).text());
    const now = (name: string, labels: Record<string, string> = {}) =>
      metricValue(repushed, name, { job: 'llmap', llmap_job: 'labels.parquet', ...labels });
    assert.deepEqual(
      [now('llmap_resumed_rows_total'), now('llmap_rows_total', { status: 'ok' }), now('llmap_requests_total')],
      [resumed.rows.resumed, resumed.rows.ok, undefined],
    );
    assert.equal(resumed.rows.resumed, 300);
  });
});

describe('Prometheus metrics of llmap worker', () => {
  let redis: TestRedis;
  let sim: SimServer;
  before(async () => {
    redis = await startRedis({ appendOnly: true });
    sim = await startSim({ port: 0, latencyMs: 10 });
  });
  after(async () => {
    await sim.close();
    await redis.close();
  });

  test("a worker's /metrics adds up the shards it answered, equal to the job's shard results", async () => {
    const dir = tempDir('worker-metrics');
    const env = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${sim.url}/v1`, LLMAP_CACHE_DIR: tempDir('wcache') };
    const worker = startCli(['worker', redis.url, '--lock-timeout', '3', '--metrics-port', '0'], env);
    const stderr = stderrOf(worker);
    const url = await until('the metrics URL', () => /llmap worker: metrics at (\S+)/.exec(stderr())?.[1]);
    const input = reviewsWithRepeats(join(dir, 'in.csv'), 400);
    const out = join(dir, 'spread.csv');
    const job = ['run', input, '-p', 'Label: {{text}}', '-m', 'openai:gpt-4o-mini', '-o', out, '--json'];
    const coordinator = startCli([...job, '--cluster', redis.url, '--shard-rows', '100'], env);
    const outcome = JSON.parse((await coordinator.done).stdout) as {
      result: { results: { rows: RunSummary['rows']; tokens: RunSummary['tokens']; runUsd: number }[] };
    };
    const shards = outcome.result.results;
    assert.equal(shards.length, 4);
    const sum = (f: (shard: (typeof shards)[number]) => number) => shards.reduce((n, shard) => n + f(shard), 0);
    const samples = await scrape(url);
    const at = (name: string, labels: Record<string, string> = {}) =>
      metricValue(samples, name, { llmap_job: 'spread.csv', ...labels });
    assert.deepEqual(
      [
        at('llmap_rows_total', { status: 'ok' }),
        at('llmap_cache_hits_total'),
        at('llmap_tokens_total', { gen_ai_token_type: 'input' }),
        at('llmap_requests_total', { outcome: 'ok' }),
      ],
      [400, sum((s) => s.rows.cached), sum((s) => s.tokens.input), sim.stats().requests],
    );
    assert.ok(Math.abs(at('llmap_spend_usd_total')! - sum((s) => s.runUsd)) < 1e-12);
    // The shards have ended: their gauges are gone.
    assert.equal(at('llmap_concurrency_limit'), undefined);
    worker.child.kill('SIGTERM');
    assert.equal((await worker.done).code, 0);
  });
});
