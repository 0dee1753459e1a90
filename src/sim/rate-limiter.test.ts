import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRateLimiter, type Admission, type RateLimitSettings } from './rate-limiter.js';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

const fixedWindow = (limits: RateLimitSettings['limits'], windowMs = 1000): RateLimitSettings => ({
  model: 'fixed-window',
  windowMs,
  enforceMs: 1000,
  limits,
});
const documented = (limits: RateLimitSettings['limits'], enforceMs = 1000): RateLimitSettings => ({
  model: 'documented',
  windowMs: 60_000,
  enforceMs,
  limits,
});

const denial = (admission: Admission) => {
  assert.ok(!admission.admitted, 'expected a refusal');
  const { family, limit, used, requested, tooLarge, retryAfterMs } = admission;
  return { family, limit, used, requested, tooLarge, retryAfterMs };
};

describe('fixed-window model', () => {
  test('a window opens with the first request and refills both budgets when it ends', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(fixedWindow({ requests: 2, tokens: 100 }), clock.now);
    assert.equal(limiter.admit({ tokens: 30 }).admitted, true);
    clock.advance(400);
    const second = limiter.admit({ tokens: 30 });
    assert.deepEqual(second.state, {
      nowMs: 1_000_400,
      budgets: {
        requests: { limit: 2, remaining: 0, resetAtMs: 1_001_000 },
        tokens: { limit: 100, remaining: 40, resetAtMs: 1_001_000 },
      },
    });
    clock.advance(100);
    assert.deepEqual(denial(limiter.admit({ tokens: 1 })), {
      family: 'requests',
      limit: 2,
      used: 2,
      requested: 1,
      tooLarge: false,
      retryAfterMs: 500,
    });
    clock.advance(500);
    assert.equal(limiter.admit({ tokens: 1 }).admitted, true);
    assert.equal(limiter.state().budgets.requests?.remaining, 1);
  });

  test('a request is refused for tokens when its cost would overrun the window, and flagged when it never could fit', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(fixedWindow({ tokens: 100 }), clock.now);
    assert.equal(limiter.admit({ tokens: 80 }).admitted, true);
    assert.deepEqual(denial(limiter.admit({ tokens: 30 })), {
      family: 'tokens',
      limit: 100,
      used: 80,
      requested: 30,
      tooLarge: false,
      retryAfterMs: 1000,
    });
    assert.equal(denial(limiter.admit({ tokens: 101 })).tooLarge, true);
    assert.equal(limiter.state().budgets.requests, undefined);
  });

  test('refused requests spend nothing, and reset forgets the window', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(fixedWindow({ requests: 1 }), clock.now);
    for (let i = 0; i < 3; i++) limiter.admit({});
    assert.equal(limiter.state().budgets.requests?.remaining, 0);
    limiter.reset();
    assert.deepEqual(limiter.state().budgets.requests, { limit: 1, remaining: 1, resetAtMs: 1_000_000 });
  });
});

describe('documented model', () => {
  test('a per-minute limit is enforced per second: 6,000 RPM admits 100 at once, not 6,000', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(documented({ requests: 6000 }), clock.now);
    const admitted = Array.from({ length: 150 }, () => limiter.admit({}).admitted).filter(Boolean).length;
    assert.equal(admitted, 100);
  });

  test('the budget is replenished continuously at limit / minute, and the headers report the minute', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(documented({ requests: 6000 }), clock.now);
    for (let i = 0; i < 100; i++) limiter.admit({});
    // 100 spent of the minute's 6,000; restored at 100 a second, so the budget is full again in one second.
    assert.deepEqual(limiter.state().budgets.requests, { limit: 6000, remaining: 5900, resetAtMs: 1_001_000 });
    clock.advance(10);
    assert.equal(limiter.admit({}).admitted, true, 'one more each 10 ms');
    assert.equal(limiter.admit({}).admitted, false);
  });

  test('requests sent evenly at the limit are all admitted, for a whole minute', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(documented({ requests: 6000 }), clock.now);
    let refused = 0;
    for (let i = 0; i < 6000; i++) {
      if (!limiter.admit({}).admitted) refused++;
      clock.advance(10);
    }
    assert.equal(refused, 0);
  });

  test('a refused request still counts against the limit: resending at once keeps failing', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(documented({ requests: 60 }), clock.now);
    assert.equal(limiter.admit({}).admitted, true);
    // 60 RPM is one a second. A client that retries every 100 ms never gets through: each refusal spends a request.
    let admitted = 0;
    for (let i = 0; i < 50; i++) {
      clock.advance(100);
      if (limiter.admit({}).admitted) admitted++;
    }
    assert.equal(admitted, 0);
    // Waiting out the penalty, then pacing at the limit, works.
    clock.advance(2000);
    assert.equal(limiter.admit({}).admitted, true);
  });

  test('the retry hint says when the request would fit', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(documented({ tokens: 60_000 }), clock.now);
    assert.equal(limiter.admit({ tokens: 1000 }).admitted, true);
    assert.deepEqual(denial(limiter.admit({ tokens: 500 })), {
      family: 'tokens',
      limit: 60_000,
      used: 1000,
      requested: 500,
      tooLarge: false,
      retryAfterMs: 500,
    });
  });

  test('a request larger than a second of the rate still goes when that budget is full; larger than the limit, never', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(documented({ tokens: 60_000 }), clock.now);
    assert.equal(limiter.admit({ tokens: 5000 }).admitted, true);
    assert.equal(limiter.admit({ tokens: 1 }).admitted, false, 'the second owes what the first took beyond it');
    clock.advance(5000);
    assert.equal(limiter.admit({ tokens: 1 }).admitted, true);
    assert.equal(denial(limiter.admit({ tokens: 60_001 })).tooLarge, true);
  });

  test('output tokens reserved from max_tokens are given back when the answer used fewer', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(documented({ 'output-tokens': 6000 }), clock.now);
    assert.equal(limiter.admit({ 'output-tokens': 100 }).admitted, true);
    assert.equal(limiter.admit({ 'output-tokens': 100 }).admitted, false);
    // The first answer took 10 of its 100.
    limiter.refund('output-tokens', 90);
    assert.equal(limiter.admit({ 'output-tokens': 90 }).admitted, true);
  });

  test('a refusal by one budget leaves the others as they were', () => {
    const clock = fakeClock();
    const limiter = createRateLimiter(documented({ requests: 6000, tokens: 60_000 }), clock.now);
    limiter.admit({ tokens: 1000 });
    const before = limiter.state().budgets.tokens?.remaining;
    assert.equal(limiter.admit({ tokens: 1000 }).admitted, false);
    assert.equal(limiter.state().budgets.tokens?.remaining, before);
  });
});
