// `llmap run`: flags → Job → runJob, with progress on stderr and a summary at the end. No business logic here.

import { Command, Option } from 'commander';
import { InputError } from '../job/input-error.js';
import { redactArgs } from '../job/secret.js';
import { loadJob, type Env } from '../job/load-job.js';
import type { RunOptions } from '../job/run-options.js';
import { startProgress } from '../observe/progress.js';
import { runJob, type RunSummary } from '../run-job.js';
import { runClusterCommand, withClusterOptions, type ClusterFlags } from './cluster-command.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';
import { renderRunSummary } from './render-report-summary.js';
import { runDryRun } from './dry-run-command.js';
import type { ObservedRun } from '../observe/observed-run.js';
import { startMetrics } from '../observe/metrics/metrics-endpoint.js';
import { metricsOptions, type MetricsFlags } from './metrics-flags.js';

export interface CliIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: Env;
}

const EXAMPLES = `
Examples (from the repository root; with OPENAI_BASE_URL=http://127.0.0.1:8787/v1 and
ANTHROPIC_BASE_URL=http://127.0.0.1:8787 they run against \`llmap sim --port 8787\`):
  # Triage the example tickets into typed columns (key from OPENAI_API_KEY)
  llmap run examples/tickets.csv -p examples/triage.md -s examples/triage.schema.json \\
    -m openai:gpt-4o-mini -o out/tickets.parquet

  # The same for free, against the local simulator (no key, no cost)
  llmap sim --port 8787 &
  OPENAI_BASE_URL=http://127.0.0.1:8787/v1 llmap run examples/tickets.csv -p examples/triage.md \\
    -s examples/triage.schema.json -m openai:gpt-4o-mini -o out/tickets.parquet

  # The first two requests exactly as they would be sent, and the whole job's cost; nothing is sent
  llmap run examples/tickets.csv -p examples/triage.md -s examples/triage.schema.json \\
    -m openai:gpt-4o-mini -o out/tickets.parquet --dry-run 2

  # Check the input before paying, watch the run in Prometheus, stop a pipeline on drift (exit 8);
  # the report of the run is out/tickets.report.html
  llmap run examples/tickets.csv -p examples/triage.md -s examples/triage.schema.json \\
    -m openai:gpt-4o-mini -o out/tickets.parquet --expect 'not_null(body)' --expect 'unique(ticket_id)' \\
    --metrics-port 9464 --fail-on-drift

  # Rows from a DuckDB query, a one-sentence answer each, through Anthropic (key from ANTHROPIC_API_KEY)
  llmap run --sql "SELECT ticket_id, body FROM 'examples/tickets.csv' WHERE channel = 'email'" \\
    -p "Summarise in one sentence: {{body}}" -m anthropic:claude-haiku-4-5 -o out/summaries.jsonl

  # Spread requests over replicas of an OpenAI-compatible server (vLLM, llama.cpp; here two simulators)
  llmap sim --port 8788 &
  llmap run examples/tickets.csv -p examples/triage.md -m openai:meta-llama/Llama-3.1-8B-Instruct \\
    --base-url http://127.0.0.1:8787/v1 --base-url http://127.0.0.1:8788/v1 -o out/tickets.csv

${exitCodesHelp([0, 1, 2, 3, 4, 5, 7, 8, 70, 130])}`;

export function runCommand(io: CliIo, setExitCode: (code: number) => void, argv: readonly string[]): Command {
  // Kept in the run state so `llmap status` can print the command that resumes the job (never the key: keys are
  // only ever read from the environment).
  const command = redactArgs(argv.filter((arg) => arg !== '--fresh'));
  return withClusterOptions(
    withJobOptions(
      new Command('run')
        .description('map a prompt over every row of a table and write the answers as typed columns')
        .argument(
          '[input]',
          'a .csv, .tsv, .jsonl/.ndjson or .parquet file, a glob of them, or postgres://user@host/db',
        ),
    ),
  )
    .addOption(new Option('--json', 'print the summary as JSON on stdout (the text goes to stderr)'))
    .option(
      '--expect <rule>',
      "a data check over the input before anything is paid, e.g. 'not_null(body)', 'unique(id)', " +
        "'length(body) between 1 and 20000', \"values(lang) in ('en','de')\", 'rows >= 1000', " +
        '"match(email, \'^[^@]+@\')", or a SQL condition; repeatable',
      collect,
      [],
    )
    .option('--expect-action <fail|skip>', 'a failed check stops the job (exit 2), or skips its rows', 'fail')
    .option('--dry-run [n]', 'show the first n requests exactly as they would be sent, and the cost; send nothing')
    .option('--keep-prompts', "write each row's rendered prompt to the output as _prompt")
    .option('--no-report', 'do not write <out>.report.html and <out>.sample.parquet')
    .option('--baseline <file>', 'compare the answers with this run (its output or .report.json), not the previous one')
    .option('--drift-sigma <n>', 'flag a share or mean that moved more than n standard errors from the baseline', '2')
    .option('--fail-on-drift', 'exit 8 when drift is flagged (after writing the output and the report)')
    .option('--metrics-port <port>', 'serve Prometheus metrics on http://<metrics-host>:<port>/metrics during the run')
    .option('--metrics-host <host>', 'the address the metrics are served on', '127.0.0.1')
    .option('--metrics-push <url>', 'push the metrics to a Prometheus Pushgateway during and at the end of the run')
    .addHelpText('after', EXAMPLES)
    .action(async (input: string | undefined, flags: Record<string, unknown>) => {
      const options = jobOptions(input, flags) as RunOptions &
        ClusterFlags &
        MetricsFlags & { json?: boolean; dryRun?: string | boolean };
      if (options.cluster !== undefined) {
        if (options.metricsPort !== undefined || options.metricsPush !== undefined) {
          throw new InputError(
            '--metrics-port/--metrics-push with --cluster: the workers serve the metrics (llmap worker --metrics-port N)',
          );
        }
        return setExitCode(await runClusterCommand(options, io, command));
      }
      for (const flag of ['workers', 'shardRows'] as const) {
        if (options[flag] !== undefined) {
          throw new InputError(`--${flag === 'workers' ? 'workers' : 'shard-rows'} needs --cluster <redis-url>`);
        }
      }
      const { outputLayout: _layout, dryRun, ...jobFlags } = options;
      const { metrics, rest: runOptions } = metricsOptions(jobFlags);
      const job = loadJob(runOptions, io.env, { sends: dryRun === undefined });
      if (dryRun !== undefined) {
        return setExitCode(await runDryRun(job, dryRunRows(dryRun), io, { json: options.json === true }));
      }
      const endpoint = metrics ? await startMetrics(metrics) : undefined;
      if (endpoint?.url) io.stderr.write(`llmap: metrics at ${endpoint.url}\n`);
      let summary: RunSummary;
      try {
        summary = await runWithSignals(job, io, command, {
          ...(endpoint ? { onObserve: (run) => endpoint.observe(run) } : {}),
        });
      } finally {
        await endpoint?.close();
      }
      // The summary is the command's report, on stdout; with --json the JSON takes its place there, and the text joins
      // the progress on stderr for whoever watches the run.
      const text = renderRunSummary(summary);
      if (options.json) {
        io.stdout.write(JSON.stringify(summary) + '\n');
        io.stderr.write(text + '\n');
      } else {
        io.stdout.write(text + '\n');
      }
      setExitCode(exitCodeFor(summary, job.report.failOnDrift));
    });
}

export async function runWithSignals(
  job: ReturnType<typeof loadJob>,
  io: CliIo,
  command: readonly string[],
  show: {
    readonly notes?: boolean;
    readonly warned?: Set<string>;
    /** A watcher of the run (the metrics endpoint). */
    readonly onObserve?: (run: ObservedRun) => void;
  } = {},
): Promise<RunSummary> {
  const stop = new AbortController();
  let progress: ReturnType<typeof startProgress> | undefined;
  let waitShown = { shape: '', at: 0 };
  const onSigint = () => {
    if (stop.signal.aborted) {
      io.stderr.write('\nllmap: quitting now; the output was not written\n');
      process.exit(EXIT.interrupted);
    }
    stop.abort();
    const message = `llmap: stopping: no new requests; in-flight ones may finish for ${job.execution.drainMs / 1000}s (Ctrl-C again to quit now)`;
    if (progress) progress.note(message);
    else io.stderr.write(message + '\n');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    return await runJob(job, {
      stopSignal: stop.signal,
      command,
      onDownload: downloadProgress(io.stderr),
      ...(show.onObserve ? { onObserve: show.onObserve } : {}),
      onStart(stats, warnings, notes) {
        for (const warning of warnings) {
          // A caller running several jobs (llmap sql) passes what it has shown: each warning once.
          if (show.warned?.has(warning)) continue;
          show.warned?.add(warning);
          io.stderr.write(`llmap: warning: ${warning}\n`);
        }
        if (show.notes !== false) for (const note of notes) io.stderr.write(`llmap: ${note}\n`);
        progress = startProgress(stats, io.stderr, Date.now);
      },
      onOutage(event) {
        const message =
          event.kind === 'down'
            ? `llmap: provider unreachable at ${event.endpoint} (${event.error}): pausing, probing with one request at a time`
            : `llmap: provider back after ${(event.pausedMs / 1000).toFixed(1)} s of outage: resuming`;
        if (progress) progress.note(message);
        else io.stderr.write(message + '\n');
      },
      onBatchWait(live, rows) {
        // A line when the batches change, and otherwise once a minute.
        const states = live.map((b) => b.providerStatus ?? b.state).join(', ');
        const shape = `${live.length} ${live.map((b) => b.providerStatus?.split(' ')[0] ?? b.state).join()}`;
        if (shape === waitShown.shape && Date.now() - waitShown.at < 60_000) return;
        waitShown = { shape, at: Date.now() };
        const message = `llmap: waiting for ${live.length} batch(es) holding ${rows.toLocaleString('en-US')} row(s): ${states}`;
        if (progress) progress.note(message);
        else io.stderr.write(message + '\n');
      },
    });
  } finally {
    progress?.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/** A local model's first download: one line, rewritten at most twice a second. */
function downloadProgress(stderr: NodeJS.WriteStream): (downloaded: number, total: number) => void {
  let shownAt = 0;
  return (downloaded, total) => {
    const now = Date.now();
    const done = total > 0 && downloaded >= total;
    if (!done && now - shownAt < 500) return;
    shownAt = now;
    const percent = total > 0 ? Math.floor((downloaded / total) * 100) : 0;
    const line = `llmap: downloading the model: ${percent}% (${(downloaded / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB)`;
    stderr.write(stderr.isTTY ? `\r${line}${done ? '\n' : ''}` : `${line}\n`);
  };
}

export function exitCodeFor(summary: RunSummary, failOnDrift = false): number {
  if (summary.outputError !== undefined) return EXIT.outputNotWritten;
  if (summary.batch?.detached) return EXIT.batchesPending;
  if (summary.stopped?.kind === 'interrupted') return EXIT.interrupted;
  if (summary.stopped?.kind === 'provider' || summary.stopped?.kind === 'outage') return EXIT.providerStopped;
  if (summary.stopped?.kind === 'budget') return EXIT.budgetReached;
  // A drift check that could not be made (the report failed) does not pass as one that found nothing.
  if (failOnDrift && summary.report && ('error' in summary.report || summary.report.drift?.flagged.length)) {
    return EXIT.driftDetected;
  }
  return summary.rows.failed + summary.rows.invalid > 0 ? EXIT.rowsNotOk : EXIT.ok;
}

/** `--dry-run` alone shows this many requests. */
const DRY_RUN_ROWS = 3;

function dryRunRows(value: string | boolean): number {
  if (value === true) return DRY_RUN_ROWS;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new InputError(`Expected \`--dry-run\` to be a positive integer (rows to show), got ${String(value)}`);
  }
  return n;
}

/** Commander's collector for a repeatable flag. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The options `run` and `estimate` share: everything that defines a job. */
export function withJobOptions(command: Command): Command {
  return withModelOptions(
    withTableJobOptions(
      command
        .requiredOption('-p, --prompt <file|text>', 'prompt file or inline text with {{column}} placeholders')
        .option('-s, --schema <file|json>', 'JSON Schema for the answer; its properties become typed columns'),
    ),
  )
    .option('--temperature <t>', 'sampling temperature (overrides the prompt front matter)')
    .option('--max-tokens <n>', 'answer token limit (overrides the prompt front matter)')
    .option('--samples <n>', 'independent answers per row, written as n rows with a _sample column', '1')
    .option(
      '--detach',
      'batch mode: submit the batches and exit (5); with --cluster: queue the job and exit (5); the same command again collects',
    );
}

/** The model, its price and budget, and how it is called (online or through its Batch API): `run` and `sql`. */
export function withModelOptions(command: Command): Command {
  return command
    .option(
      '-m, --model <provider:model>',
      'openai:<model>, anthropic:<model> or llama:<file.gguf|hf:owner/repo:quant> (or LLMAP_MODEL)',
    )
    .option('--budget <usd>', 'stop before the spend (this job, all runs) could pass this many US dollars')
    .option('--prices <file>', 'a JSON price table laid over the built-in one')
    .option('--parallel <n>', 'llama: models: sequences answered at once (continuous batching)', '4')
    .option(
      '--mode <online|batch|auto>',
      "online calls, the provider's Batch API (half price, within 24 h), or auto by --deadline",
      'online',
    )
    .option('--deadline <duration>', 'the job must be done within this long of its first batch: 90m, 36h, 2d')
    .option(
      '--on-batch-failure <batch|online|fail>',
      'failed or expired batch items: a follow-up batch while time remains then online, online at once, or failed',
      'batch',
    )
    .option('--batch-max-requests <n>', "requests per batch (default: the provider's limit, 50,000 or 100,000)")
    .option('--batch-max-bytes <size>', "bytes per batch, e.g. 200MB (default: the provider's limit)")
    .option('--batch-poll <seconds>', 'how often live batches are polled', '30');
}

/** What every row-mapping command shares (`run`, `estimate`, `embed`): the table, the output, state and limits. */
export function withTableJobOptions(command: Command): Command {
  return withEngineOptions(
    command
      .option('-o, --out <file>', 'output file: .parquet (default), .jsonl or .csv; or postgres://.../db?table=name')
      .option(
        '--sql <query>',
        'read rows from a DuckDB query instead of a file (a Postgres query with a postgres:// input)',
      )
      .option('--table <name>', 'with a postgres://user@host/db input: the table to read')
      .option('--limit <n>', 'only the first N rows (a trial run)')
      .option('--id <column>', 'the column that identifies a row across runs (default: a hash of the row)'),
  ).option('--state <dir>', 'run state directory (default: .llmap/<output name> beside the output)');
}

/** How requests are sent, limited, retried, cached and resumed: every command that calls a model. */
export function withEngineOptions(command: Command): Command {
  return command
    .option(
      '--base-url <url>',
      'OpenAI-compatible server or Anthropic endpoint; repeat for replicas (default: $OPENAI_BASE_URL or ' +
        "$ANTHROPIC_BASE_URL, else the provider's API)",
      collect,
      [],
    )
    .option(
      '--api-key-env <name>',
      'environment variable holding the API key (default: OPENAI_API_KEY or ANTHROPIC_API_KEY)',
    )
    .option('--concurrency <n|auto>', 'requests in flight; auto sizes it from latency and rate limits', 'auto')
    .option('--max-concurrency <n>', 'the ceiling of auto concurrency', '256')
    .option('--rpm <n>', 'requests per minute allowed (default: learned from the provider)')
    .option('--tpm <n>', 'tokens per minute allowed (default: learned from the provider)')
    .option('--max-attempts <n>', 'attempts per request, retries included', '5')
    .option('--timeout <seconds>', 'per-request timeout', '120')
    .option('--drain-timeout <seconds>', 'after Ctrl-C, how long in-flight requests may finish', '10')
    .option('--max-outage <duration>', 'how long the provider may be down before the run stops (exit 3): 90s, 10m')
    .option('--cache-dir <dir>', 'response cache directory (default: $LLMAP_CACHE_DIR or ~/.cache/llmap)')
    .option('--fresh', 'start this job over, ignoring its run state (the cache still answers)')
    .option('--no-cache', 'do not answer from responses received before this run')
    .option('--replay', 'answer only from the cache; never open a connection')
    .option('--offline', 'same as --replay')
    .option('--retry-failed', 'ask again the rows a previous run ended failed or invalid')
    .option('--threads <n>', 'llama: models: CPU threads (default: half the cores)')
    .option('--context-size <n>', 'llama: models: tokens per sequence (default: the model’s, at most 4096)')
    .option('--gpu <auto|off>', 'llama: models: use a GPU when there is one, or the CPU only', 'auto');
}

/** Flags as commander gives them → the library's RunOptions. */
export function jobOptions(input: string | undefined, flags: Record<string, unknown>): RunOptions {
  const { offline, ...rest } = flags;
  const options = {
    ...rest,
    ...(offline === true ? { replay: true } : {}),
    ...(input === undefined ? {} : { input }),
  } as RunOptions;
  if (Array.isArray(options.baseUrl) && options.baseUrl.length === 0) delete options.baseUrl;
  return options;
}
