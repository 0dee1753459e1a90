import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimitInfo } from '../providers/rate-limit-info.js';
import { RateLimiter, type Permit, type RateLimiterOptions, type RequestCost } from './rate-limiter.js';
import { RequestTooLargeError } from './request-too-large-error.js';

/** A limiter on a clock the test moves by hand (`clock.t`, in ms). */
function limiterAt(options: Omit<RateLimiterOptions, 'now'> = {}) {
  const clock = { t: 0 };
  const limiter = new RateLimiter({ ...options, now: () => clock.t });
  return { clock, limiter };
}

const cost =
  (input = 0, output = 0) =>
  (): RequestCost => ({ input, output });
const granted = (value: Promise<Permit> | Permit): value is Permit => !(value instanceof Promise);

/** Whether each of `count` tries was granted at once. */
function acquireMany(limiter: RateLimiter, count: number, input = 0, output = 0): boolean[] {
  return Array.from({ length: count }, () => limiter.tryAcquire(cost(input, output)) !== undefined);
}

/** The permit, when the wait is over within `ms` of real time; 'pending' otherwise. */
async function within(wait: Promise<Permit> | Permit, ms: number): Promise<Permit | 'pending'> {
  return Promise.race([Promise.resolve(wait), sleep(ms, 'pending' as const)]);
}

/** Acquires a permit, failing when it is not granted at once. */
function acquireNow(limiter: RateLimiter, input = 0, output = 0): Permit {
  const permit = limiter.acquire(cost(input, output));
  assert.ok(granted(permit), 'expected a permit at once');
  return permit;
}

const requestsReading = (limit: number, remaining: number, resetMs = 10): RateLimitInfo => ({
  requests: { limit, remaining, resetMs },
});

/** A limiter that has learned `info` from its first (probe) request, on a clock at 0. */
function learned(info: RateLimitInfo) {
  const at = limiterAt();
  at.limiter.settle(acquireNow(at.limiter), { input: 0, output: 0 }, info);
  return at;
}

/** How many acquires of `input` tokens are granted over `ms` of the hand-moved clock, stepping 1 ms. */
function grantsOver(at: ReturnType<typeof limiterAt>, ms: number, input = 0): number {
  let grants = 0;
  for (const end = at.clock.t + ms; at.clock.t < end; at.clock.t++) {
    while (at.limiter.tryAcquire(cost(input))) grants++;
  }
  return grants;
}

describe('rate limiter', () => {
  test('with nothing known, the first request goes alone; its answer without limits frees everyone', async () => {
    const { limiter } = limiterAt();
    const probe = acquireNow(limiter);
    const second = limiter.acquire(cost());
    assert.equal(await within(second, 20), 'pending');
    limiter.settle(probe, { input: 0, output: 0 }, undefined);
    assert.notEqual(await within(second, 50), 'pending');
    assert.ok(acquireMany(limiter, 1000, 500).every(Boolean));
    limiter.close();
  });

  test('a learned per-minute limit is a pace, not a burst: 6,000 RPM sends half a second’s 50 at once, then one per 10 ms', () => {
    const at = learned(requestsReading(6000, 5999));
    // Were the quota a burst, 5,999 would go at once.
    assert.equal(grantsOver(at, 1), 50);
    assert.equal(grantsOver(at, 1000), 100);
    at.limiter.close();
  });

  test('the pace is the limit per minute over a long run, the first half second’s burst apart', () => {
    const at = learned(requestsReading(600, 599));
    // 5 at once, then one each 100 ms.
    assert.equal(grantsOver(at, 60_000), 5 + 599);
    at.limiter.close();
  });

  test('remaining is a ceiling: a quota that another client spends is respected', () => {
    // 6,000 RPM, but only 3 left: after those, one more each 10 ms as the budget is restored.
    const at = learned(requestsReading(6000, 3));
    assert.deepEqual(acquireMany(at.limiter, 4), [true, true, true, false]);
    at.clock.t = 10;
    assert.deepEqual(acquireMany(at.limiter, 2), [true, false]);
    at.limiter.close();
  });

  test('a reading discounts the requests sent after the one it answers', () => {
    const { limiter } = limiterAt({ rpm: 600_000 });
    const [first] = [acquireNow(limiter), acquireNow(limiter), acquireNow(limiter)];
    // Remaining 3 when the first was answered, but two more have gone since: one left.
    limiter.settle(first, undefined, requestsReading(600_000, 3));
    assert.deepEqual(acquireMany(limiter, 2), [true, false]);
    limiter.close();
  });

  test('a reading about an earlier request than the last one read is not taken over a newer one', () => {
    const { limiter } = limiterAt({ rpm: 600_000 });
    const [first, second] = [acquireNow(limiter), acquireNow(limiter)];
    limiter.settle(second, undefined, requestsReading(600_000, 100));
    // Arrives late, about the first request, and says less was left: the newer reading stands.
    limiter.settle(first, undefined, requestsReading(600_000, 1));
    assert.deepEqual(acquireMany(limiter, 3), [true, true, true]);
    limiter.close();
  });

  test('a token limit paces by tokens: a request larger than the burst waits for the bucket to fill', () => {
    // 60,000 tokens per minute: 1 a millisecond, a burst of 100.
    const at = learned({ tokens: { limit: 60_000, remaining: 59_999, resetMs: 1 } });
    assert.equal(grantsOver(at, 10_000, 500), 20);
    at.limiter.close();
  });

  test('tokens reserved are given back only where the provider does (Anthropic output tokens), not for OpenAI', () => {
    // 60,000 a minute: a burst of 500. The first request reserves 400 of it, its answer uses none of its 200 output.
    const openAi = learned({ tokens: { limit: 60_000, remaining: 59_000, resetMs: 1000 } });
    openAi.limiter.settle(acquireNow(openAi.limiter, 200, 200), { input: 200, output: 0 }, undefined);
    assert.deepEqual(acquireMany(openAi.limiter, 1, 150, 150), [false]);
    openAi.limiter.close();

    const anthropic = learned({ outputTokens: { limit: 60_000, remaining: 59_000, resetMs: 1000, rounding: 1000 } });
    anthropic.limiter.settle(acquireNow(anthropic.limiter, 0, 400), { input: 0, output: 0 }, undefined);
    assert.deepEqual(acquireMany(anthropic.limiter, 1, 0, 300), [true]);
    anthropic.limiter.close();
  });

  test('a request no budget can ever admit is refused with the reason, before and while waiting', async () => {
    const at = learned({ tokens: { limit: 30_000, remaining: 29_000, resetMs: 1000 } });
    assert.throws(
      () => at.limiter.acquire(cost(40_000, 1000)),
      (error: unknown) => {
        assert.ok(error instanceof RequestTooLargeError);
        assert.match(
          error.message,
          /needs 41,000 tokens \(prompt 40,000 \+ max_tokens 1,000\) but the provider allows 30,000 tokens per minute: it can never be admitted/,
        );
        return true;
      },
    );
    // Waiting behind the probe when the limit is learned.
    const fresh = limiterAt();
    const probe = acquireNow(fresh.limiter);
    const waiting = Promise.resolve(fresh.limiter.acquire(cost(40_000)));
    fresh.limiter.settle(probe, undefined, { tokens: { limit: 30_000, remaining: 29_000, resetMs: 1000 } });
    await assert.rejects(waiting, RequestTooLargeError);
    for (const limiter of [at.limiter, fresh.limiter]) limiter.close();
  });

  test('prompt tokens are measured again once the probe has made a token limit known', async () => {
    const { limiter } = limiterAt();
    const probe = acquireNow(limiter);
    const measured: boolean[] = [];
    const waiting = limiter.acquire(
      (countInput) => (measured.push(countInput), { input: countInput ? 10 : 0, output: 0 }),
    );
    limiter.settle(probe, undefined, { tokens: { limit: 60_000, remaining: 59_000, resetMs: 1000 } });
    const permit = await within(waiting, 50);
    assert.notEqual(permit, 'pending');
    assert.deepEqual(measured, [false, true]);
    assert.deepEqual((permit as Permit).cost, { input: 10, output: 0 });
    limiter.close();
  });

  test('a refusal pauses every acquire for its retry-after, lowers the pace, and the pace climbs back', async () => {
    const at = learned(requestsReading(6000, 5999));
    const { clock, limiter } = at;
    limiter.refused(acquireNow(limiter), 500, undefined);
    assert.equal(limiter.rateLimited, 1);
    clock.t = 480;
    const next = limiter.acquire(cost());
    assert.equal(await within(next, 30), 'pending');
    clock.t = 500;
    assert.notEqual(await within(next, 50), 'pending');
    assert.equal(Math.round(limiter.allowedRequestRate()!), 80);
    clock.t = 20_000;
    limiter.tryAcquire(cost());
    assert.equal(Math.round(limiter.allowedRequestRate()!), 100);
    limiter.close();
  });

  test('a refusal without retry-after pauses for a second', async () => {
    const { clock, limiter } = limiterAt({ rpm: 6000 });
    limiter.refused(acquireNow(limiter), undefined, undefined);
    clock.t = 990;
    const next = limiter.acquire(cost());
    assert.equal(await within(next, 30), 'pending');
    clock.t = 1000;
    assert.notEqual(await within(next, 50), 'pending');
    limiter.close();
  });

  test('allowed request rate follows rpm, learned limits, and the tightest budget at its average cost', () => {
    const none = limiterAt().limiter;
    const rpm = limiterAt({ rpm: 600 }).limiter;
    const tpm = limiterAt({ tpm: 60_000 }).limiter;
    acquireNow(tpm, 100);
    const both = limiterAt({ rpm: 600, tpm: 6000 }).limiter;
    acquireNow(both, 100);
    const fromHeaders = learned(requestsReading(300, 299)).limiter;
    assert.deepEqual(
      [none, rpm, tpm, both, fromHeaders].map((limiter) => limiter.allowedRequestRate()),
      [undefined, 10, 10, 1, 5],
    );
    for (const limiter of [none, rpm, tpm, both, fromHeaders]) limiter.close();
  });

  test('tokens are counted only once a token limit is given or reported', () => {
    const none = limiterAt().limiter;
    const rpm = limiterAt({ rpm: 600 }).limiter;
    const tpm = limiterAt({ tpm: 6000 }).limiter;
    const requestsReported = learned(requestsReading(50, 49)).limiter;
    const tokensReported = learned({ inputTokens: { limit: 10_000, remaining: 9000, resetMs: 1000 } }).limiter;
    assert.deepEqual(
      [none, rpm, tpm, requestsReported, tokensReported].map((limiter) => limiter.countsTokens),
      [false, false, true, false, true],
    );
    for (const limiter of [none, rpm, tpm, requestsReported, tokensReported]) limiter.close();
  });
});
