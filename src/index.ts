// The library API. The CLI is one user of it:
//   const job = loadJob({ input: 'tickets.csv', prompt: 'prompt.md', model: 'openai:gpt-4o-mini' }, process.env);
//   const summary = await runJob(job);

export { runJob, metaColumns, type RunJobDeps, type RunSummary } from './run-job.js';
export { loadJob, loadEmbedJob, type Env, type EmbedOptions } from './job/load-job.js';
export type { Job, ModelSpec, ProviderName, Task, LocalModelOptions } from './job/job.js';
export type { RunOptions } from './job/run-options.js';
export { InputError } from './job/input-error.js';
export { Secret } from './job/secret.js';
export { ApiCallError } from './providers/errors/api-call-error.js';
export type {
  ChatProvider,
  ChatRequest,
  ChatResult,
  ChatMessage,
  AnswerSchema,
  CallOptions,
  FinishReason,
  Usage,
  EmbeddingProvider,
  EmbedResult,
  EmbedLimits,
} from './providers/provider.js';
export { createProvider, createEmbeddingProvider } from './providers/create-provider.js';
export { DEFAULT_LOCAL_MODEL } from './providers/llama/default-model.js';
export type { HttpClient, HttpResponse } from './providers/http/http-client.js';
export type { RowOutcome, RowStatus } from './executor/answer-row.js';
export { startSim, type SimOptions, type SimServer } from './sim/index.js';
export type { LedgerStore, LedgerEntry, LedgerCounts, RunMeta } from './store/ledger-store.js';
export type { CacheStore, CachedResponse } from './store/cache-store.js';
export { openSqliteLedger } from './store/sqlite/sqlite-ledger.js';
export { openSqliteCache } from './store/sqlite/sqlite-cache.js';
export { estimateJob, type Estimate } from './cost/estimate-job.js';
export { DEFAULT_PRICES, loadPrices, priceOf, costOf, type ModelPrice, type PriceTable } from './cost/prices.js';
