// Options + environment → Job. The one place that reads the environment (API keys, base URLs, LLMAP_MODEL), reads
// the prompt and schema files, and turns every mistake into an InputError before anything is sent.

import { existsSync, statSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { loadPrices } from '../cost/prices.js';
import { loadAnswerSchema } from '../output/answer-schema.js';
import { compileTemplate } from '../prompt/template.js';
import { loadPromptSource } from '../prompt/prompt-file.js';
import { DEFAULT_LOCAL_MODEL } from '../providers/llama/default-model.js';
import { isModelUri } from '../providers/llama/llama-model.js';
import { fileInput, isGlob, type TableInput } from '../table/table-input.js';
import { isPostgresUrl, parsePgLocation } from '../table/postgres/pg-location.js';
import { partialPathFor } from '../table/publish-output.js';
import { outputFormatOf } from '../table/write-table.js';
import { InputError } from './input-error.js';
import type { Job, ModelSpec, ProviderName } from './job.js';
import {
  EmbedOptionsSchema,
  RunOptionsSchema,
  type EmbedFlags,
  type ParsedRunOptions,
  type RunOptions,
} from './run-options.js';
import { Secret } from './secret.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Per provider: the official SDKs' variables for the key and the endpoint, and the host of the hosted API. */
const PROVIDERS: Record<ProviderName, { keyEnv?: string; baseUrlEnv?: string; hostedHost?: string }> = {
  openai: { keyEnv: 'OPENAI_API_KEY', baseUrlEnv: 'OPENAI_BASE_URL', hostedHost: 'api.openai.com' },
  anthropic: { keyEnv: 'ANTHROPIC_API_KEY', baseUrlEnv: 'ANTHROPIC_BASE_URL', hostedHost: 'api.anthropic.com' },
  llama: {},
};

/** What the caller will do with the job. */
export interface LoadJobPurpose {
  /**
   * Whether requests will be sent. `llmap estimate` without `--sample-run` sends none, so it needs no API key.
   * @default true
   */
  readonly sends?: boolean;
}

export function loadJob(rawOptions: RunOptions, env: Env, purpose: LoadJobPurpose = {}): Job {
  const options = parseOptions(rawOptions);
  const source = tableInput(options);
  const promptSource = loadPromptSource(options.prompt);
  const front = promptSource.frontMatter;
  const schema = options.schema === undefined ? undefined : loadAnswerSchema(options.schema);
  const { output, postgresState } = outputTarget(options.out, source);
  const stateDir = resolve(options.state ?? postgresState ?? defaultStateDir(output.path));
  // A Postgres source is read into the run directory each run.
  const input: TableInput =
    source.kind === 'postgres' ? { ...source, snapshot: join(stateDir, 'source.parquet') } : source;
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir(env));
  if (input.kind === 'file' && resolve(input.path) === resolve(output.path)) {
    throw new InputError(`--out ${output.path} is the input file: write the answers to another file`);
  }
  if (input.kind === 'file' && resolve(input.path) === resolve(partialPathFor(output.path))) {
    throw new InputError(
      `the input ${input.path} is where a stopped or --limit run of --out ${output.path} writes its partial ` +
        'output: copy it to another name first',
    );
  }
  const replay = options.replay ?? false;
  const sends = (purpose.sends ?? true) && !replay;
  if (replay && options.retryFailed) {
    throw new InputError('--retry-failed asks the model again, so it cannot be combined with --replay/--offline');
  }
  if (replay && options.cache === false) {
    throw new InputError('--replay/--offline answers only from the cache, so it cannot be combined with --no-cache');
  }
  const model = modelSpec(
    options.model ?? front.model ?? env['LLMAP_MODEL'] ?? `llama:${DEFAULT_LOCAL_MODEL}`,
    options,
    env,
    sends,
    cacheDir,
  );
  if (options.mode === 'batch' && model.provider === 'llama') {
    throw new InputError(
      `--mode batch sends the job to a provider's Batch API (openai:, anthropic:); ${model.provider}:${model.modelId} runs in this process`,
    );
  }
  if (options.mode === 'online' && (options.detach || options.deadline !== undefined)) {
    throw new InputError(`--${options.detach ? 'detach' : 'deadline'} needs --mode batch or --mode auto`);
  }
  return {
    task: { kind: 'generate' },
    input,
    limit: options.limit,
    output: { ...output, keepPrompts: options.keepPrompts ?? false },
    prompt: {
      origin: promptSource.origin,
      system: front.system === undefined ? undefined : compileTemplate(front.system, `${promptSource.origin} (system)`),
      user: compileTemplate(promptSource.body, promptSource.origin),
    },
    schema,
    model,
    sampling: {
      temperature: options.temperature ?? front.temperature,
      maxTokens: options.maxTokens ?? front.max_tokens,
    },
    identity: { idColumn: options.id },
    expect: {
      rules: [
        ...frontMatterRules(front.expect).map((text) => ({ text, origin: `${promptSource.origin} (front matter)` })),
        ...(options.expect ?? []).map((text) => ({ text, origin: '--expect' })),
      ],
      action: options.expectAction,
    },
    report: {
      write: reportWanted(options),
      baseline: options.baseline === undefined ? undefined : resolve(options.baseline),
      driftSigma: options.driftSigma,
      failOnDrift: options.failOnDrift ?? false,
    },
    budget: options.budget,
    prices: loadPrices(options.prices),
    samples: options.samples,
    state: {
      dir: stateDir,
      fresh: options.fresh ?? false,
      retryFailed: options.retryFailed ?? false,
    },
    cache: { dir: cacheDir, read: options.cache ?? true, replay },
    batch: {
      mode: replay || model.provider === 'llama' ? 'online' : options.mode,
      deadlineMs: options.deadline,
      detach: options.detach ?? false,
      onFailure: options.onBatchFailure,
      maxRequests: options.batchMaxRequests,
      maxBytes: options.batchMaxBytes,
      pollMs: Math.round(options.batchPoll * 1000),
    },
    execution: {
      concurrency: options.concurrency,
      maxConcurrency: options.concurrency === 'auto' ? options.maxConcurrency : options.concurrency,
      rpm: options.rpm,
      tpm: options.tpm,
      maxAttempts: options.maxAttempts,
      timeoutMs: Math.round(options.timeout * 1000),
      drainMs: Math.round(options.drainTimeout * 1000),
      maxOutageMs: options.maxOutage,
    },
  };
}

/** `llmap embed`: the options of a run, without prompt or schema, plus which column to embed. */
export type EmbedOptions = Omit<RunOptions, 'prompt' | 'schema' | 'temperature' | 'maxTokens' | 'samples'> &
  EmbedFlags & { readonly column: string };

export function loadEmbedJob(options: EmbedOptions, env: Env): Job {
  const { column, normalize, dimensions, batchSize, ...run } = options;
  if (!column) throw new InputError('missing --column: name the column whose text is embedded');
  if (/[{}]/.test(column)) throw new InputError(`--column ${column}: column names with braces are not supported`);
  const model = run.model ?? env['LLMAP_EMBED_MODEL'];
  if (model === undefined) {
    throw new InputError(
      'no embedding model: pass --model openai:<model> (e.g. text-embedding-3-small) or llama:<file.gguf> ' +
        '(or set LLMAP_EMBED_MODEL)',
    );
  }
  const job = loadJob({ ...run, model, prompt: `{{${column}}}` }, env);
  const embed = EmbedOptionsSchema.safeParse({ normalize, dimensions, batchSize });
  if (!embed.success) throw new InputError(embed.error.issues.map((issue) => issue.message).join('; '));
  if (embed.data.dimensions !== undefined && job.model.provider !== 'openai') {
    throw new InputError('--dimensions is sent to OpenAI-compatible embeddings endpoints; a local model has one size');
  }
  if (job.model.provider === 'anthropic') {
    throw new InputError('Anthropic has no embeddings endpoint: use openai:<model> or llama:<file.gguf>');
  }
  if (job.batch.mode !== 'online') {
    throw new InputError('`llmap embed` calls the embeddings endpoint online; --mode batch is for `llmap run`');
  }
  return {
    ...job,
    prompt: { ...job.prompt, origin: `--column ${column}` },
    task: {
      kind: 'embed',
      column,
      normalize: embed.data.normalize ?? false,
      dimensions: embed.data.dimensions,
      batchSize: embed.data.batchSize,
    },
  };
}

/** Whether the run writes its report; a drift check needs one, and a baseline that exists. */
function reportWanted(options: ParsedRunOptions): boolean {
  const write = options.report ?? true;
  if (!write && (options.failOnDrift || options.baseline !== undefined)) {
    throw new InputError(
      `--${options.failOnDrift ? 'fail-on-drift' : 'baseline'} checks drift in the run report: drop --no-report`,
    );
  }
  if (options.baseline !== undefined && !existsSync(options.baseline)) {
    throw new InputError(`--baseline ${options.baseline}: no such file (an earlier run's output, or its .report.json)`);
  }
  return write;
}

function frontMatterRules(expect: string | readonly string[] | undefined): readonly string[] {
  return expect === undefined ? [] : typeof expect === 'string' ? [expect] : expect;
}

function parseOptions(raw: RunOptions): ParsedRunOptions {
  const parsed = RunOptionsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new InputError(parsed.error.issues.map((issue) => issue.message).join('; '));
}

function tableInput(options: ParsedRunOptions): TableInput {
  if (options.input !== undefined && isPostgresUrl(options.input)) {
    const location = parsePgLocation(options.input, 'input', {
      ...(options.table === undefined ? {} : { table: options.table }),
      ...(options.sql === undefined ? {} : { sql: options.sql }),
    });
    if (location.table === undefined && location.sql === undefined) {
      throw new InputError(`input ${location.shown}: name the table with --table (or the query with --sql)`);
    }
    return { kind: 'postgres', location, snapshot: '' };
  }
  if (options.table !== undefined) throw new InputError('--table names a table of a postgres:// input');
  if (options.input !== undefined && options.sql !== undefined) {
    throw new InputError('give either an input file or --sql, not both');
  }
  if (options.sql !== undefined) return { kind: 'sql', sql: options.sql };
  if (options.input === undefined)
    throw new InputError('missing input: give a table file (or glob), or --sql "SELECT ..."');
  return fileInput(options.input);
}

function outputTarget(
  out: string | undefined,
  input: TableInput,
): { output: Omit<Job['output'], 'keepPrompts'>; postgresState?: string } {
  if (out !== undefined && isPostgresUrl(out)) {
    const postgres = parsePgLocation(out, '--out');
    if (postgres.table === undefined) throw new InputError(`--out ${postgres.shown}: name the table, ?table=name`);
    // The answers are written to a Parquet file in the run directory, then to the table.
    const state = join('.llmap', `postgres-${postgres.table}`);
    return {
      output: { path: join(state, `${postgres.table}.parquet`), format: 'parquet', postgres },
      postgresState: state,
    };
  }
  return { output: fileOutput(out, input) };
}

function fileOutput(out: string | undefined, input: TableInput): Omit<Job['output'], 'keepPrompts'> {
  if (out === undefined) {
    if (input.kind !== 'file' || isGlob(input.path)) {
      throw new InputError('missing --out: name the output file (.parquet, .jsonl or .csv, or a postgres:// URL)');
    }
    const stem = basename(input.path).replace(/(\.(csv|tsv|jsonl|ndjson|parquet))?(\.(gz|zst))?$/i, '');
    return { path: join(dirname(input.path), `${stem}.llmap.parquet`), format: 'parquet' };
  }
  const format = outputFormatOf(out);
  if (!format) throw new InputError(`cannot tell the format of --out ${out}: use a .parquet, .jsonl or .csv file`);
  return { path: out, format };
}

/** `.llmap/<output file name>` beside the output: one run directory per output, several jobs per folder. */
export function defaultStateDir(outputPath: string): string {
  return join(dirname(outputPath), '.llmap', basename(outputPath));
}

function defaultCacheDir(env: Env): string {
  if (env['LLMAP_CACHE_DIR']) return env['LLMAP_CACHE_DIR'];
  if (env['XDG_CACHE_HOME']) return join(env['XDG_CACHE_HOME'], 'llmap');
  return join(env['HOME'] ?? homedir(), '.cache', 'llmap');
}

function modelSpec(model: string, options: ParsedRunOptions, env: Env, sends: boolean, cacheDir: string): ModelSpec {
  const colon = model.indexOf(':');
  const prefix = colon === -1 ? '' : model.slice(0, colon);
  const modelId = model.slice(colon + 1);
  if (!Object.hasOwn(PROVIDERS, prefix)) {
    throw new InputError(
      colon === -1
        ? `model ${model} has no provider prefix: write openai:${model}, anthropic:${model} or llama:${model}`
        : `unknown provider prefix "${prefix}:" in ${model}; known providers: ${Object.keys(PROVIDERS).join(', ')}`,
    );
  }
  if (modelId === '') throw new InputError(`model ${model} names no model after the provider prefix`);
  const provider = prefix as ProviderName;
  if (provider === 'llama') return localModelSpec(modelId, options, env, cacheDir);
  const baseUrls = endpoints(provider, options, env);
  const keyEnv = options.apiKeyEnv ?? PROVIDERS[provider].keyEnv!;
  const key = env[keyEnv];
  // A local server (vLLM, Ollama, llmap sim) usually needs no key; the hosted API always does, and a variable the
  // user named explicitly must exist. A replay, or an estimate, sends nothing, so it needs no key.
  const hosted = baseUrls.length === 0 || baseUrls.some((url) => url.hostname === PROVIDERS[provider].hostedHost);
  if (!key && sends && (hosted || options.apiKeyEnv !== undefined)) {
    throw new InputError(
      `missing API key: set ${keyEnv} (the key is read from the environment and never written anywhere)`,
    );
  }
  return { provider, modelId, baseUrls, apiKey: key ? new Secret(key) : undefined };
}

/**
 * The endpoints: --base-url, else the official SDK's variable (OPENAI_BASE_URL, ANTHROPIC_BASE_URL), else none (the
 * provider's own API). Either way they are the job's endpoint, in its request keys as in where requests go.
 */
function endpoints(provider: ProviderName, options: ParsedRunOptions, env: Env): URL[] {
  if (options.baseUrl !== undefined && options.baseUrl.length > 0) {
    return options.baseUrl.map((value) => parseBaseUrl(value, '--base-url'));
  }
  const variable = PROVIDERS[provider].baseUrlEnv;
  const value = variable === undefined ? undefined : env[variable]?.trim();
  return variable !== undefined && value ? [parseBaseUrl(value, variable)] : [];
}

/** `llama:<file.gguf | hf:owner/repo:quant>`: a model in this process; no key, no endpoint. */
function localModelSpec(model: string, options: ParsedRunOptions, env: Env, cacheDir: string): ModelSpec {
  if (options.baseUrl !== undefined && options.baseUrl.length > 0) {
    throw new InputError(
      `--base-url is for servers; llama:${model} runs in this process (for a llama.cpp server, use openai:<model> --base-url)`,
    );
  }
  const uri = isModelUri(model);
  if (!uri && !existsSync(model)) {
    throw new InputError(`model file ${model} (from llama:${model}) does not exist: give the path of a .gguf file`);
  }
  return {
    provider: 'llama',
    modelId: model,
    baseUrls: [],
    apiKey: undefined,
    local: {
      parallel: options.parallel,
      threads: options.threads ?? Math.max(1, Math.floor(availableParallelism() / 2)),
      contextSize: options.contextSize,
      gpu: options.gpu,
      modelsDir: join(cacheDir, 'models'),
      hfEndpoint: env['HF_ENDPOINT'],
      identity: uri ? model : `${basename(model)}:${statSync(model).size}`,
    },
  };
}

/** A base URL from `source` (the flag or the variable it came from, named in the message). */
function parseBaseUrl(value: string, source: string): URL {
  let url: URL;
  try {
    // `localhost:8000` parses, as a URL of the scheme `localhost:`: a base URL names its scheme.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) throw new Error('no scheme');
    url = new URL(value);
  } catch {
    throw new InputError(`invalid ${source} ${value}: expected a URL such as http://localhost:8000/v1`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`invalid ${source} ${value}: only http and https are supported`);
  }
  return url;
}
