// Rate limiting as the simulated providers apply it, in one of two models.
//
// `documented` (the default) follows the providers' own documentation:
//   - OpenAI, "Rate limits" guide: limits are quoted per minute (RPM, TPM), but "rate limits can be quantized,
//     meaning they are enforced over shorter periods of time (e.g. 60,000 requests/minute may be enforced as 1,000
//     requests/second)"; `x-ratelimit-reset-*` is "the time until the rate limit (based on requests) resets to its
//     initial state"; and, from the help centre's "How can I solve 429: 'Too Many Requests' errors?": "unsuccessful
//     requests contribute to your per-minute limit, continuously resending a request won't work". Tokens are charged
//     when a request arrives, from its prompt and `max_tokens` ("usage needs are estimated from this value").
//   - Anthropic, "Rate limits": "We use the token bucket algorithm to do rate limiting. This means that your capacity
//     is continuously replenished up to your maximum limit, rather than being reset at fixed intervals"; input and
//     output tokens are limited separately (ITPM, OTPM); "OTPM rate limits are estimated based on max_tokens at the
//     beginning of each request and adjusted at the end of the request to reflect the actual number of output tokens
//     used"; `-reset` headers give "the time when the rate limit will be fully replenished, provided in RFC 3339
//     format"; token `-remaining` values are "rounded to the nearest thousand"; and "a rate of 60 requests per minute
//     may be enforced as 1 request per second".
//   So every budget is two buckets refilled continuously at limit / 60 s: the per-minute one the headers report
//   (capacity: the limit) and the one that enforces the rate over `enforceMs` (capacity: that interval's share).
//   A request must fit both; a refused request still spends one request from both.
// `fixed-window` is the simpler model earlier tests were written against: a budget per window, restored at once
//   when the window ends, refused requests spending nothing.

export type LimitModel = 'documented' | 'fixed-window';

/** A budget's name, as the headers spell it: OpenAI reports `requests` and `tokens`, Anthropic `requests`,
 * `input-tokens` and `output-tokens`. */
export type LimitFamily = 'requests' | 'tokens' | 'input-tokens' | 'output-tokens';

export interface RateLimitSettings {
  readonly model: LimitModel;
  /** Fixed-window model: the window's length. */
  readonly windowMs: number;
  /** Documented model: the interval over which the per-minute rate is enforced. */
  readonly enforceMs: number;
  /** Per family, the limit per minute (documented) or per window (fixed-window); absent: unlimited. */
  readonly limits: Readonly<Partial<Record<LimitFamily, number | undefined>>>;
}

/** One budget as the limit headers report it. */
export interface BudgetState {
  readonly limit: number;
  readonly remaining: number;
  /** Epoch ms at which the budget is full again. */
  readonly resetAtMs: number;
}

/** What the limit headers report, for the budgets that are set. */
export interface RateLimitState {
  readonly nowMs: number;
  readonly budgets: Readonly<Partial<Record<LimitFamily, BudgetState>>>;
}

/** What one request costs of each token budget; every request also costs one of `requests`. */
export type RequestCost = Readonly<Partial<Record<Exclude<LimitFamily, 'requests'>, number>>>;

export type Admission =
  | { readonly admitted: true; readonly state: RateLimitState }
  | {
      readonly admitted: false;
      readonly state: RateLimitState;
      /** Which budget ran out. */
      readonly family: LimitFamily;
      /** Its limit. */
      readonly limit: number;
      /** What the budget had spent before this request (of its per-minute or per-window figure). */
      readonly used: number;
      /** What this request asked for of that budget. */
      readonly requested: number;
      /** The request alone exceeds the budget: waiting will not help. */
      readonly tooLarge: boolean;
      readonly retryAfterMs: number;
    };

export interface RateLimiter {
  readonly limited: boolean;
  /** Admits a request, spending its cost from every budget, or says which budget ran out. */
  admit(cost: RequestCost): Admission;
  /** Gives back what an admitted request reserved and did not use (Anthropic's output tokens, once known). */
  refund(family: Exclude<LimitFamily, 'requests'>, amount: number): void;
  /** The current budgets, spending nothing. */
  state(): RateLimitState;
  /** Forgets what was spent. */
  reset(): void;
}

/** One family's budget under either model. */
interface Budget {
  readonly limit: number;
  /** Milliseconds until `cost` fits (0: now). */
  waitFor(cost: number, now: number): number;
  spend(cost: number, now: number): void;
  /** A refused request's charge (documented model only). */
  charge(cost: number, now: number): void;
  refund(amount: number, now: number): void;
  state(now: number): BudgetState;
  reset(now: number): void;
}

export function createRateLimiter(settings: RateLimitSettings, now: () => number): RateLimiter {
  const budgets = new Map<LimitFamily, Budget>();
  for (const [family, limit] of Object.entries(settings.limits) as [LimitFamily, number | undefined][]) {
    if (limit === undefined) continue;
    budgets.set(
      family,
      settings.model === 'documented'
        ? continuousBudget(limit, settings.enforceMs, now())
        : fixedWindowBudget(limit, settings.windowMs),
    );
  }
  const stateAt = (nowMs: number): RateLimitState => {
    const states: Partial<Record<LimitFamily, BudgetState>> = {};
    for (const [family, budget] of budgets) states[family] = budget.state(nowMs);
    return { nowMs, budgets: states };
  };
  const costOf = (cost: RequestCost, family: LimitFamily) => (family === 'requests' ? 1 : (cost[family] ?? 0));

  return {
    limited: budgets.size > 0,
    admit(cost) {
      const nowMs = now();
      // Every budget is checked before any is spent: a refusal by one leaves the others as they were.
      for (const [family, budget] of budgets) {
        const requested = costOf(cost, family);
        if (requested === 0) continue;
        const waitMs = budget.waitFor(requested, nowMs);
        if (waitMs === 0) continue;
        const used = Math.max(0, budget.limit - budget.state(nowMs).remaining);
        // "Unsuccessful requests contribute to your per-minute limit."
        if (settings.model === 'documented') budgets.get('requests')?.charge(1, nowMs);
        return {
          admitted: false,
          state: stateAt(nowMs),
          family,
          limit: budget.limit,
          used,
          requested,
          tooLarge: requested > budget.limit,
          retryAfterMs: waitMs,
        };
      }
      for (const [family, budget] of budgets) {
        const requested = costOf(cost, family);
        if (requested > 0) budget.spend(requested, nowMs);
      }
      return { admitted: true, state: stateAt(nowMs) };
    },
    refund(family, amount) {
      if (amount > 0) budgets.get(family)?.refund(amount, now());
    },
    state: () => stateAt(now()),
    reset() {
      const nowMs = now();
      for (const budget of budgets.values()) budget.reset(nowMs);
    },
  };
}

/** A bucket refilled continuously at `perMs` up to `capacity`. */
class Bucket {
  level: number;
  #at: number;
  constructor(
    readonly capacity: number,
    readonly perMs: number,
    at: number,
  ) {
    this.level = capacity;
    this.#at = at;
  }
  refill(now: number): void {
    if (now > this.#at) this.level = Math.min(this.capacity, this.level + (now - this.#at) * this.perMs);
    this.#at = Math.max(this.#at, now);
  }
  /** Milliseconds until `need` is in the bucket. */
  waitFor(need: number): number {
    return this.level >= need ? 0 : (need - this.level) / this.perMs;
  }
  fill(now: number): void {
    this.level = this.capacity;
    this.#at = now;
  }
}

const MINUTE_MS = 60_000;

/**
 * The documented model: a per-minute bucket (what the headers report) and a bucket holding `enforceMs` worth of the
 * rate (what a burst meets). A request fits when the minute's bucket holds its whole cost and the short bucket holds
 * it or is full: a request larger than a second's share still goes, and the short bucket then owes the difference.
 */
function continuousBudget(limit: number, enforceMs: number, at: number): Budget {
  const perMs = limit / MINUTE_MS;
  const minute = new Bucket(limit, perMs, at);
  const short = new Bucket(Math.max(1, Math.min(limit, limit * (enforceMs / MINUTE_MS))), perMs, at);
  const refill = (now: number) => {
    minute.refill(now);
    short.refill(now);
  };
  return {
    limit,
    waitFor(cost, now) {
      refill(now);
      if (cost > limit) return MINUTE_MS;
      return Math.max(minute.waitFor(cost), short.waitFor(Math.min(cost, short.capacity)));
    },
    spend(cost, now) {
      refill(now);
      minute.level -= cost;
      short.level -= cost;
    },
    charge(cost, now) {
      refill(now);
      minute.level = Math.max(0, minute.level - cost);
      short.level = Math.max(-short.capacity, short.level - cost);
    },
    refund(amount, now) {
      refill(now);
      minute.level = Math.min(minute.capacity, minute.level + amount);
      short.level = Math.min(short.capacity, short.level + amount);
    },
    state(now) {
      refill(now);
      const level = Math.max(0, minute.level);
      return { limit, remaining: Math.floor(level), resetAtMs: now + (limit - level) / perMs };
    },
    reset(now) {
      minute.fill(now);
      short.fill(now);
    },
  };
}

/** A budget per window; a window opens with the first request after the previous one ended, so a test that shrinks
 * the window to a fraction of a second still sees whole windows. */
function fixedWindowBudget(limit: number, windowMs: number): Budget {
  let windowEnd = -Infinity;
  let used = 0;
  const open = (now: number) => {
    if (now >= windowEnd) {
      windowEnd = now + windowMs;
      used = 0;
    }
  };
  return {
    limit,
    waitFor(cost, now) {
      open(now);
      return used + cost > limit ? windowEnd - now : 0;
    },
    spend(cost, now) {
      open(now);
      used += cost;
    },
    charge: () => undefined,
    refund(amount) {
      used = Math.max(0, used - amount);
    },
    state(now) {
      const isOpen = now < windowEnd;
      return {
        limit,
        remaining: isOpen ? Math.max(0, limit - used) : limit,
        resetAtMs: isOpen ? windowEnd : now,
      };
    },
    reset() {
      windowEnd = -Infinity;
      used = 0;
    },
  };
}
