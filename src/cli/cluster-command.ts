// The distributed commands: `llmap worker URL`, `llmap run ... --cluster URL` (the coordinator) and
// `llmap status --cluster URL`. Flags in, the library's coordinator and worker out, text on stderr and stdout.

import { spawn, type ChildProcess } from 'node:child_process';
import { Command, Option } from 'commander';
import { runCluster, type ClusterOutcome } from '../distributed/coordinator.js';
import type { ClusterJobView, ClusterStatus } from '../distributed/cluster-status.js';
import type { OutputLayout } from '../distributed/cluster-job.js';
import { isPostgresUrl } from '../table/postgres/pg-location.js';
import { startWorker, redactUrl, workerName } from '../distributed/worker.js';
import { InputError } from '../job/input-error.js';
import type { RunOptions } from '../job/run-options.js';
import { formatCount } from '../observe/progress.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';
import { shellQuote } from './shell-quote.js';
import { startMetrics, type MetricsEndpoint } from '../observe/metrics/metrics-endpoint.js';
import { metricsOptions, type MetricsFlags } from './metrics-flags.js';
import type { CliIo } from './run-command.js';

/** The flags `run` takes for a distributed job, kept out of the job's own options. */
export interface ClusterFlags {
  readonly cluster?: string;
  readonly workers?: string;
  readonly shardRows?: string;
  readonly outputLayout?: string;
  readonly detach?: boolean;
}

export function withClusterOptions(command: Command): Command {
  return command
    .option('--cluster <redis-url>', 'spread the job over `llmap worker`s on this Redis (redis://host:6379[/db])')
    .option('--workers <n>', 'with --cluster: also start n workers on this machine for the job')
    .option('--shard-rows <n>', 'with --cluster: rows per shard (default: sized from the table and the workers)')
    .addOption(
      new Option(
        '--output-layout <file|dataset>',
        'with --cluster: one file in input order, or a directory of Parquet parts with a manifest',
      )
        .choices(['file', 'dataset'])
        .default('file'),
    );
}

/** `llmap run ... --cluster URL`: the coordinator. Returns the exit code. */
export async function runClusterCommand(
  options: RunOptions & ClusterFlags & { json?: boolean },
  io: CliIo,
  command: readonly string[],
): Promise<number> {
  const { cluster, workers, shardRows, outputLayout, json, ...jobOptions } = options;
  const url = cluster!;
  if ([jobOptions.input, jobOptions.out].some((value) => value !== undefined && isPostgresUrl(value))) {
    throw new InputError('--cluster reads and writes files; a postgres:// input or output runs on one machine');
  }
  const local = positive(workers, '--workers');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = progressLine(io.stderr);
  let children: ChildProcess[] = [];
  try {
    const outcome = await runCluster({
      url,
      options: jobOptions,
      env: io.env,
      command,
      layout: (outputLayout ?? 'file') as OutputLayout,
      detach: options.detach === true,
      shardRows: positive(shardRows, '--shard-rows'),
      workers: local,
      log: (line) => io.stderr.write(`llmap: ${line}\n`),
      onProgress: (view) => {
        if (children.length === 0 && local !== undefined && options.detach !== true) {
          children = startLocalWorkers(local, url, io);
        }
        progress(view);
      },
      stopSignal: stop.signal,
    });
    progress(undefined);
    // As on one machine: with --json the JSON is stdout, and the text joins the progress on stderr.
    if (json) io.stdout.write(JSON.stringify(outcome) + '\n');
    (json ? io.stderr : io.stdout).write(renderOutcome(outcome, url) + '\n');
    return exitCodeOf(outcome);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopLocalWorkers(children);
  }
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InputError(`Expected \`${flag}\` to be a positive integer, got ${value}`);
  return n;
}

function exitCodeOf(outcome: ClusterOutcome): number {
  if (outcome.kind === 'detached') return EXIT.batchesPending;
  if (outcome.kind === 'interrupted') return EXIT.interrupted;
  const { result } = outcome;
  const notOk = result.failures.length > 0 || result.results.some((r) => r.rows.failed + r.rows.invalid > 0);
  return notOk ? EXIT.rowsNotOk : EXIT.ok;
}

export function renderOutcome(outcome: ClusterOutcome, url: string): string {
  if (outcome.kind === 'detached') {
    return (
      `llmap: job ${outcome.spec.id} ${outcome.attached ? 'is' : 'queued'} on ${redactUrl(url)} ` +
      `(${formatCount(outcome.spec.rowsTotal)} rows, ${outcome.spec.shards} shards): workers answer it and publish ` +
      `${outcome.spec.output}; \`llmap status --cluster ${redactUrl(url)}\` shows it, the same command waits for it`
    );
  }
  if (outcome.kind === 'interrupted') {
    return (
      `llmap: stopped watching job ${outcome.spec.id}; its workers go on. The same command re-attaches to it ` +
      `(\`llmap status --cluster ${redactUrl(url)}\` shows it)`
    );
  }
  const { result } = outcome;
  const sum = (pick: (r: (typeof result.results)[number]) => number) => result.results.reduce((n, r) => n + pick(r), 0);
  const failedRows = result.failures.reduce((n, f) => n + f.count, 0) * result.spec.samples;
  const workers = new Set(result.results.map((r) => r.worker));
  const usd = result.results.every((r) => r.runUsd !== undefined) ? sum((r) => r.runUsd ?? 0) : undefined;
  const lines = [
    `llmap: wrote ${result.published.output}${result.published.layout === 'dataset' ? ' (a Parquet dataset; see _manifest.json)' : ''}: ` +
      `${formatCount(result.published.rows)} rows — ${formatCount(sum((r) => r.rows.ok))} ok, ` +
      `${formatCount(sum((r) => r.rows.failed) + failedRows)} failed, ${formatCount(sum((r) => r.rows.invalid))} invalid; ` +
      `${formatCount(sum((r) => r.rows.cached))} answered without a paid call, ${formatCount(sum((r) => r.rows.resumed))} from the run state`,
    `  job ${result.spec.id}: ${result.spec.shards} shard(s) on ${workers.size} worker(s)${outcome.attached ? ' (re-attached)' : ''}`,
    `  tokens: ${formatCount(sum((r) => r.tokens.input))} in, ${formatCount(sum((r) => r.tokens.output))} out` +
      (usd === undefined ? '' : ` · $${usd.toFixed(4)}`),
  ];
  if (result.published.quarantine) {
    lines.push(`  quarantine: ${result.published.quarantine} (${formatCount(result.published.quarantined)} answers)`);
  }
  for (const failure of result.failures) {
    lines.push(
      `  shard ${failure.index} (rows ${formatCount(failure.offset + 1)}–${formatCount(failure.offset + failure.count)}) ` +
        `failed on every attempt: ${failure.reason}; its rows are failed rows in the output`,
    );
  }
  return lines.join('\n');
}

/** One line of progress: rewritten on a terminal, every 10 s otherwise. */
function progressLine(stderr: NodeJS.WriteStream): (view: ClusterJobView | undefined) => void {
  let shownAt = 0;
  let shown = false;
  return (view) => {
    if (!view) {
      if (shown && stderr.isTTY) stderr.write('\n');
      return;
    }
    const now = Date.now();
    if (!stderr.isTTY && now - shownAt < 10_000) return;
    shownAt = now;
    shown = true;
    const total = view.spec.rowsTotal * view.spec.samples;
    const count = (state: string) => view.shards.filter((s) => s.state === state).length;
    const workers = new Set(view.shards.filter((s) => s.state === 'running').map((s) => s.worker));
    const line =
      `llmap: ${formatCount(view.rows.done)}/${formatCount(total)} rows (${Math.floor((100 * view.rows.done) / total)}%) · ` +
      `shards ${count('done')} done, ${count('running')} running on ${workers.size} worker(s), ${count('queued')} queued` +
      (count('failed') > 0 ? `, ${count('failed')} failed` : '') +
      ` · ${formatCount(view.rows.failed)} failed rows` +
      (view.usd === undefined ? '' : ` · $${view.usd.toFixed(4)}`);
    stderr.write(stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
}

/** `--workers N`: workers of this machine, started as child processes of the same llmap, stopped with the run. */
function startLocalWorkers(n: number, url: string, io: CliIo): ChildProcess[] {
  const script = process.argv[1]!;
  return Array.from({ length: n }, (_, i) => {
    const child = spawn(process.execPath, [script, 'worker', url], {
      env: io.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) io.stderr.write(`[worker ${i + 1}] ${line}\n`);
    });
    return child;
  });
}

async function stopLocalWorkers(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

const WORKER_EXAMPLES = `
Examples (one machine; on several, each runs workers against a Redis all of them reach, and the input, prompt,
schema and output are on storage all of them share):
  # A Redis as BullMQ needs it (AOF on, no eviction), the simulator, and a worker; keys come from the worker's
  # environment, never from Redis
  redis-server --port 6390 --appendonly yes --maxmemory-policy noeviction --daemonize yes
  llmap sim --port 8787 &
  OPENAI_BASE_URL=http://127.0.0.1:8787/v1 llmap worker redis://127.0.0.1:6390 &

  # Queue the job and watch it over every worker; the same command re-attaches if it is stopped
  OPENAI_BASE_URL=http://127.0.0.1:8787/v1 llmap run examples/tickets.csv -p examples/triage.md \\
    -s examples/triage.schema.json -m openai:gpt-4o-mini -o out/cluster-tickets.parquet \\
    --cluster redis://127.0.0.1:6390

  # Its shards (queued, running on which worker, done, failed), rows, spend, and the workers connected
  llmap status --cluster redis://127.0.0.1:6390

Ctrl-C or SIGTERM: the worker takes no new shard, the shards it holds checkpoint their answers to Redis and go
back to the queue, and it exits. A worker killed outright loses only its requests in flight: its shard is leased
again to another worker after --lock-timeout, which reuses every answer the dead one recorded.

${exitCodesHelp([[0, 'stopped on a signal, every shard held handed back'], [2, 'usage error, or Redis cannot be reached'], 70])}`;

export function workerCommand(io: CliIo): Command {
  return new Command('worker')
    .description('answer shards of distributed jobs (`llmap run --cluster`) from a Redis, until stopped')
    .argument('<redis-url>', 'redis://host:6379[/db]')
    .option('--cache-dir <dir>', "this machine's response cache (default: $LLMAP_CACHE_DIR or ~/.cache/llmap)")
    .option('--shards <n>', 'shards answered at once by this worker', '1')
    .option(
      '--lock-timeout <seconds>',
      "how long a shard's lease lasts without renewal (a dead worker's shard moves after it)",
      '15',
    )
    .option(
      '--metrics-port <port>',
      "serve Prometheus metrics of the worker's shards on http://<metrics-host>:<port>/metrics",
    )
    .option('--metrics-host <host>', 'the address the metrics are served on', '127.0.0.1')
    .option('--metrics-push <url>', 'push the metrics to a Prometheus Pushgateway (grouped by instance: host/pid)')
    .addHelpText('after', WORKER_EXAMPLES)
    .action(async (url: string, flags: { cacheDir?: string; shards: string; lockTimeout: string } & MetricsFlags) => {
      const shards = positive(flags.shards, '--shards')!;
      const lockSeconds = Number(flags.lockTimeout);
      if (!(lockSeconds >= 1))
        throw new InputError(`Expected \`--lock-timeout\` to be at least 1 second, got ${flags.lockTimeout}`);
      const log = (line: string) => io.stderr.write(`llmap worker: ${line}\n`);
      const metrics = await workerMetrics(flags, log);
      const worker = await startWorker({
        url,
        env: io.env,
        cacheDir: flags.cacheDir,
        shards,
        lockMs: lockSeconds * 1000,
        log,
        ...(metrics ? { metrics } : {}),
      }).catch(async (error: unknown) => {
        await metrics?.close();
        throw error;
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = () => {
          if (stopping) process.exit(EXIT.interrupted);
          stopping = true;
          log('stopping: no new shards; the shards held go back to the queue (signal again to quit now)');
          void worker
            .stop()
            .then(() => metrics?.close())
            .then(resolve);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      log('stopped');
    });
}

/** `llmap worker --metrics-port/--metrics-push`: one endpoint for every shard the worker answers. */
async function workerMetrics(flags: MetricsFlags, log: (line: string) => void): Promise<MetricsEndpoint | undefined> {
  const { metrics } = metricsOptions(flags);
  if (!metrics) return undefined;
  const endpoint = await startMetrics(
    { ...metrics, pushGroup: { instance: workerName() } },
    { warn: (message) => log(message) },
  );
  if (endpoint.url) log(`metrics at ${endpoint.url}`);
  return endpoint;
}

export function renderClusterStatus(status: ClusterStatus, url: string): string {
  const lines = [
    `cluster ${redactUrl(url)}: ${status.workers.length} worker(s) connected${status.workers.length ? `: ${status.workers.join(', ')}` : ''}`,
  ];
  if (status.jobs.length === 0) lines.push('  no jobs');
  for (const view of status.jobs) {
    const total = view.spec.rowsTotal * view.spec.samples;
    const count = (state: string) => view.shards.filter((s) => s.state === state).length;
    lines.push(
      '',
      `job ${view.spec.id} → ${view.spec.output}: ${view.state}`,
      `  ${view.spec.model} · ${formatCount(view.rows.done)}/${formatCount(total)} rows · ${formatCount(view.rows.ok)} ok, ` +
        `${formatCount(view.rows.failed)} failed, ${formatCount(view.rows.invalid)} invalid` +
        (view.usd === undefined ? '' : ` · $${view.usd.toFixed(4)}`),
      `  shards: ${count('done')} done, ${count('running')} running, ${count('queued')} queued, ${count('retrying')} retrying, ${count('failed')} failed`,
    );
    for (const shard of view.shards) {
      if (shard.state === 'done' || shard.state === 'queued') continue;
      lines.push(
        `    shard ${shard.index}: ${shard.state}${shard.worker ? ` on ${shard.worker}` : ''}, ${formatCount(shard.done)}/${formatCount(shard.total)} rows` +
          (shard.attempts > 0 ? `, ${shard.attempts} attempt(s) failed` : '') +
          (shard.error ? `: ${shard.error}` : ''),
      );
    }
    lines.push(`  wait for it:  cd ${view.spec.cwd} && llmap ${view.spec.command.map(shellQuote).join(' ')}`);
  }
  return lines.join('\n');
}
