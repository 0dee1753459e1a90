// Fixed-window rate limiting, as the simulated providers apply it: at most `rpm` requests and `tpm` tokens
// per window. A window opens with the first request after the previous one ended, so a test that shrinks
// the window to a fraction of a second still sees whole windows.

export interface RateLimits {
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  readonly windowMs: number;
}

/** What the limit headers report. Remaining budgets are `Infinity` where there is no limit. */
export interface RateLimitState {
  readonly limits: RateLimits;
  readonly requestsRemaining: number;
  readonly tokensRemaining: number;
  /** Epoch ms at which both budgets are full again (now, when nothing has been spent). */
  readonly resetAtMs: number;
  readonly nowMs: number;
}

export type Admission =
  | { readonly admitted: true; readonly state: RateLimitState }
  | {
      readonly admitted: false;
      readonly state: RateLimitState;
      /** Which budget ran out. */
      readonly limit: 'requests' | 'tokens';
      /** What the window had spent of that budget before this request. */
      readonly used: number;
      /** What this request asked for of that budget. */
      readonly requested: number;
      /** The request alone exceeds the budget: waiting will not help. */
      readonly tooLarge: boolean;
      readonly retryAfterMs: number;
    };

export interface RateLimiter {
  readonly limited: boolean;
  /** Admits a request costing `tokens`, spending from the window, or says which budget ran out. */
  admit(tokens: number): Admission;
  /** The current budgets, spending nothing. */
  state(): RateLimitState;
  /** Forgets the current window. */
  reset(): void;
}

export function createRateLimiter(limits: RateLimits, now: () => number): RateLimiter {
  const rpm = limits.rpm ?? Infinity;
  const tpm = limits.tpm ?? Infinity;
  let windowEnd = -Infinity;
  let requestsUsed = 0;
  let tokensUsed = 0;

  const stateAt = (nowMs: number): RateLimitState => {
    const open = nowMs < windowEnd;
    return {
      limits,
      requestsRemaining: open ? Math.max(0, rpm - requestsUsed) : rpm,
      tokensRemaining: open ? Math.max(0, tpm - tokensUsed) : tpm,
      resetAtMs: open ? windowEnd : nowMs,
      nowMs,
    };
  };

  return {
    limited: limits.rpm !== undefined || limits.tpm !== undefined,
    admit(tokens) {
      const nowMs = now();
      if (nowMs >= windowEnd) {
        windowEnd = nowMs + limits.windowMs;
        requestsUsed = 0;
        tokensUsed = 0;
      }
      const deny = (limit: 'requests' | 'tokens', used: number, requested: number, budget: number): Admission => ({
        admitted: false,
        state: stateAt(nowMs),
        limit,
        used,
        requested,
        tooLarge: requested > budget,
        retryAfterMs: windowEnd - nowMs,
      });
      if (requestsUsed + 1 > rpm) return deny('requests', requestsUsed, 1, rpm);
      if (tokensUsed + tokens > tpm) return deny('tokens', tokensUsed, tokens, tpm);
      requestsUsed += 1;
      tokensUsed += tokens;
      return { admitted: true, state: stateAt(nowMs) };
    },
    state: () => stateAt(now()),
    reset() {
      windowEnd = -Infinity;
      requestsUsed = 0;
      tokensUsed = 0;
    },
  };
}
