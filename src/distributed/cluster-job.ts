// A distributed job as it travels through Redis: the run's options (paths made absolute, nothing secret), where its
// parts and output go, and its shards, each a range of the input's rows. The job's id comes from its fingerprint and
// output, so the same command names the same job on any machine and a coordinator started again re-attaches to it.

import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../job/input-error.js';
import { jobFingerprint } from '../job/job-fingerprint.js';
import type { Job } from '../job/job.js';
import type { RunOptions } from '../job/run-options.js';
import { canonicalJson } from '../request/canonical-json.js';
import { sha256Hex } from '../request/request-key.js';
import type { OutputFormat } from '../table/write-table.js';

/** BullMQ's key prefix, and the queues: shards to answer, and jobs whose shards are all done (to publish). */
export const BULL_PREFIX = 'llmap';
export const SHARD_QUEUE = 'shards';
export const PUBLISH_QUEUE = 'publish';

/** A single output file in input order, or a directory of Parquet parts with a manifest. */
export type OutputLayout = 'file' | 'dataset';

export interface ClusterJobSpec {
  /** 16 hex digits from the job's fingerprint and output. */
  readonly id: string;
  /** Options every worker loads the job from (with its own environment: keys, cache). */
  readonly options: RunOptions;
  readonly output: string;
  readonly format: OutputFormat;
  readonly layout: OutputLayout;
  /** Where workers write the shards' parts (beside the output, on storage every machine reaches). */
  readonly partsDir: string;
  readonly rowsTotal: number;
  readonly samples: number;
  readonly shards: number;
  /** Rows per shard (the last may have fewer). */
  readonly shardRows: number;
  readonly model: string;
  /** The coordinator's command and where it was started: `status --cluster` prints how to re-attach. */
  readonly command: readonly string[];
  readonly cwd: string;
  readonly createdAt: number;
}

/** One shard as queued: `count` rows of the input from `offset`, of the job named `job` (whose spec the parent job
 * holds, once for all its shards). */
export interface ShardRef {
  readonly job: string;
  readonly index: number;
  readonly offset: number;
  readonly count: number;
}

/** A shard with its job's spec, as a worker answers it. */
export interface ShardData extends ShardRef {
  readonly spec: ClusterJobSpec;
}

export function clusterJobId(job: Job): string {
  return sha256Hex(canonicalJson({ fingerprint: jobFingerprint(job), output: resolve(job.output.path) })).slice(0, 16);
}

/** Redis keys of a job (its limiter, its shards' ledgers) start with this. */
export function jobKey(id: string): string {
  return `${BULL_PREFIX}:job:${id}`;
}

export function shardKey(id: string, index: number): string {
  return `${jobKey(id)}:shard:${index}`;
}

export function shardJobId(id: string, index: number): string {
  return `${id}-${String(index).padStart(5, '0')}`;
}

export function partsDirFor(output: string): string {
  return join(dirname(output), `.${basename(output)}.parts`);
}

/** A shard's part: Parquet, or the output's own format so that the parts of a JSONL or CSV output concatenate. */
export function partPath(spec: Pick<ClusterJobSpec, 'partsDir' | 'format'>, index: number): string {
  return join(spec.partsDir, `part-${String(index).padStart(5, '0')}.${spec.format}`);
}

/**
 * The options as workers receive them: files named by absolute path (the input, prompt, schema and prices must be on
 * storage every worker reaches), and nothing that is one machine's (state, cache) or secret. Keys are never in the
 * options (only the name of the variable that holds one); a base URL carrying a password is refused.
 */
export function workerOptions(options: RunOptions, env: Readonly<Record<string, string | undefined>>): RunOptions {
  const absolute = (path: string | undefined) => (path !== undefined && existsSync(path) ? resolve(path) : path);
  for (const url of options.baseUrl ?? []) {
    if (URL.canParse(url) && new URL(url).password !== '') {
      throw new InputError(
        `--base-url ${new URL(url).host} carries a password: with --cluster the job's options are kept in Redis, so ` +
          'give credentials through the environment (--api-key-env) instead',
      );
    }
  }
  const { state: _state, cacheDir: _cacheDir, fresh: _fresh, detach: _detach, ...rest } = options;
  const model = options.model ?? env['LLMAP_MODEL'];
  return {
    ...rest,
    ...(options.input === undefined ? {} : { input: resolve(options.input) }),
    prompt: absolute(options.prompt)!,
    ...(options.schema === undefined ? {} : { schema: absolute(options.schema)! }),
    ...(options.prices === undefined ? {} : { prices: absolute(options.prices)! }),
    ...(model === undefined ? {} : { model: model.startsWith('llama:') ? llamaModel(model) : model }),
  };
}

/** A local model file by absolute path (an `hf:` model stays as named: each worker downloads its own). */
function llamaModel(model: string): string {
  const name = model.slice('llama:'.length);
  return name.startsWith('hf:') || !existsSync(name) ? model : `llama:${resolve(name)}`;
}

/** What Redis may hold of the rows in flight (shards being answered keep their ledgers there), and a row's share. */
const REDIS_ROWS_BYTES = 128 * 2 ** 20;
const LEDGER_BYTES_PER_ROW = 350;

/**
 * Shards of a table: at least four per worker (so a fast worker takes more and a lost one costs little), each of
 * 5,000 to 250,000 rows (a shard has a fixed cost: ~0.3 s of CPU to open and scan its range), and no larger than keeps the ledgers of one shard per worker within 128 MB of Redis, unless
 * `shardRows` says otherwise.
 */
export function planShards(
  rows: number,
  workers: number,
  shardRows?: number,
): { readonly offset: number; readonly count: number }[] {
  const n = Math.max(1, workers);
  const byMemory = Math.floor(REDIS_ROWS_BYTES / (n * LEDGER_BYTES_PER_ROW));
  const size = shardRows ?? Math.max(5_000, Math.min(250_000, byMemory, Math.ceil(rows / (n * 4))));
  const shards = [];
  for (let offset = 0; offset < rows; offset += size) shards.push({ offset, count: Math.min(size, rows - offset) });
  return shards;
}
