// The provider stack's limiter for a worker of a distributed job: every grant is taken from the limits all workers
// share in Redis (`RedisRateLimiter`), so N workers together hold the provider's limit, not N times it. What a worker
// learns from a response's headers is written there at once for all; a 429 pauses all of them. Between grants the
// worker reads the shared state twice a second: the limits others learned (so it counts tokens once a token limit is
// known anywhere), the pace, and how many workers share the rate, which sizes its concurrency (Little's law over its
// share of the rate).
//
// With no limit known anywhere (a self-hosted server, the simulator unlimited) a grant costs no round trip: only the
// snapshot's pause is checked.

import type { Limiter, MeasureCost, Permit, RequestCost } from '../executor/rate-limiter.js';
import { RequestTooLargeError } from '../executor/request-too-large-error.js';
import type { LimitReading, RateLimitInfo } from '../providers/rate-limit-info.js';
import type { Costs, LimitsSnapshot, RedisRateLimiter } from './redis-rate-limiter.js';

/** The budgets of both providers: OpenAI's requests and tokens, Anthropic's requests, input and output tokens. */
const BUDGETS = {
  requests: { reading: 'requests', units: () => 1 },
  tokens: { reading: 'tokens', units: (cost: RequestCost) => cost.input + cost.output },
  'input-tokens': { reading: 'inputTokens', units: (cost: RequestCost) => cost.input },
  'output-tokens': { reading: 'outputTokens', units: (cost: RequestCost) => cost.output },
} as const satisfies Record<string, { reading: keyof RateLimitInfo; units: (cost: RequestCost) => number }>;

type Budget = keyof typeof BUDGETS;
const BUDGET_NAMES = Object.keys(BUDGETS) as Budget[];

const SNAPSHOT_MS = 500;
/** A worker that has not read the limits for this long no longer counts as sharing them. */
const MEMBERSHIP_MS = 5_000;

export interface SharedRateLimiterOptions {
  readonly limits: RedisRateLimiter;
  /** Limits the user gave (per minute), written to the shared state for every worker. */
  readonly rpm?: number | undefined;
  readonly tpm?: number | undefined;
  readonly now: () => number;
}

export class SharedRateLimiter implements Limiter {
  readonly #limits: RedisRateLimiter;
  readonly #now: () => number;
  #snapshot: LimitsSnapshot = { factor: 1, pausedForMs: 0, workers: 1, limits: {} };
  #snapshotAt = -Infinity;
  /** Limits this worker learned from its own responses, and already wrote to Redis. */
  readonly #learned = new Map<Budget, number>();
  #sequence = 0;
  #averageTokens = 0;
  /** Nothing known yet: one request goes first, and its headers say what the others may do. */
  #probe: Promise<void> | undefined;
  #endProbe: (() => void) | undefined;
  #timer: NodeJS.Timeout;
  #closed = false;
  /** Refusals (429) this worker met. */
  rateLimited = 0;

  /** Opens the limiter; the limits the user gave are shared before the first grant. */
  static async open(options: SharedRateLimiterOptions): Promise<SharedRateLimiter> {
    const limiter = new SharedRateLimiter(options);
    if (options.rpm !== undefined) await options.limits.learn('requests', options.rpm);
    if (options.tpm !== undefined) await options.limits.learn('tokens', options.tpm);
    await limiter.#refresh();
    return limiter;
  }

  private constructor(options: SharedRateLimiterOptions) {
    this.#limits = options.limits;
    this.#now = options.now;
    this.#timer = setInterval(() => void this.#refresh().catch(() => undefined), SNAPSHOT_MS);
    this.#timer.unref();
  }

  get countsTokens(): boolean {
    return BUDGET_NAMES.some((budget) => budget !== 'requests' && this.#limitOf(budget) !== undefined);
  }

  async acquire(measure: MeasureCost): Promise<Permit> {
    if (!this.#mayGo()) await this.#probeTurn();
    if (this.#snapshot.pausedForMs > 0 && this.#now() < this.#snapshotAt + this.#snapshot.pausedForMs) {
      await new Promise((resolve) => setTimeout(resolve, this.#snapshotAt + this.#snapshot.pausedForMs - this.#now()));
    }
    const cost = measure(this.countsTokens);
    const costs: Record<string, number> = {};
    for (const budget of BUDGET_NAMES) {
      const limit = this.#limitOf(budget);
      if (limit === undefined) continue;
      const units = BUDGETS[budget].units(cost);
      if (units > limit) throw new RequestTooLargeError(BUDGETS[budget].reading, units, limit, cost);
      costs[budget] = units;
    }
    if (Object.keys(costs).length > 0) await this.#limits.take(costs);
    return { cost, sequence: this.#sequence++, before: [], sentAt: this.#now() };
  }

  settle(permit: Permit, used: RequestCost | undefined, info: RateLimitInfo | undefined): void {
    for (const budget of BUDGET_NAMES) {
      const reading: LimitReading | undefined = info?.[BUDGETS[budget].reading];
      if (reading && this.#learned.get(budget) !== reading.limit) {
        this.#learned.set(budget, reading.limit);
        void this.#limits.learn(budget, reading.limit).catch(() => undefined);
      }
    }
    // Anthropic gives back the output tokens an answer did not use.
    const unused = used ? permit.cost.output - used.output : 0;
    if (unused > 0 && this.#limitOf('output-tokens') !== undefined) {
      void this.#limits.refund({ 'output-tokens': unused } satisfies Costs).catch(() => undefined);
    }
    if (used) this.#averageTokens = this.#averageTokens * 0.95 + (used.input + used.output) * 0.05;
    this.#endProbe?.();
  }

  refused(permit: Permit, retryAfterMs: number | undefined, info: RateLimitInfo | undefined): void {
    this.rateLimited++;
    const pause = retryAfterMs ?? 1000;
    this.#snapshot = { ...this.#snapshot, pausedForMs: pause };
    this.#snapshotAt = this.#now();
    void this.#limits.refused(pause).catch(() => undefined);
    this.settle(permit, undefined, info);
  }

  /** This worker's share of the requests per second the shared limits allow. */
  allowedRequestRate(): number | undefined {
    let perMinute: number | undefined;
    const requests = this.#limitOf('requests');
    if (requests !== undefined) perMinute = requests;
    const tokens = this.#limitOf('tokens');
    if (tokens !== undefined && this.#averageTokens > 0) {
      perMinute = Math.min(perMinute ?? Infinity, tokens / this.#averageTokens);
    }
    if (perMinute === undefined) return undefined;
    return (perMinute * this.#snapshot.factor) / 60 / Math.max(1, this.#snapshot.workers);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#endProbe?.();
  }

  #limitOf(budget: Budget): number | undefined {
    return this.#snapshot.limits[budget] ?? this.#learned.get(budget);
  }

  /** A limit is known, or the first request (the probe) has been answered. */
  #mayGo(): boolean {
    return BUDGET_NAMES.some((budget) => this.#limitOf(budget) !== undefined) || (this.#sequence > 0 && !this.#probe);
  }

  /** Before anything is known, requests go one at a time until the first answer's headers are in. */
  async #probeTurn(): Promise<void> {
    while (this.#probe) await this.#probe;
    if (this.#mayGo() || this.#closed) return;
    this.#probe = new Promise<void>((resolve) => {
      this.#endProbe = () => {
        this.#probe = undefined;
        this.#endProbe = undefined;
        resolve();
      };
    });
  }

  async #refresh(): Promise<void> {
    const snapshot = await this.#limits.snapshot(BUDGET_NAMES, MEMBERSHIP_MS);
    this.#snapshot = snapshot;
    this.#snapshotAt = this.#now();
  }
}
