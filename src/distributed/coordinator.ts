// `llmap run ... --cluster URL`: checks the job as `run` does (bad input fails here, before anything is queued), plans
// its shards and enqueues them as one BullMQ flow: a parent `publish` job whose children are the shards, so the output
// is published (by any worker) when the last shard has ended. The job's id comes from its fingerprint and output: the
// same command started again re-attaches to the job instead of queuing it twice. It then shows progress over every
// worker until the job is published, or exits at once with --detach.

import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { FlowProducer, Job as BullJob, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobPrice } from '../cost/prices.js';
import { InputError } from '../job/input-error.js';
import { openJobSource } from '../job/job-source.js';
import { loadJob, type Env } from '../job/load-job.js';
import type { Job } from '../job/job.js';
import type { RunOptions } from '../job/run-options.js';
import { answerColumnsOf, metaColumns, outputColumns } from '../output/output-rows.js';
import { openDuckDB } from '../table/duckdb.js';
import {
  BULL_PREFIX,
  clusterJobId,
  jobKey,
  partsDirFor,
  planShards,
  PUBLISH_QUEUE,
  SHARD_QUEUE,
  shardJobId,
  workerOptions,
  type ClusterJobSpec,
  type OutputLayout,
  type ShardRef,
} from './cluster-job.js';
import { readClusterJob, workerNames, type ClusterJobView } from './cluster-status.js';
import { bullConnection, checkReachable, redactUrl, type JobResult } from './worker.js';

/** Attempts of a shard whose run throws (a provider that stays down, a worker that cannot read the input). */
const SHARD_ATTEMPTS = 3;
/** Attempts of the publishing (a full disk, a part that cannot be read); the same command again retries it. */
const PUBLISH_ATTEMPTS = 3;
/** Progress is read once a second, less often for jobs of thousands of shards. */
const pollMs = (shards: number) => Math.max(1000, shards * 2);

export interface ClusterRunSettings {
  readonly url: string;
  readonly options: RunOptions;
  readonly env: Env;
  readonly command: readonly string[];
  readonly layout: OutputLayout;
  /** Enqueue and exit. */
  readonly detach: boolean;
  readonly shardRows?: number | undefined;
  /** Workers expected, to size the shards (default: those connected now, at least 4). */
  readonly workers?: number | undefined;
  readonly log?: (line: string) => void;
  readonly onProgress?: (view: ClusterJobView) => void;
  readonly stopSignal?: AbortSignal;
}

export type ClusterOutcome =
  | { readonly kind: 'published'; readonly result: JobResult; readonly attached: boolean }
  | { readonly kind: 'detached'; readonly spec: ClusterJobSpec; readonly attached: boolean }
  | { readonly kind: 'interrupted'; readonly spec: ClusterJobSpec };

export async function runCluster(settings: ClusterRunSettings): Promise<ClusterOutcome> {
  const log = settings.log ?? (() => undefined);
  const job = checkedJob(settings.options, settings.env);
  const rowsTotal = await countRows(job);
  await checkReachable(settings.url);
  const redis = bullConnection(settings.url);
  const connection = { connection: redis, prefix: BULL_PREFIX };
  const publishQueue = new Queue(PUBLISH_QUEUE, connection);
  const shardQueue = new Queue(SHARD_QUEUE, connection);
  const eventsConnection = redis.duplicate();
  const events = new QueueEvents(PUBLISH_QUEUE, { connection: eventsConnection, prefix: BULL_PREFIX });
  try {
    const id = clusterJobId(job);
    const fresh = settings.options.fresh === true;
    let existing = await BullJob.fromId<{ spec: ClusterJobSpec }, JobResult>(publishQueue, id);
    if (existing && fresh) {
      await existing.remove({ removeChildren: true });
      await dropJobKeys(redis, id);
      rmSync(partsDirFor(resolve(job.output.path)), { recursive: true, force: true });
      existing = undefined;
    }
    const attached = existing !== undefined;
    const spec = existing?.data.spec ?? newSpec(job, id, rowsTotal, settings, (await workerNames(shardQueue)).length);
    if (existing) {
      log(`re-attached to job ${id} (queued ${new Date(spec.createdAt).toISOString()}); --fresh queues it anew`);
    } else {
      await enqueue(redis, spec);
      log(
        `queued job ${id}: ${spec.rowsTotal.toLocaleString('en-US')} rows in ${spec.shards} shard(s) of ${spec.shardRows.toLocaleString('en-US')} on ${redactUrl(settings.url)}`,
      );
    }
    if (settings.detach) return { kind: 'detached', spec, attached };
    const parent = (await BullJob.fromId<{ spec: ClusterJobSpec }, JobResult>(publishQueue, id))!;
    // Publishing failed on every attempt: the same command tries it again, as a one-machine run writes its output.
    if ((await parent.getState()) === 'failed') {
      log(`the last publishing of job ${id} failed (${parent.failedReason}): trying again`);
      await parent.retry();
    }
    const watching = setInterval(() => {
      void readClusterJob(publishQueue, shardQueue, spec)
        .then((view) => settings.onProgress?.(view))
        .catch(() => undefined);
    }, pollMs(spec.shards));
    try {
      const done = (await parent.getState()) === 'completed';
      const finished = done ? Promise.resolve(parent.returnvalue) : parent.waitUntilFinished(events);
      const stopped = new Promise<undefined>((resolveStop) =>
        settings.stopSignal?.addEventListener('abort', () => resolveStop(undefined), { once: true }),
      );
      const result = await Promise.race([finished, stopped]);
      if (!result) return { kind: 'interrupted', spec };
      settings.onProgress?.(await readClusterJob(publishQueue, shardQueue, spec));
      return { kind: 'published', result, attached };
    } finally {
      clearInterval(watching);
    }
  } finally {
    await events.close();
    await Promise.all([publishQueue.close(), shardQueue.close()]);
    eventsConnection.disconnect();
    redis.disconnect();
  }
}

/** The job as `run` loads it, with everything `run` checks before the first request. */
function checkedJob(options: RunOptions, env: Env): Job {
  if (options.mode !== undefined && options.mode !== 'online') {
    throw new InputError(
      `--mode ${options.mode} cannot be combined with --cluster: a distributed job is answered online; run batch jobs ` +
        'on one machine (the Batch API does the spreading)',
    );
  }
  const { detach: _detach, ...rest } = options;
  const job = loadJob(rest, env);
  if (job.expect.rules.length > 0 || job.output.keepPrompts) {
    throw new InputError(
      `${job.expect.rules.length > 0 ? 'data checks (--expect, or expect: in the prompt file)' : '--keep-prompts'} ` +
        'cannot be combined with --cluster yet: check the data on one machine (llmap run … --dry-run --expect …), ' +
        'then run the cluster job without them',
    );
  }
  jobPrice(job);
  return job;
}

/** Opens and scans the input (its columns against the prompt, --id and the answer's columns); its rows. */
async function countRows(job: Job): Promise<number> {
  const db = await openDuckDB();
  try {
    const source = await openJobSource(db, job);
    outputColumns(source.columns, answerColumnsOf(job), metaColumns(job.samples));
    return source.rowCount;
  } finally {
    db.close();
  }
}

function newSpec(job: Job, id: string, rows: number, settings: ClusterRunSettings, connected: number): ClusterJobSpec {
  const workers = settings.workers ?? Math.max(4, connected);
  const shards = planShards(rows, workers, settings.shardRows);
  const output = resolve(job.output.path);
  if (settings.layout === 'dataset' && job.output.format !== 'parquet') {
    throw new InputError(
      `--output-layout dataset writes Parquet parts: give --out a directory name ending in .parquet`,
    );
  }
  return {
    id,
    options: workerOptions(settings.options, settings.env),
    output,
    format: job.output.format,
    layout: settings.layout,
    partsDir: partsDirFor(output),
    rowsTotal: rows,
    samples: job.samples,
    shards: shards.length,
    shardRows: shards[0]!.count,
    model: `${job.model.provider}:${job.model.modelId}`,
    command: settings.command,
    cwd: process.cwd(),
    createdAt: Date.now(),
  };
}

/** One flow: the shards, and the publish job that runs when all have ended (a failed shard does not block it). */
async function enqueue(redis: Redis, spec: ClusterJobSpec): Promise<void> {
  const flows = new FlowProducer({ connection: redis, prefix: BULL_PREFIX });
  try {
    const children = planShards(spec.rowsTotal, 1, spec.shardRows).map((shard, index) => ({
      name: 'shard',
      queueName: SHARD_QUEUE,
      data: { job: spec.id, index, offset: shard.offset, count: shard.count } satisfies ShardRef,
      opts: {
        jobId: shardJobId(spec.id, index),
        attempts: SHARD_ATTEMPTS,
        backoff: { type: 'exponential', delay: 2000 },
        ignoreDependencyOnFailure: true,
      },
    }));
    const opts = { jobId: spec.id, attempts: PUBLISH_ATTEMPTS, backoff: { type: 'exponential', delay: 5000 } };
    await flows.add({ name: 'publish', queueName: PUBLISH_QUEUE, data: { spec }, opts, children });
  } finally {
    await flows.close();
  }
}

/** Everything llmap keeps in Redis for a job besides its BullMQ jobs: shard ledgers and results, the limiter. */
async function dropJobKeys(redis: Redis, id: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${jobKey(id)}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
