// Issue 17's metrics cost: the throughput benchmark's S1 (20,000 rows with a schema, simulator at latency 0, the
// per-row path at its busiest) run by the same build with and without `--metrics-port`, alternating, several times.
// The metrics run is scraped every second (Prometheus' default is every 15 s), so the figure includes serving them.
// Calls are recorded in the request log whatever the flags (the report reads it too), so that part of the cost is
// in both; it is measured alone below, per call, against the CPU a row costs.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConcurrencyController } from '../src/executor/concurrency.js';
import { RateLimiter } from '../src/executor/rate-limiter.js';
import { Slots } from '../src/executor/slots.js';
import { loadJob } from '../src/job/load-job.js';
import { startMetrics } from '../src/observe/metrics/metrics-endpoint.js';
import { RequestLog } from '../src/observe/request-log.js';
import { RunStats } from '../src/observe/run-stats.js';
import { freePort } from '../src/store/free-port.test.util.js';
import { CLI, measureNode, startSimProcess, type MeasuredRun } from './bench-helpers.js';
import { reviewsJsonl } from './review-job.js';
import { REVIEW_PROMPT_PREFIX, REVIEW_SCHEMA } from './review-schema.js';

const ROWS = 20_000;
const REPETITIONS = 5;
const SCRAPE_EVERY_MS = 1000;

interface Measured {
  readonly metrics: boolean;
  readonly run: MeasuredRun;
  readonly scrapes: number;
}

async function runS1(metrics: boolean): Promise<Measured> {
  const workDir = mkdtempSync(join(tmpdir(), 'llmap-bench-metrics-'));
  const sim = await startSimProcess();
  const port = metrics ? await freePort() : undefined;
  let scrapes = 0;
  const scraper =
    port === undefined
      ? undefined
      : setInterval(() => {
          fetch(`http://127.0.0.1:${port}/metrics`)
            .then((response) => response.text())
            .then(() => scrapes++)
            .catch(() => undefined);
        }, SCRAPE_EVERY_MS);
  try {
    const args = [
      'run',
      reviewsJsonl(ROWS),
      '-p',
      `${REVIEW_PROMPT_PREFIX}{{text}}`,
      '-s',
      JSON.stringify(REVIEW_SCHEMA),
      '-m',
      'openai:gpt-4o-mini',
      '--base-url',
      `${sim.url}/v1`,
      '-o',
      join(workDir, 'out.jsonl'),
      '--fresh',
      '--cache-dir',
      join(workDir, 'cache'),
      '--no-report',
      ...(port === undefined ? [] : ['--metrics-port', String(port)]),
    ];
    const run = await measureNode(CLI, args);
    if (run.code !== 0) throw new Error(`llmap exited ${run.code}: ${run.stderr.slice(-500)}`);
    return { metrics, run, scrapes };
  } finally {
    clearInterval(scraper);
    await sim.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Nanoseconds one call's record costs (sent, then ended with its usage and limits), over many calls. */
function recordCostNs(): number {
  const log = new RequestLog();
  const usage = { input: 40, output: 30 };
  const info = { requests: { limit: 500, remaining: 499, resetMs: 120 } };
  const calls = 2_000_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    log.sent();
    log.ended(i % 900, 'ok', 200, usage, info);
  }
  return Number(process.hrtime.bigint() - started) / calls;
}

/** Milliseconds of CPU one scrape costs (every metric of a run with calls of every outcome), over many scrapes. */
async function scrapeCostMs(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'llmap-bench-scrape-'));
  writeFileSync(join(dir, 'in.csv'), 'text\nhello\n');
  const job = loadJob(
    { input: join(dir, 'in.csv'), prompt: 'Say {{text}}', model: 'openai:gpt-4o-mini', out: join(dir, 'o.parquet') },
    { OPENAI_API_KEY: 'sk-bench' },
  );
  const stats = new RunStats(ROWS, Date.now());
  for (let i = 0; i < ROWS; i++) {
    stats.requests.sent();
    stats.requests.ended(i % 900, i % 50 === 0 ? 'rate_limited' : 'ok', i % 50 === 0 ? 429 : 200, undefined, undefined);
    stats.timeToAnswer.observe(i % 2000);
  }
  const limiter = new RateLimiter({ rpm: 6000, now: Date.now });
  const concurrency = new ConcurrencyController(new Slots(1), limiter, { fixed: 64, max: 256 });
  const endpoint = await startMetrics({ host: '127.0.0.1' });
  endpoint.observe({ job, stats, limiter, concurrency, breaker: undefined, batchStore: undefined, price: undefined });
  const scrapes = 2000;
  const cpu = process.cpuUsage();
  for (let i = 0; i < scrapes; i++) await endpoint.scrape();
  const used = process.cpuUsage(cpu);
  await endpoint.close();
  limiter.close();
  concurrency.close();
  rmSync(dir, { recursive: true, force: true });
  return (used.user + used.system) / 1000 / scrapes;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function metricsBench(): Promise<string[]> {
  const results: Measured[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    // Alternating which goes first, so a drift of the machine over the runs falls on both alike.
    for (const metrics of i % 2 === 0 ? [false, true] : [true, false]) {
      process.stderr.write(`metrics: S1 ${metrics ? 'with' : 'without'} metrics, run ${i + 1}/${REPETITIONS}…\n`);
      results.push(await runS1(metrics));
    }
  }
  const rate = (m: Measured) => ROWS / m.run.seconds;
  const cpuMsPerRow = (m: Measured) => (m.run.cpuSeconds / ROWS) * 1000;
  const of = (metrics: boolean) => results.filter((m) => m.metrics === metrics);
  const lines = [
    `metrics bench: S1 (${ROWS.toLocaleString('en-US')} rows, latency 0), ${REPETITIONS} runs each, alternating`,
    '  run  metrics   s      rows/s  CPU ms/row  scrapes',
    ...results.map(
      (m, i) =>
        `  ${String(Math.floor(i / 2) + 1).padStart(3)}  ${(m.metrics ? 'with' : 'without').padEnd(7)}  ` +
        `${m.run.seconds.toFixed(2).padStart(5)}  ${Math.round(rate(m)).toLocaleString('en-US').padStart(6)}  ` +
        `${cpuMsPerRow(m).toFixed(3).padStart(10)}  ${m.metrics ? String(m.scrapes).padStart(7) : ''}`,
    ),
  ];
  const [withRate, withoutRate] = [median(of(true).map(rate)), median(of(false).map(rate))];
  const [withCpu, withoutCpu] = [median(of(true).map(cpuMsPerRow)), median(of(false).map(cpuMsPerRow))];
  const ns = recordCostNs();
  const scrapeMs = await scrapeCostMs();
  // Each repetition's pair ran back to back: their ratio is the least exposed to the machine's drift.
  const pairs = Array.from({ length: REPETITIONS }, (_, i) => results.slice(2 * i, 2 * i + 2));
  const pairRatio = (f: (m: Measured) => number) =>
    median(pairs.map((pair) => f(pair.find((m) => m.metrics)!) / f(pair.find((m) => !m.metrics)!)));
  lines.push(
    `  median rows/s: ${Math.round(withRate)} with, ${Math.round(withoutRate)} without: ratio ${(withRate / withoutRate).toFixed(3)}`,
    `  median CPU ms/row: ${withCpu.toFixed(3)} with, ${withoutCpu.toFixed(3)} without: ratio ${(withCpu / withoutCpu).toFixed(3)}`,
    `  median of the pairs' ratios (with / without): rows/s ${pairRatio(rate).toFixed(3)}, CPU per row ${pairRatio(cpuMsPerRow).toFixed(3)}`,
    `  recording one call in the request log: ${ns.toFixed(0)} ns, ${((ns / 1e6 / withoutCpu) * 100).toFixed(2)}% of a row's CPU`,
    `  one scrape: ${scrapeMs.toFixed(3)} ms of CPU (every second: ${(scrapeMs / 10).toFixed(3)}% of a core)`,
  );
  return lines;
}
