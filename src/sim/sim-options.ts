// The simulator's options, checked once when it starts so a typo fails loudly instead of simulating
// something else. Everything after this file reads a `SimConfig` whose values are known to be sound.

export interface SimOptions {
  /**
   * Port to listen on; 0 picks a free one (read it back from `SimServer.port`).
   * @default 0
   */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /**
   * Delay before each answer (and each injected fault), in milliseconds.
   * @default 0
   */
  latencyMs?: number;
  /**
   * The delay varies uniformly within `latencyMs ± jitterMs` (never below 0).
   * @default 0
   */
  jitterMs?: number;
  /**
   * Requests admitted per window; further requests get 429. Unlimited when absent.
   * @example 500
   */
  rpm?: number;
  /**
   * Tokens admitted per window, each request costing its prompt tokens plus its `max_tokens`
   * (see `rateLimitTokenCost`). Unlimited when absent.
   */
  tpm?: number;
  /**
   * Anthropic only: output tokens admitted per minute (OTPM), each request reserving its `max_tokens` when it arrives
   * and given back what it did not use once answered. With Anthropic, `tpm` is the input-token limit (ITPM).
   */
  otpm?: number;
  /**
   * How limits are enforced. `documented`: as OpenAI and Anthropic document it, per minute but continuously
   * replenished, enforced over `enforceS`, refused requests counting (see rate-limiter.ts). `fixed-window`: a budget
   * per window of `windowS`, restored at once when it ends. Giving `windowS` alone selects `fixed-window`.
   * @default 'documented'
   */
  rateLimit?: 'documented' | 'fixed-window';
  /**
   * Documented model: the interval over which a per-minute limit is enforced (OpenAI: "60,000 requests/minute may
   * be enforced as 1,000 requests/second").
   * @default 1
   */
  enforceS?: number;
  /**
   * Fixed-window model: the length of a window in seconds. The limit headers still report `rpm` and `tpm` as given.
   * @default 60
   */
  windowS?: number;
  /**
   * Outages: from `atS` seconds after the first provider request, for `forS` seconds, the provider endpoints refuse
   * connections (`refuse`: the listener closes, open connections are dropped) or answer 503 (529 `overloaded_error`
   * for Anthropic). The admin endpoints keep answering when the outage answers 503.
   */
  outages?: readonly SimOutage[];
  /**
   * The model's context in tokens (vLLM's `--max-model-len`): a request whose prompt and `max_tokens` exceed it is
   * refused with 400, as OpenAI and vLLM refuse it. Unlimited when absent.
   */
  contextTokens?: number;
  /** Share of requests answered with a 5xx (and 529 for Anthropic), between 0 and 1. @default 0 */
  errorRate?: number;
  /** Share of requests never answered: the socket is held until the client gives up. @default 0 */
  timeoutRate?: number;
  /** Share of requests answered 200 with broken JSON as the answer. @default 0 */
  malformedRate?: number;
  /** Share of requests whose body is cut off mid-way and the connection dropped. @default 0 */
  truncateRate?: number;
  /**
   * Seed for the fault and jitter draws, so a run can be replayed. Answers do not depend on it.
   * @default 1
   */
  seed?: number;
  /**
   * When set, OpenAI requests must carry `Authorization: Bearer <apiKey>` and Anthropic requests
   * `x-api-key: <apiKey>`, or get 401.
   */
  apiKey?: string;
  /** Milliseconds from a batch's creation to its end (OpenAI: up to 24 h). @default 1000 */
  batchDelayMs?: number;
  /** Share of batch items answered with an error (in the error file), between 0 and 1. @default 0 */
  batchItemErrorRate?: number;
  /** Share of batches that expire, with 70% of their items done, between 0 and 1. @default 0 */
  batchExpireRate?: number;
  /** Requests per batch input file (OpenAI: 50,000). @default 50000 */
  batchMaxRequests?: number;
  /** Bytes per batch input file (OpenAI: 200 MB). @default 209715200 */
  batchMaxFileBytes?: number;
  /** Batch results (output files, results streams) are sent at this many bytes a second. Unlimited when absent. */
  batchDownloadBytesPerS?: number;
}

export interface SimOutage {
  readonly atS: number;
  readonly forS: number;
  /** @default 'refuse' */
  readonly kind?: 'refuse' | '503';
}

/** Options after validation, with defaults applied. */
export interface SimConfig {
  readonly port: number;
  readonly host: string;
  readonly latencyMs: number;
  readonly jitterMs: number;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  readonly otpm: number | undefined;
  readonly rateLimit: 'documented' | 'fixed-window';
  readonly enforceMs: number;
  readonly windowMs: number;
  readonly outages: readonly Required<SimOutage>[];
  readonly contextTokens: number | undefined;
  readonly errorRate: number;
  readonly timeoutRate: number;
  readonly malformedRate: number;
  readonly truncateRate: number;
  readonly seed: number;
  readonly apiKey: string | undefined;
  readonly batchDelayMs: number;
  readonly batchItemErrorRate: number;
  readonly batchExpireRate: number;
  readonly batchMaxRequests: number;
  readonly batchMaxFileBytes: number;
  readonly batchDownloadBytesPerS: number | undefined;
}

const KNOWN_OPTIONS = new Set([
  'port',
  'host',
  'latencyMs',
  'jitterMs',
  'rpm',
  'tpm',
  'otpm',
  'rateLimit',
  'enforceS',
  'windowS',
  'outages',
  'contextTokens',
  'errorRate',
  'timeoutRate',
  'malformedRate',
  'truncateRate',
  'seed',
  'apiKey',
  'batchDelayMs',
  'batchItemErrorRate',
  'batchExpireRate',
  'batchMaxRequests',
  'batchMaxFileBytes',
  'batchDownloadBytesPerS',
]);

/** Validates `options` and applies defaults; throws a `TypeError` naming the first bad option. */
export function resolveSimOptions(options: SimOptions): SimConfig {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected the simulator options to be an object, got ${describe(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(name)) throw new TypeError(`Unknown simulator option \`${name}\``);
  }
  const rate = (name: keyof SimOptions): number =>
    check<number>(options, name, 0, (v) => typeof v === 'number' && v >= 0 && v <= 1, 'a number between 0 and 1');
  const nonNegative = (name: keyof SimOptions): number =>
    check<number>(
      options,
      name,
      0,
      (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
      'a non-negative number',
    );
  const positiveInteger = (name: keyof SimOptions): number | undefined =>
    check<number | undefined>(
      options,
      name,
      undefined,
      (v) => Number.isSafeInteger(v) && (v as number) > 0,
      'a positive integer',
    );

  const config: SimConfig = {
    port: check<number>(
      options,
      'port',
      0,
      (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535,
      'an integer between 0 and 65535',
    ),
    host: check<string>(
      options,
      'host',
      '127.0.0.1',
      (v) => typeof v === 'string' && v.length > 0,
      'a non-empty string',
    ),
    latencyMs: nonNegative('latencyMs'),
    jitterMs: nonNegative('jitterMs'),
    rpm: positiveInteger('rpm'),
    tpm: positiveInteger('tpm'),
    otpm: positiveInteger('otpm'),
    rateLimit: check<'documented' | 'fixed-window'>(
      options,
      'rateLimit',
      options.windowS === undefined ? 'documented' : 'fixed-window',
      (v) => v === 'documented' || v === 'fixed-window',
      '"documented" or "fixed-window"',
    ),
    enforceMs: 1000 * check<number>(options, 'enforceS', 1, positiveNumber, 'a positive number'),
    windowMs: 1000 * check<number>(options, 'windowS', 60, positiveNumber, 'a positive number'),
    outages: check<readonly SimOutage[]>(
      options,
      'outages',
      [],
      (v) => Array.isArray(v) && v.every(isOutage),
      'a list of { atS, forS, kind? } with atS ≥ 0, forS > 0 and kind "refuse" or "503"',
    ).map((outage) => ({ kind: 'refuse' as const, ...outage })),
    contextTokens: positiveInteger('contextTokens'),
    errorRate: rate('errorRate'),
    timeoutRate: rate('timeoutRate'),
    malformedRate: rate('malformedRate'),
    truncateRate: rate('truncateRate'),
    seed: check<number>(options, 'seed', 1, (v) => Number.isSafeInteger(v), 'an integer'),
    apiKey: check<string | undefined>(
      options,
      'apiKey',
      undefined,
      (v) => typeof v === 'string' && v.length > 0,
      'a non-empty string',
    ),
    batchDelayMs: check<number>(
      options,
      'batchDelayMs',
      1000,
      (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
      'a positive number',
    ),
    batchItemErrorRate: rate('batchItemErrorRate'),
    batchExpireRate: rate('batchExpireRate'),
    batchMaxRequests: positiveInteger('batchMaxRequests') ?? 50_000,
    batchMaxFileBytes: positiveInteger('batchMaxFileBytes') ?? 200 * 1024 * 1024,
    batchDownloadBytesPerS: positiveInteger('batchDownloadBytesPerS'),
  };
  if (config.rateLimit === 'documented' && options.windowS !== undefined) {
    throw new TypeError('Expected `windowS` only with `rateLimit: "fixed-window"`: the documented model has no window');
  }
  const faultTotal = config.errorRate + config.timeoutRate + config.malformedRate + config.truncateRate;
  if (faultTotal > 1) {
    throw new TypeError(
      `Expected \`errorRate\`, \`timeoutRate\`, \`malformedRate\` and \`truncateRate\` to sum to at most 1, got ${faultTotal}`,
    );
  }
  return config;
}

function positiveNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isOutage(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { atS, forS, kind } = value as Record<string, unknown>;
  return (
    typeof atS === 'number' &&
    Number.isFinite(atS) &&
    atS >= 0 &&
    positiveNumber(forS) &&
    (kind === undefined || kind === 'refuse' || kind === '503')
  );
}

/** The option's value if present and acceptable, `fallback` if absent; throws otherwise. */
function check<T>(
  options: SimOptions,
  name: keyof SimOptions,
  fallback: T,
  accepts: (value: unknown) => boolean,
  expected: string,
): T {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (!accepts(value)) throw new TypeError(`Expected \`${name}\` to be ${expected}, got ${describe(value)}`);
  return value as T;
}

function describe(value: unknown): string {
  return typeof value === 'string' || (typeof value === 'object' && value !== null)
    ? JSON.stringify(value)
    : String(value);
}
