// Every metric llmap exposes, in one table: its name, type and help, how the runs that carry the same labels add
// up (a worker answers many shards of a job), and whether it outlives its run. Counters and histograms of a run that
// ended are kept (a counter never goes back); its gauges go with it.

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Runs with the same labels: added up, or the largest (a limit they share). @default 'sum' */
  readonly merge?: 'sum' | 'max';
}

/** A gauge: a state of the runs going on, gone when they end. */
export const isKept = (definition: MetricDefinition): boolean => definition.type !== 'gauge';

const counter = (name: string, help: string): MetricDefinition => ({ name, type: 'counter', help });
const gauge = (name: string, help: string, merge: 'sum' | 'max' = 'sum'): MetricDefinition => ({
  name,
  type: 'gauge',
  help,
  merge,
});
const histogram = (name: string, help: string): MetricDefinition => ({ name, type: 'histogram', help });

export const METRICS = {
  rows: counter(
    'llmap_rows_total',
    'Rows of the job done, by status (ok, failed, invalid, skipped); resumed ones included',
  ),
  resumed: counter('llmap_resumed_rows_total', 'Rows whose outcome was taken from the run state of an earlier run'),
  cacheHits: counter(
    'llmap_cache_hits_total',
    'Rows answered without a paid call: the response cache, or an identical request',
  ),
  deduplicated: counter(
    'llmap_deduplicated_rows_total',
    'Of the cache hits, rows answered by a call another row of this run paid for',
  ),
  truncated: counter('llmap_truncated_rows_total', 'Rows whose answer was cut off at max_tokens'),
  retries: counter('llmap_retries_total', 'Calls asked again after a retryable failure'),
  rateLimited: counter('llmap_rate_limited_total', 'Calls the provider refused with 429'),
  requests: counter(
    'llmap_requests_total',
    'Calls to the provider, by outcome (ok, rate_limited, error) and HTTP status',
  ),
  tokens: counter('llmap_tokens_total', 'Tokens of the calls paid in this run, by gen_ai_token_type (input, output)'),
  batchTokens: counter('llmap_batch_tokens_total', 'Of those, the tokens a Batch API answered (at its discount)'),
  spend: counter('llmap_spend_usd_total', "USD this run's paid calls cost at the model's price (when known)"),
  outages: counter('llmap_outages_total', 'Times the provider went down and the run paused'),
  outageSeconds: counter('llmap_outage_seconds_total', 'Seconds the run was paused by outages'),
  operationDuration: histogram(
    'gen_ai_client_operation_duration_seconds',
    'Duration of each call to the provider (retries and 429s included), from its permit to its end',
  ),
  tokenUsage: histogram(
    'gen_ai_client_token_usage',
    'Tokens of each answered call, by gen_ai_token_type (input, output), as the provider counted them',
  ),
  timeToAnswer: histogram(
    'llmap_time_to_answer_seconds',
    'Per row asked in this run: from its dispatch to its outcome (retries and waits for a permit included)',
  ),
  rowsExpected: gauge('llmap_rows_expected', 'Rows the runs going on will answer (rows × samples)'),
  rowsInFlight: gauge('llmap_rows_in_flight', 'Rows dispatched and not yet answered'),
  requestsInFlight: gauge('llmap_in_flight_requests', 'Calls sent to the provider and not yet answered'),
  concurrency: gauge('llmap_concurrency_limit', 'Rows the concurrency controller lets be in flight'),
  rateLimit: gauge(
    'llmap_rate_limit',
    'Per-minute rate limits by kind (rpm, tpm, itpm, otpm) and source (given with --rpm/--tpm, or stated by the provider)',
    'max',
  ),
  pace: gauge(
    'llmap_rate_limit_pace_requests_per_second',
    'Requests per second the limiter lets out under the known limits (lowered by 429s)',
  ),
  deferred: gauge('llmap_rows_deferred', 'Rows left for a provider batch to answer, in this pass over the table'),
  batches: gauge('llmap_batches', 'Provider batches of the job, by state (preparing, uploaded, submitted, collected)'),
  batchRequests: gauge('llmap_batch_requests', 'Requests in provider batches, by state (pending, done, error)'),
  localTokensPerSecond: gauge(
    'llmap_local_tokens_per_second',
    'A model in this process: output tokens per second since the run started',
  ),
  startTime: gauge('llmap_run_start_time_seconds', 'When the latest run started (Unix time)', 'max'),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
