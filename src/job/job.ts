// A Job: everything a run needs, validated and compiled, with no flag strings left to interpret. Built by
// loadJob from options and the environment; consumed by the pipeline.

import type { PriceTable } from '../cost/prices.js';
import type { CompiledSchema } from '../output/answer-schema.js';
import type { Template } from '../prompt/template.js';
import type { PgLocation } from '../table/postgres/pg-location.js';
import type { TableInput } from '../table/table-input.js';
import type { OutputFormat } from '../table/write-table.js';
import type { Secret } from './secret.js';

export interface ExpectRuleText {
  readonly text: string;
  /** `--expect`, or the prompt file (its front matter). */
  readonly origin: string;
}

export type ProviderName = 'openai' | 'anthropic' | 'llama';

export interface ModelSpec {
  readonly provider: ProviderName;
  readonly modelId: string;
  /** Base URLs given with --base-url; empty for the provider's own endpoint. */
  readonly baseUrls: readonly URL[];
  readonly apiKey: Secret | undefined;
  /** An in-process GGUF model (`llama:`): how it is run. */
  readonly local?: LocalModelOptions;
}

export interface LocalModelOptions {
  /** Sequences answered at once in one context (continuous batching). */
  readonly parallel: number;
  readonly threads: number;
  /** Tokens per sequence; default: the model's training context, at most 4,096. */
  readonly contextSize: number | undefined;
  readonly gpu: 'auto' | 'off';
  /** Where `hf:` models are downloaded. */
  readonly modelsDir: string;
  /** A Hugging Face mirror, from HF_ENDPOINT. */
  readonly hfEndpoint: string | undefined;
  /** What names the model in request keys: the file's name and size (so moving it keeps the cache), or the URI. */
  readonly identity: string;
}

/** What is asked of each row: an answer to the prompt, or the embedding of one column's text. */
export type Task =
  | { readonly kind: 'generate' }
  | {
      readonly kind: 'embed';
      readonly column: string;
      /** Scale each vector to length 1 on output. */
      readonly normalize: boolean;
      /** Shorter vectors, from models that support it (OpenAI `dimensions`). */
      readonly dimensions: number | undefined;
      /** Texts per embeddings call. */
      readonly batchSize: number;
    };

export interface BatchSettings {
  readonly mode: 'online' | 'batch' | 'auto';
  /** The job must be done within this long (ms) of its first batch. */
  readonly deadlineMs: number | undefined;
  /** Submit, then exit; a later run (or `llmap status`) collects. */
  readonly detach: boolean;
  /** What happens to a request whose batch item failed or expired. */
  readonly onFailure: 'batch' | 'online' | 'fail';
  /** Overrides of the provider's limits per batch. */
  readonly maxRequests: number | undefined;
  readonly maxBytes: number | undefined;
  /** How often live batches are polled. */
  readonly pollMs: number;
}

export interface Job {
  readonly task: Task;
  readonly input: TableInput;
  /** Rows to take from the input, for trial runs. */
  readonly limit: number | undefined;
  /** The rows of the input this run answers (a shard of a distributed job): `count` rows from position `offset`. */
  readonly range?: { readonly offset: number; readonly count: number };
  /** The output file; with `postgres`, a file in the run directory whose rows then replace that table's. */
  readonly output: {
    readonly path: string;
    readonly format: OutputFormat;
    readonly postgres?: PgLocation;
    /** Each row's rendered prompt is written as `_prompt`. */
    readonly keepPrompts: boolean;
  };
  /** Data checks over the input, run before anything is paid. */
  readonly expect: {
    /** Each rule as written, and where (`--expect`, or the prompt file's front matter). */
    readonly rules: readonly ExpectRuleText[];
    /** A failed rule stops the job (exit 2), or its rows are `skipped` with the rule as `_error`. */
    readonly action: 'fail' | 'skip';
  };
  /** The run report (`<out>.report.html`, `<out>.sample.parquet`) and the drift check against a baseline. */
  readonly report: {
    readonly write: boolean;
    /** An earlier run's output or `.report.json`; undefined: the previous run of this job. */
    readonly baseline: string | undefined;
    readonly driftSigma: number;
    readonly failOnDrift: boolean;
  };
  readonly prompt: {
    readonly origin: string;
    readonly system: Template | undefined;
    readonly user: Template;
  };
  readonly schema: CompiledSchema | undefined;
  readonly model: ModelSpec;
  readonly sampling: { readonly temperature: number | undefined; readonly maxTokens: number | undefined };
  /** How a row is known across runs: a column's value, or (undefined) a hash of the row's content. */
  readonly identity: { readonly idColumn: string | undefined };
  /** Independent answers asked per row; each is an output row with its `_sample` index when more than one. */
  readonly samples: number;
  readonly state: {
    /** The run directory: ledger and metadata of this job. */
    readonly dir: string;
    /** Ignore (delete) this job's previous state. */
    readonly fresh: boolean;
    /** Ask again the rows a previous run ended `failed` or `invalid`. */
    readonly retryFailed: boolean;
  };
  readonly cache: {
    /** The directory of the response cache, shared by all jobs. */
    readonly dir: string;
    /** Answer from responses received before this run (false with --no-cache). */
    readonly read: boolean;
    /** Answer only from the cache; never open a connection. */
    readonly replay: boolean;
  };
  /** USD the job may spend in all (its earlier runs included). */
  readonly budget: number | undefined;
  readonly prices: PriceTable;
  /** Online calls, the provider's Batch API, or a choice between them by the deadline. */
  readonly batch: BatchSettings;
  readonly execution: {
    /** Requests in flight, or `auto`: sized from latency and rate limits, up to `maxConcurrency`. */
    readonly concurrency: number | 'auto';
    readonly maxConcurrency: number;
    /** Limits the user knows of, per minute (otherwise learned from the provider's headers). */
    readonly rpm: number | undefined;
    readonly tpm: number | undefined;
    readonly maxAttempts: number;
    readonly timeoutMs: number;
    readonly drainMs: number;
    /** How long the provider may be down (the circuit breaker open) before the run stops. */
    readonly maxOutageMs: number;
  };
}
