// `llmap worker`: takes shards from any job on a Redis and answers them (run-shard.ts), and publishes the output of a
// job whose shards have all ended (publish-job.ts). BullMQ leases the shards: a worker renews its lock while it works,
// and a shard whose worker died (kill -9, a lost machine) is leased again to another once the lock runs out; a shard
// whose run throws is tried again, and after its last attempt fails for good, its rows are written as failed rows.
// A local model stays loaded from one shard to the next. SIGTERM or Ctrl-C: no new shard is taken, the shards held
// stop asking, checkpoint what they have to Redis and go back to the queue, and the worker exits.

import { hostname } from 'node:os';
import { Job as BullJob, Queue, Worker, WaitingError, UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { redactUrl } from '../job/secret.js';
import { InputError } from '../job/input-error.js';
import type { Env } from '../job/load-job.js';
import type { Job } from '../job/job.js';
import type { MetricsEndpoint } from '../observe/metrics/metrics-endpoint.js';
import type { ChatProvider } from '../providers/provider.js';
import {
  BULL_PREFIX,
  PUBLISH_QUEUE,
  SHARD_QUEUE,
  shardKey,
  jobKey,
  type ClusterJobSpec,
  type ShardRef,
} from './cluster-job.js';
import { dropRedisLedger } from '../store/redis/redis-ledger.js';
import { publishJob, type PublishedJob, type ShardFailure } from './publish-job.js';
import { runShard, ShardStoppedError, type ShardResult } from './run-shard.js';

export interface WorkerSettings {
  readonly url: string;
  readonly env: Env;
  /** This machine's response cache (default: the environment's). */
  readonly cacheDir?: string | undefined;
  /** Shards answered at once by this process. @default 1 */
  readonly shards?: number;
  /** How long a shard's lease lasts without renewal: a dead worker's shard goes to another after this. */
  readonly lockMs?: number;
  /** Lines for whoever watches the worker. */
  readonly log?: (line: string) => void;
  /** Shows each shard's run as it starts (`llmap worker --metrics-port`); closed by the caller. */
  readonly metrics?: Pick<MetricsEndpoint, 'observe'>;
}

/** What the publisher returns, and the coordinator prints. */
export interface JobResult {
  readonly spec: ClusterJobSpec;
  readonly published: PublishedJob;
  readonly results: readonly ShardResult[];
  readonly failures: readonly ShardFailure[];
  readonly finishedAt: number;
}

export interface RunningWorker {
  readonly name: string;
  /** Stops taking shards, hands back the ones held, and closes. */
  stop(): Promise<void>;
}

/** The connection BullMQ's workers need: commands wait through a Redis restart instead of failing. */
export function bullConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/**
 * Fails at once, naming the URL (without its password), when nothing answers there: the connections above wait for
 * Redis for ever, which is right during a restart and wrong for a mistyped URL.
 */
export async function checkReachable(url: string): Promise<void> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let cause: Error | undefined;
  probe.on('error', (error: Error) => (cause ??= error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new InputError(`cannot reach Redis at ${redactUrl(url)}: ${(cause ?? (error as Error)).message}`);
  } finally {
    probe.disconnect();
  }
}

/** This process as a worker, in logs, in Redis and in its metrics' push group: `host/pid`. */
export function workerName(): string {
  // No colon: BullMQ parses worker names out of client names separated by colons.
  return `${hostname()}/${process.pid}`;
}

export async function startWorker(settings: WorkerSettings): Promise<RunningWorker> {
  await checkReachable(settings.url);
  const name = workerName();
  const log = settings.log ?? (() => undefined);
  const redis = bullConnection(settings.url);
  const held = new Set<AbortController>();
  const providers = keptProviders();
  let stopping = false;
  const lockDuration = settings.lockMs ?? 15_000;
  const common = {
    connection: redis,
    prefix: BULL_PREFIX,
    name,
    lockDuration,
    stalledInterval: Math.max(1000, Math.floor(lockDuration / 3)),
    maxStalledCount: 3,
  };

  const specs = jobSpecs(redis);
  const jobs = new Map<string, Job>();
  const answerShard = async (bullJob: BullJob<ShardRef>, token?: string): Promise<ShardResult> => {
    const shard = { ...bullJob.data, spec: await specs.get(bullJob.data.job) };
    const stop = new AbortController();
    held.add(stop);
    log(
      `shard ${shard.index + 1}/${shard.spec.shards} of job ${shard.spec.id}: rows ${shard.offset + 1}-${shard.offset + shard.count}`,
    );
    const started = Date.now();
    try {
      const result = await runShard(shard, {
        redis,
        env: settings.env,
        worker: name,
        cacheDir: settings.cacheDir,
        keepProvider: providers.keep,
        jobs,
        stopSignal: stop.signal,
        ...(settings.metrics ? { metrics: settings.metrics } : {}),
        onProgress: (progress) => void bullJob.updateProgress({ ...progress, worker: name }).catch(() => undefined),
      });
      const { ok, failed, invalid } = result.rows;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      log(
        `shard ${shard.index + 1}/${shard.spec.shards} done in ${seconds} s: ${ok} ok, ${failed} failed, ${invalid} invalid`,
      );
      return result;
    } catch (error) {
      if (stopping && error instanceof ShardStoppedError && error.kind === 'interrupted') {
        // Handed back: another worker (or this one, restarted) goes on from what the ledger holds.
        await bullJob.moveToWait(token);
        throw new WaitingError();
      }
      if (error instanceof ShardStoppedError && error.kind === 'budget') throw new UnrecoverableError(error.message);
      throw error;
    } finally {
      held.delete(stop);
    }
  };
  const shards = new Worker<ShardRef, ShardResult>(SHARD_QUEUE, answerShard, {
    ...common,
    concurrency: settings.shards ?? 1,
  });
  const publisher = new Worker<{ spec: ClusterJobSpec }, JobResult>(
    PUBLISH_QUEUE,
    (bullJob) => publish(bullJob, redis, settings.env, log),
    { ...common, concurrency: 1 },
  );
  for (const worker of [shards, publisher]) {
    worker.on('failed', (job, error) => log(`${job?.name ?? 'job'} ${job?.id ?? ''} failed: ${error.message}`));
    worker.on('error', (error) => log(`redis: ${error.message}`));
  }
  await Promise.all([shards.waitUntilReady(), publisher.waitUntilReady()]);
  log(`worker ${name} waiting for shards on ${redactUrl(settings.url)}`);
  return {
    name,
    async stop() {
      stopping = true;
      const closing = Promise.all([shards.close(), publisher.close()]);
      for (const stop of held) stop.abort();
      await closing;
      await providers.close();
      await specs.close();
      redis.disconnect();
    },
  };
}

/** How long Redis remembers that a job's output was written (a publisher killed after writing it, retried). */
const PUBLISHED_TTL_MS = 7 * 86_400_000;

/** The parent job: every shard has ended (done, or failed for good). */
async function publish(
  bullJob: BullJob<{ spec: ClusterJobSpec }>,
  redis: Redis,
  env: Env,
  log: (line: string) => void,
): Promise<JobResult> {
  const { spec } = bullJob.data;
  const byIndex = (key: string) => Number(/-(\d+)$/.exec(key)?.[1]);
  const values = await bullJob.getChildrenValues<ShardResult>();
  const results = Object.values(values).sort((a, b) => a.index - b.index);
  const failed = await bullJob.getIgnoredChildrenFailures();
  const failures = Object.entries(failed).map(([key, reason]) => {
    const index = byIndex(key);
    const offset = index * spec.shardRows;
    return {
      index,
      offset,
      count: Math.min(spec.shardRows, spec.rowsTotal - offset),
      reason: `shard failed: ${reason}`,
    };
  });
  const marker = `${jobKey(spec.id)}:published`;
  const earlier = await redis.get(marker);
  log(`publishing job ${spec.id}: ${results.length} shard(s) done, ${failures.length} failed`);
  const published = earlier
    ? (JSON.parse(earlier) as PublishedJob)
    : await publishJob(spec, results, failures, env, async (written) => {
        await redis.set(marker, JSON.stringify(written), 'PX', PUBLISHED_TTL_MS);
      });
  // What Redis held for the job's shards and limits is no longer needed: the output is the record.
  const keys = Array.from({ length: spec.shards }, (_, i) => `${shardKey(spec.id, i)}:done`);
  await redis.del(...keys, `${jobKey(spec.id)}:limits`, `${jobKey(spec.id)}:workers`, `${jobKey(spec.id)}:in-flight`);
  for (const failure of failures) await dropRedisLedger(redis, shardKey(spec.id, failure.index));
  log(`published ${published.output} (${published.rows.toLocaleString('en-US')} rows)`);
  return { spec, published, results, failures, finishedAt: Date.now() };
}

/** The spec of each job, from its parent job (read once per job by each worker). */
function jobSpecs(redis: Redis) {
  const queue = new Queue(PUBLISH_QUEUE, { connection: redis, prefix: BULL_PREFIX });
  const known = new Map<string, Promise<ClusterJobSpec>>();
  const read = async (id: string) => {
    const parent = await BullJob.fromId<{ spec: ClusterJobSpec }>(queue, id);
    if (!parent) throw new UnrecoverableError(`job ${id} is not in Redis any more (removed with --fresh?)`);
    return parent.data.spec;
  };
  return {
    get(id: string): Promise<ClusterJobSpec> {
      let spec = known.get(id);
      if (!spec) known.set(id, (spec = read(id)));
      spec.catch(() => known.delete(id));
      return spec;
    },
    close: () => queue.close(),
  };
}

/**
 * A provider stays open from one shard to the next: a local model stays loaded, an HTTP provider keeps its
 * connections. Not an embeddings provider of an API: it packs rows into calls under the shard's own limiter.
 */
function keptProviders() {
  const kept = new Map<string, ChatProvider>();
  return {
    keep: (job: Job, open: () => ChatProvider): ChatProvider => {
      const local = job.model.provider === 'llama';
      if (job.cache.replay || (!local && job.task.kind !== 'generate')) return open();
      const { model } = job;
      const key = JSON.stringify([
        model.provider,
        model.modelId,
        model.baseUrls,
        model.local,
        job.task.kind,
        job.execution,
      ]);
      let provider = kept.get(key);
      if (!provider) kept.set(key, (provider = open()));
      return { ...provider, close: () => Promise.resolve() };
    },
    async close() {
      for (const provider of kept.values()) await provider.close();
      kept.clear();
    },
  };
}

/** A Redis URL as shown in logs: without its password. */
export { redactUrl } from '../job/secret.js';
