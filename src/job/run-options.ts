// The options of `llmap run`, as the CLI collects them (strings from flags) or a library user passes them.
// Validated eagerly, with messages that name the flag.

import { z } from 'zod';

/** A number from a flag (string) or a caller (number), checked with a message that names the flag. */
const numberFlag = (flag: string, what: string, ok: (n: number) => boolean) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const n = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
    if (!ok(n)) {
      ctx.addIssue({ code: 'custom', message: `Expected \`${flag}\` to be ${what}, got ${String(value)}` });
      return z.NEVER;
    }
    return n;
  });

/** `45s`, `90m`, `36h`, `2d` (or a number of seconds) → milliseconds. */
const durationFlag = (flag: string) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(String(value));
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match?.[2] ?? 's') as 'ms'];
    const ms = match ? Number(match[1]) * unit : Number.NaN;
    if (!(ms > 0)) {
      ctx.addIssue({
        code: 'custom',
        message: `Expected \`${flag}\` to be a duration like 90m, 36h or 2d, got ${String(value)}`,
      });
      return z.NEVER;
    }
    return Math.round(ms);
  });

/** `200MB`, `1.5GB`, `500000` → bytes. */
const sizeFlag = (flag: string) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?\s*$/i.exec(String(value));
    const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[(match?.[2] ?? 'B').toUpperCase() as 'B'];
    const bytes = match ? Math.floor(Number(match[1]) * unit) : Number.NaN;
    if (!(bytes > 0)) {
      ctx.addIssue({ code: 'custom', message: `Expected \`${flag}\` to be a size like 200MB, got ${String(value)}` });
      return z.NEVER;
    }
    return bytes;
  });

const positiveInt = (flag: string) => numberFlag(flag, 'a positive integer', (n) => Number.isInteger(n) && n > 0);
const positiveNumber = (flag: string) => numberFlag(flag, 'a positive number', (n) => Number.isFinite(n) && n > 0);

/** `auto`, or a fixed number of requests in flight. */
const concurrencyFlag = z.union([z.number(), z.string()]).transform((value, ctx): number | 'auto' => {
  if (value === 'auto') return 'auto';
  const n = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `Expected \`--concurrency\` to be auto or a positive integer, got ${String(value)}`,
    });
    return z.NEVER;
  }
  return n;
});

export const RunOptionsSchema = z.object({
  /** A .csv, .tsv, .jsonl/.ndjson or .parquet file, or a glob of them. */
  input: z.string().min(1).optional(),
  /** A DuckDB query to read rows from instead of `input` (with a postgres:// input: a Postgres query). */
  sql: z.string().min(1).optional(),
  /** With a postgres:// input: the table to read. */
  table: z.string().min(1).optional(),
  /** A prompt file, or the prompt text itself. */
  prompt: z.string({ error: 'Missing `--prompt`: a prompt file or inline text with {{column}} placeholders' }).min(1),
  /** A JSON Schema file or inline JSON for the answer. */
  schema: z.string().min(1).optional(),
  /** `openai:<model>` or `anthropic:<model>`. */
  model: z.string().min(1).optional(),
  /** Output file: .parquet (default), .jsonl or .csv; or a Postgres table, `postgres://.../db?table=name`. */
  out: z.string().min(1).optional(),
  /** One or more base URLs (OpenAI-compatible servers, replicas). */
  baseUrl: z.array(z.string().min(1)).optional(),
  /** Name of the environment variable holding the API key. */
  apiKeyEnv: z.string().min(1).optional(),
  /** Requests in flight: `auto` sizes it from latency and the rate limits. @default 'auto' */
  concurrency: concurrencyFlag.default('auto'),
  /** The ceiling of `auto` concurrency. @default 256 */
  maxConcurrency: positiveInt('--max-concurrency').default(256),
  /** Requests per minute allowed (learned from the provider's headers when not given). */
  rpm: positiveNumber('--rpm').optional(),
  /** Tokens per minute allowed (learned from the provider's headers when not given). */
  tpm: positiveNumber('--tpm').optional(),
  /** @default 5 */
  maxAttempts: positiveInt('--max-attempts').default(5),
  /** Per-request timeout in seconds. @default 120 */
  timeout: positiveNumber('--timeout').default(120),
  /** Seconds to let in-flight requests finish after Ctrl-C. @default 10 */
  drainTimeout: positiveNumber('--drain-timeout').default(10),
  /** How long the provider may be down before the run stops (exit 3): `90s`, `10m`, `1h`. @default 10 minutes */
  maxOutage: durationFlag('--max-outage').default(600_000),
  temperature: numberFlag('--temperature', 'a number from 0 to 2', (n) => n >= 0 && n <= 2).optional(),
  maxTokens: positiveInt('--max-tokens').optional(),
  /** The column that identifies a row across runs; without it, a row is known by a hash of its content. */
  id: z.string().min(1).optional(),
  /** The run directory (ledger, metadata). @default `.llmap/<output name>` beside the output */
  state: z.string().min(1).optional(),
  /** The response cache directory. @default `$LLMAP_CACHE_DIR`, else `$XDG_CACHE_HOME/llmap`, else `~/.cache/llmap` */
  cacheDir: z.string().min(1).optional(),
  /** Start this job over, ignoring its previous run state (the cache still answers unless `cache` is false). */
  fresh: z.boolean().optional(),
  /** `false` (--no-cache): do not answer from responses received before this run. @default true */
  cache: z.boolean().optional(),
  /** Answer only from the cache, never opening a connection (--replay, --offline). */
  replay: z.boolean().optional(),
  /** Ask again the rows a previous run ended `failed` or `invalid`. */
  retryFailed: z.boolean().optional(),
  /** Independent answers per row. @default 1 */
  samples: positiveInt('--samples').default(1),
  /** Stop before the job's spend could pass this many US dollars. */
  budget: positiveNumber('--budget').optional(),
  /** A JSON price table laid over the built-in one. */
  prices: z.string().min(1).optional(),
  /** `llama:` models: sequences answered at once. @default 4 */
  parallel: positiveInt('--parallel').default(4),
  /** `llama:` models: CPU threads. @default half the cores, at least 1 */
  threads: positiveInt('--threads').optional(),
  /** `llama:` models: tokens per sequence (prompt and answer). */
  contextSize: positiveInt('--context-size').optional(),
  /** `llama:` models: `auto` uses a GPU when there is one; `off` runs on the CPU. @default 'auto' */
  gpu: z
    .enum(['auto', 'off'], { error: (issue) => `Expected \`--gpu\` to be auto or off, got ${String(issue.input)}` })
    .default('auto'),
  /** Only the first N rows (for a trial run). */
  limit: positiveInt('--limit').optional(),
  /** `online`, `batch` (the provider's Batch API, half price, within 24 h) or `auto` (by --deadline). @default 'online' */
  mode: z
    .enum(['online', 'batch', 'auto'], {
      error: (issue) => `Expected \`--mode\` to be online, batch or auto, got ${String(issue.input)}`,
    })
    .default('online'),
  /** How long the job may take, counted from its first batch: `90m`, `36h`, `2d`. */
  deadline: durationFlag('--deadline').optional(),
  /** Batch mode: submit the batches and exit; run the same command again (or `llmap status`) to collect. */
  detach: z.boolean().optional(),
  /** Batch mode: requests whose batch item failed or expired go to a follow-up batch while time remains, then online
   * (`batch`), online at once (`online`), or are recorded as failed (`fail`). @default 'batch' */
  onBatchFailure: z
    .enum(['batch', 'online', 'fail'], {
      error: (issue) => `Expected \`--on-batch-failure\` to be batch, online or fail, got ${String(issue.input)}`,
    })
    .default('batch'),
  /** Requests per batch (default: the provider's limit, OpenAI 50,000, Anthropic 100,000). */
  batchMaxRequests: positiveInt('--batch-max-requests').optional(),
  /** Bytes per batch: a number, or with KB/MB/GB (default: OpenAI 200 MB, Anthropic 256 MB). */
  batchMaxBytes: sizeFlag('--batch-max-bytes').optional(),
  /** Seconds between polls of live batches. @default 30 */
  batchPoll: positiveNumber('--batch-poll').default(30),
  /** Data checks over the input, run by DuckDB before any paid call: `not_null(col)`, `unique(col)`,
   * `length(col) between A and B`, `values(col) in ('a', 'b')`, `rows >= N`, `match(col, 'regex')`, or a SQL
   * boolean expression over the row. Added to the prompt front matter's `expect:`. */
  expect: z.array(z.string().min(1)).optional(),
  /** A failed rule stops the job before anything is sent (`fail`, exit 2), or its rows are left unasked with
   * `_status = skipped` and the rule as `_error` (`skip`). @default 'fail' */
  expectAction: z
    .enum(['fail', 'skip'], {
      error: (issue) => `Expected \`--expect-action\` to be fail or skip, got ${String(issue.input)}`,
    })
    .default('fail'),
  /** Add the rendered prompt to each output row as `_prompt`. */
  keepPrompts: z.boolean().optional(),
  /** Write `<out>.report.html` and `<out>.sample.parquet` when the run ends (`--no-report`: not). @default true */
  report: z.boolean().optional(),
  /** The run to compare the output's distributions with (an output file of an earlier run, or its
   * `.report.json`); default: the previous run of the same job. */
  baseline: z.string().min(1).optional(),
  /** Standard errors a share or mean may move from the baseline before it is flagged as drift. @default 2 */
  driftSigma: positiveNumber('--drift-sigma').default(2),
  /** Drift flagged: exit 8 (after the output and the report are written). */
  failOnDrift: z.boolean().optional(),
});

export type RunOptions = z.input<typeof RunOptionsSchema>;
export type ParsedRunOptions = z.output<typeof RunOptionsSchema>;

/** What `llmap embed` adds to a run's options. */
export const EmbedOptionsSchema = z.object({
  /** Scale every vector to length 1 on output. */
  normalize: z.boolean().optional(),
  /** Shorter vectors from models that support it (OpenAI `dimensions`). */
  dimensions: positiveInt('--dimensions').optional(),
  /** Texts per embeddings request. @default 256 */
  batchSize: positiveInt('--batch-size').default(256),
});

export type EmbedFlags = z.input<typeof EmbedOptionsSchema>;
