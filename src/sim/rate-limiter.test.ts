import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRateLimiter } from './rate-limiter.js';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

test('a window opens with the first request and refills both budgets when it ends', () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ rpm: 2, tpm: 100, windowMs: 1000 }, clock.now);
  assert.equal(limiter.admit(30).admitted, true);
  clock.advance(400);
  const second = limiter.admit(30);
  assert.deepEqual(second.state, {
    limits: { rpm: 2, tpm: 100, windowMs: 1000 },
    requestsRemaining: 0,
    tokensRemaining: 40,
    resetAtMs: 1_001_000,
    nowMs: 1_000_400,
  });
  clock.advance(100);
  const third = limiter.admit(1);
  assert.equal(third.admitted, false);
  assert.ok(!third.admitted);
  assert.deepEqual(
    {
      limit: third.limit,
      used: third.used,
      requested: third.requested,
      tooLarge: third.tooLarge,
      retryAfterMs: third.retryAfterMs,
    },
    { limit: 'requests', used: 2, requested: 1, tooLarge: false, retryAfterMs: 500 },
  );
  clock.advance(500);
  assert.equal(limiter.admit(1).admitted, true);
  assert.equal(limiter.state().requestsRemaining, 1);
});

test('a request is refused for tokens when its cost would overrun the window, and flagged when it never could fit', () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ rpm: undefined, tpm: 100, windowMs: 1000 }, clock.now);
  assert.equal(limiter.admit(80).admitted, true);
  const over = limiter.admit(30);
  assert.ok(!over.admitted && over.limit === 'tokens' && over.used === 80 && !over.tooLarge);
  const huge = limiter.admit(101);
  assert.ok(!huge.admitted && huge.tooLarge);
  assert.equal(limiter.state().requestsRemaining, Infinity);
});

test('refused requests spend nothing, and reset forgets the window', () => {
  const clock = fakeClock();
  const limiter = createRateLimiter({ rpm: 1, tpm: undefined, windowMs: 1000 }, clock.now);
  limiter.admit(0);
  limiter.admit(0);
  limiter.admit(0);
  assert.equal(limiter.state().requestsRemaining, 0);
  limiter.reset();
  assert.deepEqual(limiter.state(), {
    limits: { rpm: 1, tpm: undefined, windowMs: 1000 },
    requestsRemaining: 1,
    tokensRemaining: Infinity,
    resetAtMs: 1_000_000,
    nowMs: 1_000_000,
  });
});
