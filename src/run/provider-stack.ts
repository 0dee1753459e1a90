// The providers a run asks through, from the model outwards: the model's own provider (or the embeddings batcher
// over it), then the rate limit and concurrency, the circuit breaker, batch mode, and the response cache. A
// one-machine run and a worker build the same stack; what differs is passed in (the limiter, the stores).

import { countTextTokens } from '../cost/count-tokens.js';
import type { Budget } from '../cost/budget.js';
import { createBatchMode, type BatchMode } from '../executor/batch-mode.js';
import { BATCH_WINDOW_MS, type BatchPlan } from '../executor/batch-plan.js';
import { withCache } from '../executor/cached-provider.js';
import { CircuitBreaker, withCircuitBreaker, type OutageEvent } from '../executor/circuit-breaker.js';
import { ConcurrencyController } from '../executor/concurrency.js';
import { batchEmbeddings } from '../executor/embed-batcher.js';
import { withEmbeddingRateLimit, withRateLimit } from '../executor/rate-limited-provider.js';
import type { Limiter } from '../executor/rate-limiter.js';
import type { Slots } from '../executor/slots.js';
import type { Job } from '../job/job.js';
import type { RequestLog } from '../observe/request-log.js';
import { ANTHROPIC_DEFAULT_BASE_URL } from '../providers/anthropic/anthropic-messages.js';
import {
  createBatchApi,
  createEmbeddingProvider,
  createProvider,
  type ProviderSettings,
} from '../providers/create-provider.js';
import type { HttpClient } from '../providers/http/http-client.js';
import { offlineProvider } from '../providers/offline/offline-provider.js';
import { OPENAI_DEFAULT_BASE_URL } from '../providers/openai/openai-chat.js';
import type { ChatProvider, ChatRequest } from '../providers/provider.js';
import type { BatchStore } from '../store/batch-store.js';
import type { CacheStore } from '../store/cache-store.js';

/** Batches a request may be in (the first, and one follow-up) before it goes online. */
const MAX_BATCH_ATTEMPTS = 2;

/** Embeddings calls in flight when --concurrency is auto. */
const EMBED_REQUESTS = 4;

export function providerSettings(
  job: Job,
  deps: { readonly http?: HttpClient; readonly onDownload?: ProviderSettings['onDownload'] },
): ProviderSettings {
  return {
    timeoutMs: job.execution.timeoutMs,
    connections: job.execution.maxConcurrency,
    ...(deps.http ? { http: deps.http } : {}),
    ...(deps.onDownload ? { onDownload: deps.onDownload } : {}),
  };
}

/**
 * The model's provider: the one given (tests, custom backends), the offline one of a replay, or the job's own. For
 * embeddings, rows are packed into calls here, so the limiter counts calls, not rows.
 */
export function openModelProvider(
  job: Job,
  settings: ProviderSettings,
  limiter: Limiter,
  now: () => number,
  given?: ChatProvider,
  requests?: RequestLog,
): ChatProvider {
  if (job.cache.replay) return offlineProvider(job.model.provider, job.model.modelId);
  if (given) return given;
  if (job.task.kind !== 'embed') return createProvider(job.model, settings);
  const embeddings = createEmbeddingProvider(job.model, job.task, settings);
  return batchEmbeddings(withEmbeddingRateLimit(embeddings, limiter, now, countTextTokens, requests), {
    requests: job.execution.concurrency === 'auto' ? EMBED_REQUESTS : job.execution.concurrency,
    countTokens: countTextTokens,
  });
}

export interface StackInput {
  readonly job: Job;
  /** The model's provider (`openModelProvider`). */
  readonly provider: ChatProvider;
  /** Whether `provider` was given rather than built from the job (no circuit breaker: it has no endpoint). */
  readonly given: boolean;
  readonly settings: ProviderSettings;
  readonly limiter: Limiter;
  readonly slots: Slots;
  readonly plan: BatchPlan;
  readonly batchStore: BatchStore | undefined;
  readonly budget: Budget | undefined;
  readonly cache: CacheStore;
  readonly keyOf: (request: ChatRequest) => string;
  readonly runStartedAt: number;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly onOutage?: (event: OutageEvent) => void;
  /** The run's log of provider calls (`RunStats.requests`), recorded as each call ends. */
  readonly requests?: RequestLog;
}

export interface ProviderStack {
  readonly concurrency: ConcurrencyController;
  /** Undefined for a local model, a replay or a given provider. */
  readonly breaker: CircuitBreaker | undefined;
  readonly batchMode: BatchMode | undefined;
  /** Asks through the cache, which answers what it has (unless the job does not read it). */
  readonly cached: ChatProvider;
  /** Asks through the cache, which answers only what this run asked (rows asked again by --retry-failed). */
  readonly uncached: ChatProvider;
  /** Batch mode's repair turns, online. */
  readonly repair: ChatProvider | undefined;
  close(): void;
}

export function stackProviders(input: StackInput): ProviderStack {
  const { job, provider, limiter, now } = input;
  const closers: (() => void)[] = [];
  const concurrency = new ConcurrencyController(input.slots, limiter, {
    fixed:
      provider.maxInFlight ??
      (input.plan.batch
        ? job.execution.maxConcurrency
        : job.execution.concurrency === 'auto'
          ? undefined
          : job.execution.concurrency),
    max: job.execution.maxConcurrency,
  });
  closers.push(() => concurrency.close());
  const rateLimited =
    job.task.kind === 'embed'
      ? provider
      : withRateLimit(provider, limiter, concurrency, now, input.budget, input.requests);
  // An outage of a hosted or self-hosted server pauses the run instead of failing its rows; a local model has none.
  const breaker =
    job.model.provider === 'llama' || job.cache.replay || input.given
      ? undefined
      : new CircuitBreaker({
          endpoint: endpointOf(job),
          maxOutageMs: job.execution.maxOutageMs,
          now,
          ...(input.onOutage ? { onChange: input.onOutage } : {}),
        });
  if (breaker) closers.push(() => breaker.close());
  const limited = breaker ? withCircuitBreaker(rateLimited, breaker) : rateLimited;
  const batchMode = input.plan.batch && input.batchStore ? openBatchMode(input, limited) : undefined;
  if (batchMode) closers.push(() => void batchMode.close());
  const asked = batchMode ? batchMode.provider : limited;
  const cacheOptions = { cache: input.cache, keyOf: input.keyOf, runStartedAt: input.runStartedAt, now };
  const readFrom = job.cache.read ? 0 : input.runStartedAt;
  return {
    concurrency,
    breaker,
    batchMode,
    cached: withCache(asked, { ...cacheOptions, notBefore: readFrom }),
    // Rows asked again by --retry-failed must not get their old answer back from the cache.
    uncached: withCache(asked, { ...cacheOptions, notBefore: input.runStartedAt }),
    // Batch mode repairs an answer online: a repair turn is one request, and a row should not wait a day for it.
    repair: batchMode ? withCache(limited, { ...cacheOptions, notBefore: readFrom }) : undefined,
    close: () => {
      for (const close of closers) close();
    },
  };
}

function openBatchMode(input: StackInput, online: ChatProvider): BatchMode {
  const { job, budget } = input;
  return createBatchMode({
    api: createBatchApi(job.model, input.settings, job.batch),
    store: input.batchStore!,
    online,
    keyOf: input.keyOf,
    onFailure: job.batch.onFailure,
    maxBatchAttempts: MAX_BATCH_ATTEMPTS,
    cutoffAt: input.plan.cutoffAt,
    windowMs: BATCH_WINDOW_MS,
    pollMs: job.batch.pollMs,
    now: input.now,
    sleep: input.sleep,
    ...(budget ? { reserve: (request: ChatRequest) => void budget.reserve(request, true) } : {}),
  });
}

/** The endpoint a job's requests go to, as the user would recognise it in a message. */
function endpointOf(job: Job): string {
  if (job.model.baseUrls.length > 0) return job.model.baseUrls.map((url) => url.href).join(', ');
  return job.model.provider === 'anthropic' ? ANTHROPIC_DEFAULT_BASE_URL : OPENAI_DEFAULT_BASE_URL;
}
