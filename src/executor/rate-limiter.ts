// Requests and tokens per window, kept under the provider's limits without being told them. Two sources, both
// applied: limits the user gives (`--rpm`, `--tpm`: a token bucket refilled continuously, one second's worth of
// burst), and limits the provider reports on every response (`x-ratelimit-*`, `anthropic-ratelimit-*`): what is
// left of the window, less what was sent since, and when it is full again. A 429 pauses everyone until its
// retry-after has passed, so one refusal does not become a storm. Tokens are reserved before sending (prompt
// tokens counted plus `max_tokens`) and the difference is given back once usage is known.

import type { LimitReading, RateLimitInfo } from '../providers/rate-limit-info.js';

export interface RateLimiterOptions {
  /** Requests per minute the user knows of. */
  readonly rpm?: number;
  /** Tokens per minute the user knows of. */
  readonly tpm?: number;
  readonly now: () => number;
}

/** A permit for one request: hand it back with `settle` when the response (or failure) is in. */
export interface Permit {
  readonly tokens: number;
  /** Requests and tokens sent before this one, to discount readings taken after it. */
  readonly requestsBefore: number;
  readonly tokensBefore: number;
  /** When the permit was granted: the provider admitted the request soon after. */
  readonly sentAt: number;
}

/** Added to a send time to stand for the moment the provider admitted the request (network and queueing). */
const RESET_MARGIN_MS = 10;

/** Readings whose resets are this close describe the same window (network jitter apart). */
const SAME_WINDOW_MS = 50;

/** One allowance, requests or tokens: the user's bucket and the provider's window. */
class Allowance {
  // Given: a continuously refilled bucket.
  readonly #rate: number | undefined;
  readonly #capacity: number;
  #level: number;
  #refilledAt: number;
  // Learned: the provider's window.
  limit: number | undefined;
  #remaining = Infinity;
  #resetAt = 0;
  /** The longest reset seen: the window's length, near enough. */
  windowMs = 0;

  constructor(perMinute: number | undefined, now: number) {
    this.#rate = perMinute === undefined ? undefined : perMinute / 60_000;
    this.#capacity = perMinute === undefined ? Infinity : Math.max(1, perMinute / 60);
    this.#level = this.#capacity;
    this.#refilledAt = now;
  }

  /** Milliseconds until `cost` may be spent (0: now). */
  waitFor(cost: number, now: number): number {
    if (now >= this.#resetAt && this.limit !== undefined) {
      // The window is over: a fresh one (of the length seen so far) starts with the next request.
      this.#remaining = this.limit;
      this.#resetAt = now + (this.windowMs || 1000);
    }
    let wait = 0;
    if (this.#rate !== undefined) {
      this.#level = Math.min(this.#capacity, this.#level + (now - this.#refilledAt) * this.#rate);
      this.#refilledAt = now;
      const need = Math.min(cost, this.#capacity);
      if (this.#level < need) wait = Math.max(wait, (need - this.#level) / this.#rate);
    }
    // A request larger than the whole window still goes once the window is fresh: the provider will say no.
    if (this.#remaining < Math.min(cost, this.limit ?? Infinity)) wait = Math.max(wait, this.#resetAt - now);
    return Math.max(0, wait);
  }

  spend(cost: number): void {
    this.#level -= cost;
    this.#remaining -= cost;
  }

  refund(amount: number): void {
    if (this.#rate !== undefined) this.#level = Math.min(this.#capacity, this.#level + amount);
  }

  /** A reading taken when `sentSince` more had been sent after the request it answers. */
  learn(reading: LimitReading, sentSince: number, now: number): void {
    this.limit = reading.limit;
    this.windowMs = Math.max(this.windowMs, reading.resetMs);
    if (reading.resetMs <= 0) return;
    const resetAt = now + reading.resetMs;
    const remaining = reading.remaining - sentSince;
    // Readings arrive out of order. One about an older window is ignored; within a window the lowest estimate wins.
    if (resetAt < this.#resetAt - SAME_WINDOW_MS) return;
    if (resetAt > this.#resetAt + SAME_WINDOW_MS) {
      this.#resetAt = resetAt;
      this.#remaining = remaining;
    } else {
      this.#remaining = Math.min(this.#remaining, remaining);
      this.#resetAt = Math.max(this.#resetAt, resetAt);
    }
  }

  /** Allowed units per millisecond, when a limit is known. */
  rate(): number | undefined {
    const learned = this.limit !== undefined && this.windowMs > 0 ? this.limit / this.windowMs : undefined;
    if (this.#rate === undefined) return learned;
    return learned === undefined ? this.#rate : Math.min(this.#rate, learned);
  }
}

export class RateLimiter {
  readonly #now: () => number;
  readonly #requests: Allowance;
  readonly #tokens: Allowance;
  readonly #waiters: { tokens: number; grant: (permit: Permit) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pausedUntil = 0;
  #requestsSent = 0;
  #tokensSent = 0;
  /** Refusals (429) seen. */
  rateLimited = 0;

  constructor(options: RateLimiterOptions) {
    this.#now = options.now;
    this.#requests = new Allowance(options.rpm, options.now());
    this.#tokens = new Allowance(options.tpm, options.now());
  }

  /** Whether tokens must be counted for each request: a token limit is known. */
  get countsTokens(): boolean {
    return this.#tokens.rate() !== undefined || this.#tokens.limit !== undefined;
  }

  /** Waits until a request costing `tokens` may be sent, and spends its share. */
  acquire(tokens: number): Promise<Permit> | Permit {
    if (this.#waiters.length === 0 && this.#waitFor(tokens) === 0) return this.#grant(tokens);
    return new Promise((grant) => {
      this.#waiters.push({ tokens, grant });
      this.#schedule();
    });
  }

  /** The response is in: learn from its readings, and give back unused reserved tokens. */
  settle(permit: Permit, usedTokens: number | undefined, info: RateLimitInfo | undefined): void {
    const now = this.#now();
    // A reading's reset counts from when the provider admitted the request, just after it was sent (not from when
    // the answer arrived, a whole latency later): waiting from arrival would idle one latency per window.
    const admittedAt = Math.min(now, permit.sentAt + RESET_MARGIN_MS);
    if (info?.requests) {
      this.#requests.learn(info.requests, this.#requestsSent - permit.requestsBefore - 1, admittedAt);
    }
    if (info?.tokens) {
      this.#tokens.learn(info.tokens, this.#tokensSent - permit.tokensBefore - permit.tokens, admittedAt);
    }
    if (usedTokens !== undefined && usedTokens < permit.tokens) this.#tokens.refund(permit.tokens - usedTokens);
    this.#schedule();
  }

  /** A 429: nobody sends until the provider's retry hint has passed. */
  refused(permit: Permit, retryAfterMs: number | undefined, info: RateLimitInfo | undefined): void {
    this.rateLimited++;
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#now() + (retryAfterMs ?? 1000));
    this.settle(permit, undefined, info);
  }

  /** Requests per second the known limits allow (the tighter of requests and tokens), or undefined. */
  allowedRequestRate(averageTokens: number): number | undefined {
    const requests = this.#requests.rate();
    const tokens = this.#tokens.rate();
    const byTokens = tokens === undefined || averageTokens <= 0 ? undefined : tokens / averageTokens;
    const perMs = requests === undefined ? byTokens : byTokens === undefined ? requests : Math.min(requests, byTokens);
    return perMs === undefined ? undefined : perMs * 1000;
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #waitFor(tokens: number): number {
    const now = this.#now();
    return Math.max(this.#pausedUntil - now, this.#requests.waitFor(1, now), this.#tokens.waitFor(tokens, now));
  }

  #grant(tokens: number): Permit {
    const permit = { tokens, requestsBefore: this.#requestsSent, tokensBefore: this.#tokensSent, sentAt: this.#now() };
    this.#requests.spend(1);
    this.#tokens.spend(tokens);
    this.#requestsSent++;
    this.#tokensSent += tokens;
    return permit;
  }

  #schedule(): void {
    if (this.#timer) return;
    while (this.#waiters.length > 0) {
      const head = this.#waiters[0]!;
      const wait = this.#waitFor(head.tokens);
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#schedule();
        }, Math.ceil(wait));
        return;
      }
      this.#waiters.shift();
      head.grant(this.#grant(head.tokens));
    }
  }
}
