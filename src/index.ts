// The library API. The CLI is one user of it:
//   const job = loadJob({ input: 'tickets.csv', prompt: 'prompt.md', model: 'openai:gpt-4o-mini' }, process.env);
//   const summary = await runJob(job);
// Every type that appears in the signature of something exported here is exported too (src/index.test.ts checks).

export { runJob, metaColumns, type RunJobDeps, type RunSummary, type BatchSummary } from './run-job.js';
export type { StopReason } from './executor/run-pipeline.js';
export type { OutageEvent, CircuitBreaker, CircuitBreakerOptions, Ticket } from './executor/circuit-breaker.js';
export type { ConcurrencyController, ConcurrencyOptions } from './executor/concurrency.js';
export type { Slots } from './executor/slots.js';
export type { BatchRunCounts } from './executor/batch-mode.js';
export type { RunStats } from './observe/run-stats.js';
export type { ObservedRun } from './observe/observed-run.js';
export type { RequestLog, CallOutcome, StatedLimits } from './observe/request-log.js';
export type { LatencyHistogram } from './observe/latency-histogram.js';
export type { TokenHistogram } from './observe/token-histogram.js';
export {
  startMetrics,
  type MetricsEndpoint,
  type MetricsOptions,
  type MetricsDeps,
} from './observe/metrics/metrics-endpoint.js';
export type { ObservedHandle } from './observe/metrics/run-collector.js';
export type { ReportSummary } from './run/run-summary.js';
export { loadJob, loadEmbedJob, type Env, type EmbedOptions, type LoadJobPurpose } from './job/load-job.js';
export type {
  Job,
  ModelSpec,
  ProviderName,
  Task,
  LocalModelOptions,
  BatchSettings,
  ExpectRuleText,
} from './job/job.js';
export type { RunOptions, EmbedFlags } from './job/run-options.js';
export type { JobFingerprint } from './job/job-fingerprint.js';
export type { TableInput, InputFormat } from './table/table-input.js';
export { parsePgLocation, type PgLocation } from './table/postgres/pg-location.js';
export type { DuckDB } from './table/duckdb.js';
export { runSql, estimateSql, type SqlRequest, type SqlDeps, type SqlResult } from './sql/run-sql.js';
export type { SqlRunOptions } from './sql/answer-calls.js';
export type { CallConfig, CallKind } from './sql/call-book.js';
export type { OutputFormat } from './table/write-table.js';
export type { OutputColumn } from './output/answer-columns.js';
export type { CompiledSchema } from './output/answer-schema.js';
export type { Template, Placeholder } from './prompt/template.js';
export { InputError } from './job/input-error.js';
export { Secret } from './job/secret.js';
export { ApiCallError, type ApiCallErrorInit } from './providers/errors/api-call-error.js';
export type {
  ChatProvider,
  ChatRequest,
  ChatResult,
  ChatMessage,
  AnswerSchema,
  CallOptions,
  EmbedCallOptions,
  FinishReason,
  ProviderCapabilities,
  Usage,
  EmbeddingProvider,
  EmbedResult,
  EmbedLimits,
} from './providers/provider.js';
export type { RateLimitInfo, LimitReading } from './providers/rate-limit-info.js';
export { createProvider, createEmbeddingProvider, type ProviderSettings } from './providers/create-provider.js';
export { DEFAULT_LOCAL_MODEL } from './providers/llama/default-model.js';
export type { HttpClient, HttpResponse, HttpPostOptions } from './providers/http/http-client.js';
export type { OutcomeStatus, RowOutcome, RowStatus } from './executor/answer-row.js';
export { startSim, type SimOptions, type SimServer, type SimDependencies } from './sim/index.js';
export type { SimStats, PromptStats } from './sim/index.js';
export type { SimOutage } from './sim/sim-options.js';
export type { BatchStats } from './sim/batch-submissions.js';
export type {
  LedgerStore,
  LedgerEntry,
  LedgerCounts,
  ModelSpend,
  RunMeta,
  RunState,
  OpenLedger,
} from './store/ledger-store.js';
export type { BatchRecord, BatchState, BatchStore, BatchCounts, BatchItem, ItemResult } from './store/batch-store.js';
export type { CacheStore, CachedResponse } from './store/cache-store.js';
export { openSqliteLedger } from './store/sqlite/sqlite-ledger.js';
export { openSqliteCache } from './store/sqlite/sqlite-cache.js';
export {
  estimateJob,
  type Estimate,
  type SampleRun,
  type EstimateOptions,
  type PreviewRequest,
} from './cost/estimate-job.js';
export { DEFAULT_PRICES, loadPrices, priceOf, costOf, type ModelPrice, type PriceTable } from './cost/prices.js';
export type { Limiter, MeasureCost, Permit, RequestCost } from './executor/rate-limiter.js';
export { runCluster, type ClusterRunSettings, type ClusterOutcome } from './distributed/coordinator.js';
export { startWorker, type WorkerSettings, type RunningWorker, type JobResult } from './distributed/worker.js';
export {
  clusterStatus,
  type ClusterStatus,
  type ClusterJobView,
  type ShardView,
  type ShardState,
} from './distributed/cluster-status.js';
export type { ClusterJobSpec, OutputLayout } from './distributed/cluster-job.js';
export type { ShardResult, ShardProgress } from './distributed/run-shard.js';
export type { PublishedJob, ShardFailure } from './distributed/publish-job.js';
export { openRedisLedger, type RedisLedgerOptions } from './store/redis/redis-ledger.js';
