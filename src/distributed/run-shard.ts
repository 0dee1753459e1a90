// A worker answering one shard: the same `runJob` as a one-machine run, over the shard's range of rows, with its run
// state in Redis (so a worker that takes the shard over after a kill reuses every answer recorded), the job's shared
// rate limit, and the worker's own response cache and keys. The shard's part is written under its final name; then
// its result is recorded and its ledger dropped, so Redis holds per-row state only for shards in progress.

import { existsSync, mkdirSync } from 'node:fs';
import { basename } from 'node:path';
import type { Redis } from 'ioredis';
import { defaultStateDir, loadJob, type Env } from '../job/load-job.js';
import type { Job } from '../job/job.js';
import type { MetricsEndpoint } from '../observe/metrics/metrics-endpoint.js';
import { runJob, type RunJobDeps, type RunSummary } from '../run-job.js';
import type { ChatProvider } from '../providers/provider.js';
import { dropRedisLedger, redisLedgerOpener } from '../store/redis/redis-ledger.js';
import { jobKey, partPath, shardKey, type ShardData } from './cluster-job.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { SharedRateLimiter } from './shared-rate-limiter.js';

/** What a shard reports when done: the coordinator adds these up. */
export interface ShardResult {
  readonly index: number;
  readonly part: string;
  readonly rows: RunSummary['rows'];
  readonly tokens: RunSummary['tokens'];
  readonly retries: number;
  readonly runUsd: number | undefined;
  readonly quarantine: string | undefined;
  readonly elapsedMs: number;
  readonly worker: string;
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

/** A shard's progress, as its worker last reported it. */
export interface ShardProgress {
  readonly done: number;
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  readonly invalid: number;
  readonly cached: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** The run stopped before every row of the shard was answered: the shard goes back to the queue (or fails). */
export class ShardStoppedError extends Error {
  override readonly name = 'ShardStoppedError';
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
  }
}

export interface ShardContext {
  readonly redis: Redis;
  /** The worker's environment: keys, base URLs, cache directory. */
  readonly env: Env;
  /** The worker's name in reports (`host/pid`). */
  readonly worker: string;
  readonly cacheDir?: string | undefined;
  readonly keepProvider?: (job: Job, open: () => ChatProvider) => ChatProvider;
  /** Jobs loaded by this worker, by job id. */
  readonly jobs?: Map<string, Job>;
  readonly stopSignal?: AbortSignal;
  readonly onProgress?: (progress: ShardProgress) => void;
  /** The worker's metrics: each shard's run is shown from its start, under its job's output name. */
  readonly metrics?: Pick<MetricsEndpoint, 'observe'>;
  readonly now?: () => number;
}

const PROGRESS_MS = 1000;

export async function runShard(shard: ShardData, ctx: ShardContext): Promise<ShardResult> {
  const { spec, index } = shard;
  const key = shardKey(spec.id, index);
  const part = partPath(spec, index);
  // Done before, and killed between writing its result and telling the queue: nothing to ask again.
  const recorded = await ctx.redis.get(`${key}:done`);
  if (recorded && existsSync(part)) return JSON.parse(recorded) as ShardResult;

  mkdirSync(spec.partsDir, { recursive: true });
  const job = shardJob(shard, ctx);
  const now = ctx.now ?? Date.now;
  const limiter = await SharedRateLimiter.open({
    limits: new RedisRateLimiter({ redis: ctx.redis, prefix: jobKey(spec.id) }),
    rpm: job.execution.rpm,
    tpm: job.execution.tpm,
    now,
  });
  let timer: NodeJS.Timeout | undefined;
  let observed: { end(): void } | undefined;
  const { metrics } = ctx;
  const deps: RunJobDeps = {
    now,
    limiter,
    leasedState: true,
    openLedger: redisLedgerOpener(ctx.redis, key, { samples: job.samples }),
    command: spec.command,
    ...(ctx.keepProvider ? { keepProvider: ctx.keepProvider } : {}),
    ...(ctx.stopSignal ? { stopSignal: ctx.stopSignal } : {}),
    ...(metrics ? { onObserve: (run) => (observed = metrics.observe(run, basename(spec.output))) } : {}),
    onStart: (stats) => {
      const report = () =>
        ctx.onProgress?.({
          done: stats.done,
          total: stats.total,
          ok: stats.ok,
          failed: stats.failed,
          invalid: stats.invalid,
          cached: stats.cached,
          inputTokens: stats.inputTokens,
          outputTokens: stats.outputTokens,
        });
      report();
      timer = setInterval(report, PROGRESS_MS);
    },
  };
  let summary: RunSummary;
  try {
    summary = await runJob(job, deps);
  } finally {
    clearInterval(timer);
    observed?.end();
  }
  if (summary.stopped || summary.outputError !== undefined || summary.output !== part) {
    const why = summary.outputError ?? (summary.stopped && 'message' in summary.stopped ? summary.stopped.message : '');
    throw new ShardStoppedError(
      summary.stopped?.kind ?? 'output',
      `shard ${index} stopped${summary.stopped ? ` (${summary.stopped.kind})` : ''}${why ? `: ${why}` : ''}`,
    );
  }
  const result: ShardResult = {
    index,
    part,
    rows: summary.rows,
    tokens: summary.tokens,
    retries: summary.retries,
    runUsd: summary.cost?.runUsd,
    quarantine: summary.quarantine,
    elapsedMs: summary.elapsedMs,
    worker: ctx.worker,
    warnings: summary.warnings,
    notes: summary.notes,
  };
  await ctx.redis.set(`${key}:done`, JSON.stringify(result));
  await dropRedisLedger(ctx.redis, key);
  return result;
}

/**
 * The job as this worker runs it: the shard's rows, written to its part, with the worker's keys and cache, and the
 * share of a --budget that the shard's rows are of the job. The job is loaded (its schema compiled) once per worker
 * and job, when `ctx.jobs` keeps it.
 */
export function shardJob(shard: ShardData, ctx: Pick<ShardContext, 'env' | 'cacheDir' | 'jobs'>): Job {
  const { spec, index } = shard;
  let base = ctx.jobs?.get(spec.id);
  if (!base) {
    const cache = ctx.cacheDir === undefined ? {} : { cacheDir: ctx.cacheDir };
    base = loadJob({ ...spec.options, out: partPath(spec, 0), ...cache }, ctx.env);
    ctx.jobs?.set(spec.id, base);
  }
  const output = { ...base.output, path: partPath(spec, index) };
  const { budget } = spec.options;
  return {
    ...base,
    output,
    state: { ...base.state, dir: defaultStateDir(output.path) },
    // A part is not a run a person reviews: the job's report is the coordinator's, over the whole output.
    report: { ...base.report, write: false },
    budget: budget === undefined ? undefined : (Number(budget) * shard.count) / spec.rowsTotal,
    // The range is the shard's rows (a --limit is in the range: the coordinator counted the rows under it).
    limit: undefined,
    range: { offset: shard.offset, count: shard.count },
  };
}
