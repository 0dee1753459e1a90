// `npm run bench -- cluster`: a job spread over `llmap worker` processes on a real Redis, beside a one-machine run of
// the same job in the same invocation.
// - Scaling: workers with --max-concurrency 64 against `llmap sim --latency-ms 200` (so the provider's latency, not
//   this machine's 2 cores, bounds each worker): rows/s of 1, 2 and 4 workers against one worker.
// - CPU per row with latency 0: every worker's CPU (from /proc) per row, against a one-machine run's.
// - The global limit: 4 workers against a simulator enforcing a request limit, then a token limit, as providers
//   document, limits not given: the share of the limit all of them used together, and the 429s.
// - Redis memory: `used_memory` sampled during the job (peak), and each worker's peak RSS.
// Options: LLMAP_BENCH_CLUSTER_ROWS (the 4-worker job; default 100,000), LLMAP_BENCH_CLUSTER_MEMORY_ROWS (the
// memory job, default 200,000; 1,000,000 for the figure).

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { clusterStatus } from '../src/distributed/cluster-status.js';
import { startRedis, type TestRedis } from '../src/distributed/redis-server.test.util.js';
import type { SimStats } from '../src/sim/sim-stats.js';
import { readRows } from '../test/helpers.js';
import { CLI, measureNode, reviewsTable, startSimProcess, ticketsTable, type MeasuredRun } from './bench-helpers.js';

const REVIEW_SCHEMA = JSON.stringify({
  type: 'object',
  properties: { sentiment: { type: 'string', enum: ['positive', 'negative'] }, score: { type: 'number' } },
  required: ['sentiment', 'score'],
});

const RESULTS = join(import.meta.dirname, '../../bench/results');
/** The README's triage job (a list column, an enum, a boolean), and a flat two-field review job. */
const JOBS = {
  triage: {
    args: ['-p', 'examples/triage.md', '-s', 'examples/triage.schema.json', '-m', 'openai:gpt-4o-mini'],
    table: ticketsTable,
  },
  reviews: {
    args: ['-p', 'Review: {{text}}', '-s', REVIEW_SCHEMA, '-m', 'openai:gpt-4o-mini'],
    table: reviewsTable,
  },
} as const;
type JobName = keyof typeof JOBS;

interface Workers {
  /** CPU seconds and peak RSS (MiB) of each worker so far. */
  usage(): { cpuSeconds: number; peakRssMiB: number }[];
  /** Kills worker `i` with SIGKILL, as a lost machine goes. */
  kill(i: number): Promise<void>;
  stop(): Promise<void>;
}

function startWorkers(n: number, url: string, env: NodeJS.ProcessEnv): Workers {
  const children: ChildProcess[] = [];
  const peaks: number[] = [];
  for (let i = 0; i < n; i++) {
    children.push(spawn(CLI, ['worker', url, '--lock-timeout', '5'], { env, stdio: ['ignore', 'ignore', 'ignore'] }));
    peaks.push(0);
  }
  const read = (child: ChildProcess, i: number) => {
    try {
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peaks[i] = Math.max(peaks[i]!, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, peakRssMiB: peaks[i] };
    } catch {
      return { cpuSeconds: 0, peakRssMiB: peaks[i]! };
    }
  };
  return {
    usage: () => children.map(read),
    async kill(i) {
      const child = children[i]!;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

async function simStats(url: string): Promise<SimStats> {
  return (await (await fetch(`${url}/stats`)).json()) as SimStats;
}

interface ClusterRun {
  readonly run: MeasuredRun;
  readonly cpuSeconds: number;
  readonly workerPeakRssMiB: number;
  readonly redisPeakMiB: number;
  readonly stats: SimStats;
  /** Rows each worker answered, by worker name. */
  readonly rowsByWorker: Readonly<Record<string, number>>;
}

/** One job over `n` fresh workers on a fresh Redis. */
async function clusterRun(
  n: number,
  job: JobName,
  rows: number,
  simUrl: string,
  extra: readonly string[],
  name: string,
): Promise<ClusterRun> {
  const input = await JOBS[job].table(rows);
  const redis: TestRedis = await startRedis({ appendOnly: true });
  const env = { ...process.env, OPENAI_API_KEY: 'sk-bench', LLMAP_CACHE_DIR: join(RESULTS, `cache-cluster-${name}`) };
  rmSync(env.LLMAP_CACHE_DIR, { recursive: true, force: true });
  const workers = startWorkers(n, redis.url, env);
  const client = new Redis(redis.url);
  let redisPeak = 0;
  const sampler = setInterval(() => {
    void client.info('memory').then((info) => {
      redisPeak = Math.max(redisPeak, Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 2 ** 20);
    });
  }, 250);
  try {
    await new Promise((r) => setTimeout(r, 1500)); // the workers connect
    const before = workers.usage().reduce((s, u) => s + u.cpuSeconds, 0);
    const out = join(RESULTS, `cluster-${name}.parquet`);
    const args = ['run', input, ...JOBS[job].args, '-o', out, '--base-url', `${simUrl}/v1`, '--cluster', redis.url];
    args.push(...extra);
    const run = await measureNode(CLI, args);
    if (run.code !== 0) throw new Error(`cluster run ${name} failed (${run.code}): ${run.stderr}`);
    const usage = workers.usage();
    const rowsByWorker: Record<string, number> = {};
    for (const shard of (await clusterStatus(redis.url)).jobs[0]?.shards ?? []) {
      const worker = shard.worker ?? '?';
      rowsByWorker[worker] = (rowsByWorker[worker] ?? 0) + shard.done;
    }
    return {
      rowsByWorker,
      run,
      cpuSeconds: usage.reduce((s, u) => s + u.cpuSeconds, 0) - before,
      workerPeakRssMiB: Math.max(...usage.map((u) => u.peakRssMiB)),
      redisPeakMiB: redisPeak,
      stats: await simStats(simUrl),
    };
  } finally {
    clearInterval(sampler);
    client.disconnect();
    await workers.stop();
    await redis.close();
  }
}

async function oneMachine(
  job: JobName,
  rows: number,
  simUrl: string,
  extra: readonly string[],
  name: string,
): Promise<MeasuredRun> {
  const input = await JOBS[job].table(rows);
  const cache = join(RESULTS, `cache-cluster-${name}`);
  rmSync(cache, { recursive: true, force: true });
  const out = join(RESULTS, `cluster-${name}.parquet`);
  const args = [
    'run',
    input,
    ...JOBS[job].args,
    '-o',
    out,
    '--base-url',
    `${simUrl}/v1`,
    '--cache-dir',
    cache,
    '--fresh',
    ...extra,
  ];
  const run = await measureNode(CLI, args);
  if (run.code !== 0) throw new Error(`one-machine run ${name} failed (${run.code}): ${run.stderr}`);
  return run;
}

const rate = (rows: number, seconds: number) => Math.round(rows / seconds).toLocaleString('en-US');

/**
 * The fault drill: during a job over 4 workers, kill -9 two workers and the coordinator at seeded random
 * moments, restart Redis (AOF) mid-job, start one worker and the coordinator again; the output must be every row
 * once and the same as an uninterrupted one-machine run, and the prompts paid twice at most what the two dead
 * workers had in flight.
 */
async function faultDrill(rows: number, seed: number): Promise<string> {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const sim = await startSimProcess(['--latency-ms', '20']);
  const redis = await startRedis({ appendOnly: true });
  const env = { ...process.env, OPENAI_API_KEY: 'sk-bench', LLMAP_CACHE_DIR: join(RESULTS, 'cache-cluster-drill') };
  rmSync(env.LLMAP_CACHE_DIR, { recursive: true, force: true });
  const concurrency = 64;
  try {
    await oneMachine('triage', rows, sim.url, [], 'drill-alone');
    await fetch(`${sim.url}/stats/reset`, { method: 'POST' });
    const out = join(RESULTS, 'cluster-drill.jsonl');
    rmSync(out, { force: true });
    const input = await JOBS.triage.table(rows);
    const args = ['run', input, ...JOBS.triage.args, '-o', out, '--base-url', `${sim.url}/v1`, '--cluster', redis.url];
    args.push('--max-concurrency', String(concurrency));
    const workers = startWorkers(4, redis.url, env);
    const answered = async () => (await simStats(sim.url)).byStatus['200'] ?? 0;
    const at = async (share: number) => {
      while ((await answered()) < share * rows) await new Promise((r) => setTimeout(r, 100));
    };
    const moments = [0.1, 0.3, 0.5].map((start) => start + random() * 0.15);
    const pct = (share: number) => `${Math.round(share * 100)}%`;
    const first = spawn(CLI, args, { env, stdio: ['ignore', 'ignore', 'ignore'] });
    await at(moments[0]!);
    await workers.kill(0);
    await at(moments[1]!);
    await workers.kill(1);
    first.kill('SIGKILL');
    await at(moments[2]!);
    await redis.restart();
    const replacement = startWorkers(1, redis.url, env);
    const coordinator = spawn(CLI, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    coordinator.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(coordinator, 'close')) as [number | null];
    await Promise.all([workers.stop(), replacement.stop()]);
    if (code !== 0) throw new Error(`the restarted coordinator exited ${code}: ${stderr}`);
    const mine = await readRows(out);
    const reference = await readRows(join(RESULTS, 'cluster-drill-alone.parquet'));
    const ids = new Set(mine.map((row) => row['_row_id']));
    const same = mine.length === reference.length && mine.every((row, i) => sameAnswer(row, reference[i]!));
    const stats = await simStats(sim.url);
    return (
      `cluster  fault drill (seed ${seed}), ${rows.toLocaleString('en-US')} rows, 4 workers: kill -9 of a worker at ` +
      `${pct(moments[0]!)}, of another and of the coordinator at ${pct(moments[1]!)}, Redis restarted at ` +
      `${pct(moments[2]!)}, one worker and the coordinator started again: ${mine.length.toLocaleString('en-US')} rows, ` +
      `${ids.size.toLocaleString('en-US')} distinct, ${same ? 'identical to' : 'DIFFERENT from'} the uninterrupted ` +
      `run; ${stats.prompts.answeredMoreThanOnce} prompts paid twice (bound: ${2 * concurrency} in flight at the kills)`
    );
  } finally {
    await sim.stop();
    await redis.close();
  }
}

/** The columns that do not depend on when or where a row was answered. */
function sameAnswer(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = ['ticket_id', 'category', 'urgency', 'pii', 'tags', '_status', '_row_id', '_request_key'];
  return keys.every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));
}

const count = (n: number) => n.toLocaleString('en-US');

/** Against a simulator started with `simArgs` for the measurement, stopped after it. */
async function withSim<T>(simArgs: readonly string[], measure: (url: string) => Promise<T>): Promise<T> {
  const sim = await startSimProcess(simArgs);
  try {
    return await measure(sim.url);
  } finally {
    await sim.stop();
  }
}

/** Rows/s of 1, 2 and 4 workers at 200 ms of latency, for the flat job and for the triage job. */
async function scaling(rows: number): Promise<string[]> {
  const quarter = Math.round(rows / 4);
  const concurrency = ['--max-concurrency', '64'];
  const lines: string[] = [];
  await withSim(['--latency-ms', '200'], async (url) => {
    for (const job of ['reviews', 'triage'] as const) {
      const alone = await oneMachine(job, quarter, url, concurrency, `alone-${job}`);
      lines.push(
        `cluster  ${job}, latency 200 ms, one machine, ${count(quarter)} rows: ${rate(quarter, alone.seconds)} rows/s`,
      );
      let single: number | undefined;
      for (const [n, size] of [
        [1, quarter],
        [2, quarter * 2],
        [4, rows],
      ] as const) {
        const r = await clusterRun(n, job, size, url, concurrency, `scale-${job}-${n}`);
        const perSecond = size / r.run.seconds;
        single ??= perSecond;
        lines.push(
          `cluster  ${job}, ${n} worker(s), ${count(size)} rows: ${rate(size, r.run.seconds)} rows/s, ` +
            `${(perSecond / single).toFixed(2)}× one worker (target for 4: ≥ 3.6×); workers' CPU ` +
            `${((r.cpuSeconds * 1e6) / size).toFixed(0)} µs/row, Redis peak ${r.redisPeakMiB.toFixed(1)} MiB`,
        );
      }
    }
  });
  return lines;
}

/** CPU per row with latency 0: one worker's (from /proc, after its start-up) against a one-machine run's. */
async function cpuPerRow(rows: number): Promise<string[]> {
  const lines: string[] = [];
  await withSim([], async (url) => {
    for (const job of ['reviews', 'triage'] as const) {
      const alone = await oneMachine(job, rows, url, [], `cpu-alone-${job}`);
      const r = await clusterRun(1, job, rows, url, [], `cpu-1-${job}`);
      const aloneUs = (alone.cpuSeconds * 1e6) / rows;
      const workerUs = (r.cpuSeconds * 1e6) / rows;
      lines.push(
        `cluster  ${job}, CPU per row, latency 0, ${count(rows)} rows: one machine ${aloneUs.toFixed(0)} µs (its ` +
          `start-up included), worker ${workerUs.toFixed(0)} µs (${(workerUs / aloneUs).toFixed(2)}×, target ≤ 1.25×); ` +
          `the coordinator ${((r.run.cpuSeconds * 1e6) / rows).toFixed(0)} µs more`,
      );
    }
  });
  return lines;
}

/** One limit over 4 workers, learned from the headers: a request limit, then a token limit. */
async function globalLimit(): Promise<string[]> {
  const lines: string[] = [];
  const limitRows = 6_000;
  for (const [label, simArgs, measure] of [
    ['requests 6,000/min', ['--latency-ms', '50', '--rpm', '6000'], (s: SimStats) => (s.byStatus['200'] ?? 0) / 100],
    [
      'tokens 1.2M/min',
      ['--latency-ms', '50', '--tpm', '1200000'],
      (s: SimStats) => (s.charged['tokens'] ?? 0) / 20_000,
    ],
  ] as const) {
    const r = await withSim(simArgs, (url) =>
      clusterRun(4, 'triage', limitRows, url, ['--shard-rows', '500'], 'limit'),
    );
    const span = (r.stats.lastAnsweredAtMs - r.stats.firstRequestAtMs) / 1000;
    const refused = (r.stats.byStatus['429'] ?? 0) / Math.max(1, r.stats.requests);
    const shares = Object.values(r.rowsByWorker).map((n) => ((100 * n) / limitRows).toFixed(0) + '%');
    lines.push(
      `cluster  global limit, ${label}, 4 workers, ${count(limitRows)} rows: ${(measure(r.stats) / span).toFixed(3)} ` +
        `of the limit (first request to last answer), 429s ${(refused * 100).toFixed(2)}% of ${count(r.stats.requests)} ` +
        `requests (target ≥ 0.97, ≤ 1%); rows per worker ${shares.join(' ')}`,
    );
  }
  return lines;
}

/** Redis memory and worker RSS over a large job, latency 0. */
async function memory(rows: number): Promise<string[]> {
  const r = await withSim([], (url) => clusterRun(4, 'triage', rows, url, [], 'memory'));
  return [
    `cluster  triage, ${count(rows)} rows over 4 workers: Redis used_memory peak ${r.redisPeakMiB.toFixed(1)} MiB ` +
      `(target < 256 MB), worker peak RSS ${r.workerPeakRssMiB.toFixed(0)} MiB, ${rate(rows, r.run.seconds)} rows/s`,
  ];
}

/** Every part, or those named in LLMAP_BENCH_CLUSTER_ONLY (scale, cpu, limit, memory, faults). */
export async function clusterBench(): Promise<string[]> {
  const rows = Number(process.env['LLMAP_BENCH_CLUSTER_ROWS'] ?? 100_000);
  const memoryRows = Number(process.env['LLMAP_BENCH_CLUSTER_MEMORY_ROWS'] ?? 200_000);
  const seed = Number(process.env['LLMAP_BENCH_CLUSTER_SEED'] ?? 15);
  const parts: Record<string, () => Promise<string[]>> = {
    scale: () => scaling(rows),
    // The 100,000-row job, and a quarter of it (shards of the 2,000-row minimum, where their fixed cost shows).
    cpu: async () => [...(await cpuPerRow(rows)), ...(await cpuPerRow(Math.round(rows / 4)))],
    limit: () => globalLimit(),
    memory: () => memory(memoryRows),
    faults: async () => [await faultDrill(rows, seed)],
  };
  const only = process.env['LLMAP_BENCH_CLUSTER_ONLY']?.split(',') ?? Object.keys(parts);
  const lines: string[] = [];
  for (const name of only) {
    const run = parts[name];
    if (!run) throw new Error(`unknown part ${name} of the cluster benchmark; known: ${Object.keys(parts).join(', ')}`);
    for (const line of await run()) {
      console.error(line);
      lines.push(line);
    }
  }
  return lines;
}
