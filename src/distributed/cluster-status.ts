// What a distributed job looks like from Redis: each shard's state (queued, running on which worker, done, failed),
// the rows and tokens over every worker, the spend, and the workers connected. Read by the coordinator's progress
// and by `llmap status --cluster`.

import { Job as BullJob, Queue } from 'bullmq';
import { costOf, loadPrices, priceOfModel } from '../cost/prices.js';
import { BULL_PREFIX, PUBLISH_QUEUE, SHARD_QUEUE, shardJobId, type ClusterJobSpec } from './cluster-job.js';
import type { ShardProgress, ShardResult } from './run-shard.js';
import { bullConnection, checkReachable, type JobResult } from './worker.js';

export type ShardState = 'queued' | 'running' | 'done' | 'failed' | 'retrying';

export interface ShardView {
  readonly index: number;
  readonly state: ShardState;
  readonly worker: string | undefined;
  readonly done: number;
  readonly total: number;
  readonly attempts: number;
  readonly error: string | undefined;
}

export interface ClusterJobView {
  readonly spec: ClusterJobSpec;
  /** `published` once the output is written. */
  readonly state: string;
  readonly shards: readonly ShardView[];
  readonly rows: { done: number; ok: number; failed: number; invalid: number; cached: number };
  readonly tokens: { input: number; output: number };
  /** USD of the tokens paid so far, when the model's price is known. */
  readonly usd: number | undefined;
  readonly result: JobResult | undefined;
}

const STATES: Record<string, ShardState> = {
  waiting: 'queued',
  prioritized: 'queued',
  'waiting-children': 'queued',
  active: 'running',
  completed: 'done',
  failed: 'failed',
  delayed: 'retrying',
};

export async function readClusterJob(
  publishQueue: Queue,
  shardQueue: Queue,
  spec: ClusterJobSpec,
): Promise<ClusterJobView> {
  const rows = { done: 0, ok: 0, failed: 0, invalid: 0, cached: 0 };
  const tokens = { input: 0, output: 0 };
  const shards: ShardView[] = [];
  for (let index = 0; index < spec.shards; index++) {
    const bullJob = await BullJob.fromId<unknown, ShardResult>(shardQueue, shardJobId(spec.id, index));
    const state = bullJob ? (STATES[await bullJob.getState()] ?? 'queued') : 'queued';
    const result = state === 'done' ? bullJob?.returnvalue : undefined;
    const progress = (state === 'running' ? bullJob?.progress : undefined) as
      (ShardProgress & { worker: string }) | undefined;
    const count = Math.min(spec.shardRows, spec.rowsTotal - index * spec.shardRows) * spec.samples;
    const done = result ? result.rows.written : (progress?.done ?? 0);
    if (result) {
      for (const k of ['ok', 'failed', 'invalid', 'cached'] as const) rows[k] += result.rows[k];
      tokens.input += result.tokens.input;
      tokens.output += result.tokens.output;
    } else if (progress) {
      for (const k of ['ok', 'failed', 'invalid', 'cached'] as const) rows[k] += progress[k];
      tokens.input += progress.inputTokens;
      tokens.output += progress.outputTokens;
    }
    rows.done += done;
    shards.push({
      index,
      state,
      worker: result?.worker ?? progress?.worker ?? bullJob?.processedBy,
      done,
      total: count,
      attempts: bullJob?.attemptsMade ?? 0,
      error: bullJob?.failedReason || undefined,
    });
  }
  const parent = await BullJob.fromId<unknown, JobResult>(publishQueue, spec.id);
  const parentState = parent ? await parent.getState() : 'unknown';
  const price = priceOfModel(loadPrices(spec.options.prices), spec.model);
  return {
    spec,
    state: parentState === 'completed' ? 'published' : parentState,
    shards,
    rows,
    tokens,
    usd: price ? costOf(price, tokens.input, tokens.output) : undefined,
    result: parentState === 'completed' ? parent?.returnvalue : undefined,
  };
}

export interface ClusterStatus {
  readonly jobs: readonly ClusterJobView[];
  readonly workers: readonly string[];
}

/** Every job on a Redis (newest first), and the workers connected to it. */
export async function clusterStatus(url: string): Promise<ClusterStatus> {
  await checkReachable(url);
  const redis = bullConnection(url);
  const connection = { connection: redis, prefix: BULL_PREFIX };
  const publishQueue = new Queue(PUBLISH_QUEUE, connection);
  const shardQueue = new Queue(SHARD_QUEUE, connection);
  try {
    const parents = await publishQueue.getJobs(['waiting-children', 'waiting', 'active', 'completed', 'failed']);
    const specs = parents
      .map((p) => (p.data as { spec?: ClusterJobSpec }).spec)
      .filter((spec): spec is ClusterJobSpec => spec !== undefined)
      .sort((a, b) => b.createdAt - a.createdAt);
    const jobs = [];
    for (const spec of specs) jobs.push(await readClusterJob(publishQueue, shardQueue, spec));
    return { jobs, workers: await workerNames(shardQueue) };
  } finally {
    await Promise.all([publishQueue.close(), shardQueue.close()]);
    redis.disconnect();
  }
}

/** The workers taking shards now: BullMQ names each worker's connection `<queue client>:w:<worker name>`. */
export async function workerNames(shardQueue: Queue): Promise<string[]> {
  const clients = await shardQueue.getWorkers();
  const names = clients.map((client) => String(client['rawname'] ?? '').split(':w:')[1] ?? '').filter((n) => n);
  return [...new Set(names)].sort();
}
