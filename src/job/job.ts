// A Job: everything a run needs, validated and compiled, with no flag strings left to interpret. Built by
// loadJob from options and the environment; consumed by the pipeline.

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
  readonly execution: {
    readonly concurrency: number;
    readonly maxAttempts: number;
    readonly timeoutMs: number;
    readonly drainMs: number;
  };
}
