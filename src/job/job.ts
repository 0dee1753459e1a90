// A Job: everything a run needs, validated and compiled, with no flag strings left to interpret. Built by
// loadJob from options and the environment; consumed by the pipeline.

import type { PriceTable } from '../cost/prices.js';
import type { CompiledSchema } from '../output/answer-schema.js';
import type { Template } from '../prompt/template.js';
import type { TableInput } from '../table/table-input.js';
import type { OutputFormat } from '../table/write-table.js';
import type { Secret } from './secret.js';

export type ProviderName = 'openai' | 'anthropic';

export interface ModelSpec {
  readonly provider: ProviderName;
  readonly modelId: string;
  /** Base URLs given with --base-url; empty for the provider's own endpoint. */
  readonly baseUrls: readonly URL[];
  readonly apiKey: Secret | undefined;
}

export interface Job {
  readonly input: TableInput;
  /** Rows to take from the input, for trial runs. */
  readonly limit: number | undefined;
  readonly output: { readonly path: string; readonly format: OutputFormat };
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
  };
}
