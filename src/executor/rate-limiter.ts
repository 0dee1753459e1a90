// Requests and tokens kept under the provider's limits without being told them, at an even pace.
//
// Both hosted providers quote limits per minute and restore them continuously (OpenAI: a per-minute limit "may be
// enforced over shorter periods", its reset is the time until the budget is "reset to its initial state"; Anthropic:
// "a token bucket ... continuously replenished"). So a quota is a rate, not a burst to spend before a reset: each
// budget (requests; tokens; Anthropic's input and output tokens) is paced as a bucket holding half a second of its
// rate, refilled at limit / minute. What the provider reports as `remaining`, less what was sent since, is a
// ceiling on top: a quota shared with another client is respected too. Limits the user gives (`--rpm`, `--tpm`) pace
// the same way. Before anything is known, one request goes alone and the others wait for its headers.
//
// A 429 pauses every sender until its retry hint, and lowers the pace by a fifth (at most once a second); the pace
// then probes back up by 2% of the limit a second. A request that no budget could ever admit (a prompt larger than the
// token limit) is refused here with the reason, instead of being sent to be refused for ever.

import type { LimitReading, RateLimitInfo } from '../providers/rate-limit-info.js';
import { RequestTooLargeError } from './request-too-large-error.js';

export interface RateLimiterOptions {
  /** Requests per minute the user knows of. */
  readonly rpm?: number;
  /** Tokens per minute the user knows of (prompt plus `max_tokens`). */
  readonly tpm?: number;
  readonly now: () => number;
}

/** What a request may spend: its prompt tokens, and the answer tokens it reserves (`max_tokens`). */
export interface RequestCost {
  readonly input: number;
  readonly output: number;
}

/** A request's cost, measured when it is about to go: prompt tokens are counted (~10 µs a row) only when a token
 * limit is known by then, which for the first requests is only once the first answer's headers are in. */
export type MeasureCost = (countInput: boolean) => RequestCost;

/** A permit for one request: hand it back with `settle`, `refused` or `failed` once the outcome is in. */
export interface Permit {
  readonly cost: RequestCost;
  /** Grant order, to tell the freshest reading. */
  readonly sequence: number;
  /** Units of each budget granted before this one, to discount readings taken after it. */
  readonly before: readonly number[];
  /** When the permit was granted: the provider admitted the request soon after. */
  readonly sentAt: number;
}

/** Added to a send time to stand for the moment the provider admitted the request (network and queueing). */
const ADMIT_MARGIN_MS = 10;
/** The pace, shared with the workers' limiter in Redis (distributed/redis-rate-limiter.ts). */
/** Both providers quote per minute. */
export const MINUTE_MS = 60_000;
/** The pacing bucket holds this much of the rate: a burst of half a second after a pause, never the minute's quota at
 * once. Both providers say a per-minute limit may be enforced per second ("60,000 requests/minute may be enforced as
 * 1,000 requests/second"; "60 RPM may be enforced as 1 request per second"): half of that leaves room for jitter. */
export const BURST_MS = 500;
/** After a 429 the pace drops to this share of what it was, at most once per `BACKOFF_EVERY_MS`. */
export const BACKOFF = 0.8;
export const BACKOFF_EVERY_MS = 1000;
export const MIN_FACTOR = 0.05;
/** Share of the limit the pace regains per second without a 429. */
export const PROBE_PER_S = 0.02;

/** Refills add up in floating point (ten 0.1s make 0.9999999999999999): a hair's tolerance in comparisons. */
const EPSILON = 1e-9;

type Family = 'requests' | 'tokens' | 'inputTokens' | 'outputTokens';

/** One budget: the user's rate and the provider's, learned. */
class Allowance {
  readonly family: Family;
  readonly #costOf: (cost: RequestCost) => number;
  /** The provider gives back what a request reserved and did not use (Anthropic's output tokens). */
  readonly #refunds: boolean;
  readonly #givenPerMs: number | undefined;
  /** Learned: the limit per period, and the period (a minute, unless the resets say it is longer). */
  limit: number | undefined;
  #periodMs = MINUTE_MS;
  /** The pace, as a share of the learned rate (lowered by 429s). */
  factor = 1;
  // The pacing bucket.
  #pace = 0;
  #pacedAt: number;
  // The provider's budget as last read, less what was sent since.
  #level = Infinity;
  #levelAt = 0;
  #readingSequence = -1;
  /** Units granted so far. */
  sent = 0;
  /** Average cost of a request, for the request rate this budget allows. */
  averageCost = 0;

  constructor(
    family: Family,
    costOf: (cost: RequestCost) => number,
    refunds: boolean,
    perMinute: number | undefined,
    now: number,
  ) {
    this.family = family;
    this.#costOf = costOf;
    this.#refunds = refunds;
    this.#givenPerMs = perMinute === undefined ? undefined : perMinute / MINUTE_MS;
    this.#pacedAt = now;
    this.#pace = this.#capacity();
  }

  costOf(cost: RequestCost): number {
    return this.#costOf(cost);
  }

  get known(): boolean {
    return this.#givenPerMs !== undefined || this.limit !== undefined;
  }

  /** Units per millisecond the pace allows, or undefined when nothing is known. */
  rate(): number | undefined {
    const learned = this.limit === undefined ? undefined : (this.limit / this.#periodMs) * this.factor;
    if (this.#givenPerMs === undefined) return learned;
    return learned === undefined ? this.#givenPerMs : Math.min(this.#givenPerMs, learned);
  }

  /** The most one request may cost: more can never be admitted. */
  ceiling(): number | undefined {
    return this.limit;
  }

  /** Milliseconds until `units` may be spent (0: now). */
  waitFor(units: number, now: number): number {
    if (units <= 0) return 0;
    const rate = this.rate();
    let wait = 0;
    if (rate !== undefined) {
      this.#refill(now, rate);
      const need = Math.min(units, this.#capacity());
      if (this.#pace + EPSILON < need) wait = (need - this.#pace) / rate;
    }
    if (this.limit !== undefined && this.#level !== Infinity) {
      const restoredPerMs = this.limit / this.#periodMs;
      const level = Math.min(this.limit, this.#level + (now - this.#levelAt) * restoredPerMs);
      const need = Math.min(units, this.limit);
      if (level + EPSILON < need) wait = Math.max(wait, (need - level) / restoredPerMs);
    }
    return wait;
  }

  spend(units: number): void {
    this.#pace -= units;
    this.#level -= units;
    this.sent += units;
    this.averageCost = this.averageCost === 0 ? units : this.averageCost * 0.95 + units * 0.05;
  }

  /** The request used less than it reserved. */
  refund(units: number): void {
    if (!this.#refunds || units <= 0) return;
    this.#pace = Math.min(this.#capacity(), this.#pace + units);
    if (this.limit !== undefined) this.#level = Math.min(this.limit, this.#level + units);
  }

  /** A reading taken on the response to `permit`, the provider having admitted it at `admittedAt`. */
  learn(reading: LimitReading, permit: Permit, index: number, admittedAt: number): void {
    this.limit = reading.limit;
    const deficit = reading.limit - reading.remaining;
    // Both providers restore a per-minute budget within the minute; a longer reset says the period is longer.
    if (reading.resetMs > 2 * MINUTE_MS && deficit >= Math.max(2, reading.limit / 100)) {
      this.#periodMs = Math.max(this.#periodMs, (reading.resetMs * reading.limit) / deficit);
    }
    // Readings arrive out of order: only one about a later request than the last tells something newer.
    if (permit.sequence < this.#readingSequence) return;
    this.#readingSequence = permit.sequence;
    const sentSince = this.sent - permit.before[index]! - this.costOf(permit.cost);
    this.#level = reading.remaining - (reading.rounding ?? 0) / 2 - sentSince;
    this.#levelAt = admittedAt;
  }

  #capacity(): number {
    const rate = this.rate();
    return rate === undefined ? Infinity : Math.max(rate * BURST_MS, this.family === 'requests' ? 1 : 0);
  }

  #refill(now: number, rate: number): void {
    this.#pace = Math.min(this.#capacity(), this.#pace + Math.max(0, now - this.#pacedAt) * rate);
    this.#pacedAt = Math.max(this.#pacedAt, now);
  }
}

/**
 * What the provider stack asks of a rate limiter: the one-machine `RateLimiter` below, or the limiter every worker of
 * a distributed job shares in Redis (`distributed/shared-rate-limiter.ts`).
 */
export interface Limiter {
  /** Whether tokens must be counted for each request: a token limit is known. */
  readonly countsTokens: boolean;
  /** Waits until a request of this cost may be sent, and spends its share. */
  acquire(measure: MeasureCost): Promise<Permit> | Permit;
  /** The response is in: learn from its readings, and give back unused reserved tokens. */
  settle(permit: Permit, used: RequestCost | undefined, info: RateLimitInfo | undefined): void;
  /** A 429: nobody sends until the provider's retry hint has passed, and the pace drops. */
  refused(permit: Permit, retryAfterMs: number | undefined, info: RateLimitInfo | undefined): void;
  /** Requests per second this process may send under the known limits, or undefined. */
  allowedRequestRate(): number | undefined;
  close(): void;
}

interface Waiter {
  readonly measure: MeasureCost;
  cost: RequestCost | undefined;
  /** Whether `cost` counted the prompt. */
  counted: boolean;
  readonly grant: (permit: Permit) => void;
  readonly reject: (error: Error) => void;
}

export class RateLimiter implements Limiter {
  readonly #now: () => number;
  readonly #allowances: readonly Allowance[];
  readonly #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pausedUntil = 0;
  #sequence = 0;
  /** Nothing known yet: one request goes first, and its headers say what the others may do. */
  #probing: boolean;
  #probeOut = false;
  #lastBackoffAt = -Infinity;
  #lastProbeAt: number;
  /** Refusals (429) seen. */
  rateLimited = 0;

  constructor(options: RateLimiterOptions) {
    this.#now = options.now;
    const now = options.now();
    this.#allowances = [
      new Allowance('requests', () => 1, false, options.rpm, now),
      new Allowance('tokens', (cost) => cost.input + cost.output, false, options.tpm, now),
      new Allowance('inputTokens', (cost) => cost.input, false, undefined, now),
      new Allowance('outputTokens', (cost) => cost.output, true, undefined, now),
    ];
    this.#probing = options.rpm === undefined && options.tpm === undefined;
    this.#lastProbeAt = now;
  }

  /** Whether tokens must be counted for each request: a token limit is known. */
  get countsTokens(): boolean {
    return this.#allowances.some((allowance) => allowance.family !== 'requests' && allowance.known);
  }

  /** Waits until a request of this cost may be sent, and spends its share. Rejects with `RequestTooLargeError` when
   * no budget could ever admit it. */
  acquire(measure: MeasureCost): Promise<Permit> | Permit {
    if (this.#waiters.length > 0) return this.#enqueue(measure, undefined);
    const cost = measure(this.countsTokens);
    this.#checkSize(cost);
    return this.#waitFor(cost) === 0 ? this.#grant(cost) : this.#enqueue(measure, cost);
  }

  /** A permit if one may be had at once (nobody waiting, every budget allows it), else undefined: nothing queued. */
  tryAcquire(measure: MeasureCost): Permit | undefined {
    if (this.#waiters.length > 0) return undefined;
    const cost = measure(this.countsTokens);
    this.#checkSize(cost);
    return this.#waitFor(cost) === 0 ? this.#grant(cost) : undefined;
  }

  #enqueue(measure: MeasureCost, cost: RequestCost | undefined): Promise<Permit> {
    const counted = cost !== undefined && this.countsTokens;
    return new Promise((grant, reject) => {
      this.#waiters.push({ measure, cost, counted, grant, reject });
      this.#schedule();
    });
  }

  /** The response is in: learn from its readings, and give back unused reserved tokens. */
  settle(permit: Permit, used: RequestCost | undefined, info: RateLimitInfo | undefined): void {
    const now = this.#now();
    // A reading's figures are the provider's when it admitted the request, just after it was sent (not when the
    // answer arrived, a whole latency later).
    const admittedAt = Math.min(now, permit.sentAt + ADMIT_MARGIN_MS);
    this.#allowances.forEach((allowance, index) => {
      const reading = info?.[allowance.family];
      if (reading) allowance.learn(reading, permit, index, admittedAt);
      if (used) allowance.refund(allowance.costOf(permit.cost) - allowance.costOf(used));
    });
    this.#endProbe();
    this.#schedule();
  }

  /** A 429: nobody sends until the provider's retry hint has passed, and the pace drops. */
  refused(permit: Permit, retryAfterMs: number | undefined, info: RateLimitInfo | undefined): void {
    this.rateLimited++;
    const now = this.#now();
    this.#pausedUntil = Math.max(this.#pausedUntil, now + (retryAfterMs ?? 1000));
    if (now - this.#lastBackoffAt >= BACKOFF_EVERY_MS) {
      this.#lastBackoffAt = now;
      for (const allowance of this.#allowances) allowance.factor = Math.max(MIN_FACTOR, allowance.factor * BACKOFF);
    }
    this.settle(permit, undefined, info);
  }

  /** Requests per second the known limits allow (the tightest budget), or undefined. */
  allowedRequestRate(): number | undefined {
    let perMs: number | undefined;
    for (const allowance of this.#allowances) {
      const rate = allowance.rate();
      if (rate === undefined) continue;
      const cost = allowance.family === 'requests' ? 1 : allowance.averageCost;
      if (cost <= 0) continue;
      perMs = Math.min(perMs ?? Infinity, rate / cost);
    }
    return perMs === undefined ? undefined : perMs * 1000;
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #checkSize(cost: RequestCost): void {
    for (const allowance of this.#allowances) {
      const ceiling = allowance.ceiling();
      const units = allowance.costOf(cost);
      if (ceiling !== undefined && units > ceiling)
        throw new RequestTooLargeError(allowance.family, units, ceiling, cost);
    }
  }

  #endProbe(): void {
    this.#probing = false;
    this.#probeOut = false;
  }

  #waitFor(cost: RequestCost): number {
    if (this.#probing && this.#probeOut) return Infinity;
    const now = this.#now();
    this.#probeUp(now);
    let wait = this.#pausedUntil - now;
    for (const allowance of this.#allowances) wait = Math.max(wait, allowance.waitFor(allowance.costOf(cost), now));
    return Math.max(0, wait);
  }

  /** Without a 429 for a while, the pace climbs back towards the limit. */
  #probeUp(now: number): void {
    const elapsed = now - this.#lastProbeAt;
    if (elapsed < 100) return;
    this.#lastProbeAt = now;
    if (now - this.#lastBackoffAt < BACKOFF_EVERY_MS) return;
    for (const allowance of this.#allowances) {
      allowance.factor = Math.min(1, allowance.factor + (PROBE_PER_S * elapsed) / 1000);
    }
  }

  #grant(cost: RequestCost): Permit {
    const permit: Permit = {
      cost,
      sequence: this.#sequence++,
      before: this.#allowances.map((allowance) => allowance.sent),
      sentAt: this.#now(),
    };
    for (const allowance of this.#allowances) allowance.spend(allowance.costOf(cost));
    if (this.#probing) this.#probeOut = true;
    return permit;
  }

  #schedule(): void {
    if (this.#timer) return;
    while (this.#waiters.length > 0) {
      const head = this.#waiters[0]!;
      // Measured again once a token limit became known while it waited (the probe's headers told it).
      if (head.cost === undefined || (this.countsTokens && !head.counted)) {
        head.counted = this.countsTokens;
        head.cost = head.measure(head.counted);
      }
      const cost = head.cost;
      try {
        this.#checkSize(cost);
      } catch (error) {
        this.#waiters.shift();
        head.reject(error as Error);
        continue;
      }
      const wait = this.#waitFor(cost);
      if (wait === Infinity) return; // the probe's answer schedules again
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#schedule();
        }, Math.ceil(wait));
        return;
      }
      this.#waiters.shift();
      head.grant(this.#grant(cost));
    }
  }
}
