import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimitInfo } from '../providers/rate-limit-info.js';
import { RateLimiter, type Permit, type RateLimiterOptions } from './rate-limiter.js';

/** A limiter on a clock the test moves by hand (`clock.t`, in ms). */
function limiterAt(options: Omit<RateLimiterOptions, 'now'> = {}) {
  const clock = { t: 0 };
  const limiter = new RateLimiter({ ...options, now: () => clock.t });
  return { clock, limiter };
}

const granted = (value: Promise<Permit> | Permit): value is Permit => !(value instanceof Promise);

/** Whether each of `count` immediate acquires was granted at once. */
function acquireMany(limiter: RateLimiter, count: number, tokens = 0): boolean[] {
  return Array.from({ length: count }, () => granted(limiter.acquire(tokens)));
}

/** The permit, when the wait is over within `ms` of real time; 'pending' otherwise. */
async function within(wait: Promise<Permit> | Permit, ms: number): Promise<Permit | 'pending'> {
  return Promise.race([Promise.resolve(wait), sleep(ms, 'pending' as const)]);
}

/** Acquires a permit, failing when it is not granted at once. */
function acquireNow(limiter: RateLimiter, tokens = 0): Permit {
  const permit = limiter.acquire(tokens);
  assert.ok(granted(permit), 'expected a permit at once');
  return permit;
}

const requestsReading = (limit: number, remaining: number, resetMs: number): RateLimitInfo => ({
  requests: { limit, remaining, resetMs },
});

describe('rate limiter', () => {
  test('with no limits every acquire is granted at once, counting what was sent before', () => {
    const { limiter } = limiterAt();
    const permits = [5, 7, 11].map((tokens) => limiter.acquire(tokens));
    assert.deepEqual(permits, [
      { tokens: 5, requestsBefore: 0, tokensBefore: 0, sentAt: 0 },
      { tokens: 7, requestsBefore: 1, tokensBefore: 5, sentAt: 0 },
      { tokens: 11, requestsBefore: 2, tokensBefore: 12, sentAt: 0 },
    ]);
    assert.ok(acquireMany(limiter, 1000, 500).every(Boolean));
    limiter.close();
  });

  test('rpm 600 grants a burst of 10 at once, then one more each 100 ms', async () => {
    const { clock, limiter } = limiterAt({ rpm: 600 });
    assert.deepEqual(acquireMany(limiter, 10), Array<boolean>(10).fill(true));
    clock.t = 90;
    const eleventh = limiter.acquire(0);
    assert.equal(granted(eleventh), false);
    assert.equal(await within(eleventh, 30), 'pending');
    clock.t = 99;
    assert.equal(await within(eleventh, 20), 'pending');
    clock.t = 100;
    assert.deepEqual(await within(eleventh, 50), { tokens: 0, requestsBefore: 10, tokensBefore: 0, sentAt: 100 });
    assert.equal(granted(limiter.acquire(0)), false);
    limiter.close();
  });

  test('rpm alone never limits tokens', () => {
    const { limiter } = limiterAt({ rpm: 600 });
    assert.deepEqual(acquireMany(limiter, 10, 1_000_000), Array<boolean>(10).fill(true));
    limiter.close();
  });

  test('tpm limits tokens, and unused reserved tokens are given back on settle', () => {
    // tpm 6000: 100 tokens a second, a burst of 100.
    const withoutRefund = limiterAt({ tpm: 6000 });
    acquireNow(withoutRefund.limiter, 100);
    assert.equal(granted(withoutRefund.limiter.acquire(50)), false);
    withoutRefund.limiter.close();

    const withRefund = limiterAt({ tpm: 6000 });
    const permit = acquireNow(withRefund.limiter, 100);
    withRefund.limiter.settle(permit, 40, undefined);
    assert.deepEqual(acquireMany(withRefund.limiter, 2, 30), [true, true]);
    assert.equal(granted(withRefund.limiter.acquire(30)), false);
    withRefund.limiter.close();
  });

  test('a request larger than the tpm burst goes once the bucket is full', () => {
    const { limiter } = limiterAt({ tpm: 6000 });
    assert.equal(granted(limiter.acquire(250)), true);
    limiter.close();
  });

  test('a reading with nothing remaining holds every acquire until its reset, then opens a fresh window', async () => {
    const { clock, limiter } = limiterAt();
    limiter.settle(acquireNow(limiter), undefined, requestsReading(5, 0, 1000));
    clock.t = 990;
    const next = limiter.acquire(0);
    assert.equal(granted(next), false);
    assert.equal(await within(next, 30), 'pending');
    clock.t = 1000;
    assert.deepEqual(await within(next, 50), { tokens: 0, requestsBefore: 1, tokensBefore: 0, sentAt: 1000 });
    // The fresh window holds the learned limit of 5, the one just granted included.
    assert.deepEqual(acquireMany(limiter, 5), [true, true, true, true, false]);
    limiter.close();
  });

  test("a reading's reset counts from when its request was sent, not from when the answer arrived", () => {
    const { clock, limiter } = limiterAt();
    const permit = acquireNow(limiter);
    // The answer arrives 50 ms after the send; the window ends 1000 ms after admission, just after the send.
    clock.t = 50;
    limiter.settle(permit, undefined, requestsReading(5, 0, 1000));
    clock.t = 1010;
    assert.equal(granted(limiter.acquire(0)), true);
    limiter.close();
  });

  test('a reading discounts the requests sent after the one it answers', () => {
    const early = limiterAt();
    const [first] = [acquireNow(early.limiter), acquireNow(early.limiter), acquireNow(early.limiter)];
    // Remaining 3 when the first was answered, but two more have gone since: one left.
    early.limiter.settle(first, undefined, requestsReading(10, 3, 1000));
    assert.deepEqual(acquireMany(early.limiter, 4), [true, false, false, false]);
    early.limiter.close();

    const latest = limiterAt();
    const [, , third] = [acquireNow(latest.limiter), acquireNow(latest.limiter), acquireNow(latest.limiter)];
    latest.limiter.settle(third, undefined, requestsReading(10, 3, 1000));
    assert.deepEqual(acquireMany(latest.limiter, 4), [true, true, true, false]);
    latest.limiter.close();
  });

  test('a token reading limits tokens, discounting tokens sent after its request', () => {
    const { limiter } = limiterAt();
    const first = acquireNow(limiter, 100);
    acquireNow(limiter, 300);
    limiter.settle(first, 100, { tokens: { limit: 10_000, remaining: 1000, resetMs: 1000 } });
    // 1000 left after the first, 300 of it spent since: 700.
    assert.deepEqual([granted(limiter.acquire(700)), granted(limiter.acquire(1))], [true, false]);
    limiter.close();
  });

  test('a refusal pauses every acquire for its retry-after and is counted', async () => {
    const { clock, limiter } = limiterAt();
    limiter.refused(acquireNow(limiter), 500, undefined);
    assert.equal(limiter.rateLimited, 1);
    clock.t = 480;
    const next = limiter.acquire(0);
    assert.equal(granted(next), false);
    assert.equal(await within(next, 40), 'pending');
    clock.t = 500;
    assert.deepEqual(await within(next, 50), { tokens: 0, requestsBefore: 1, tokensBefore: 0, sentAt: 500 });
    assert.equal(granted(limiter.acquire(0)), true);
    limiter.close();
  });

  test('a refusal without retry-after pauses for a second', async () => {
    const { clock, limiter } = limiterAt();
    limiter.refused(acquireNow(limiter), undefined, undefined);
    clock.t = 990;
    const next = limiter.acquire(0);
    assert.equal(await within(next, 30), 'pending');
    clock.t = 1000;
    assert.deepEqual(await within(next, 50), { tokens: 0, requestsBefore: 1, tokensBefore: 0, sentAt: 1000 });
    assert.equal(limiter.rateLimited, 1);
    limiter.close();
  });

  test('allowed request rate follows rpm, a learned window, and the tighter of requests and tokens', () => {
    const none = limiterAt().limiter;
    const rpm = limiterAt({ rpm: 600 }).limiter;
    const tpm = limiterAt({ tpm: 60_000 }).limiter;
    const both = limiterAt({ rpm: 600, tpm: 6000 }).limiter;
    const learned = limiterAt().limiter;
    learned.settle(acquireNow(learned), undefined, requestsReading(5, 4, 1000));
    assert.deepEqual(
      [
        none.allowedRequestRate(100),
        rpm.allowedRequestRate(100),
        tpm.allowedRequestRate(100),
        tpm.allowedRequestRate(0),
        both.allowedRequestRate(100),
        both.allowedRequestRate(1),
        both.allowedRequestRate(0),
        learned.allowedRequestRate(100),
      ],
      [undefined, 10, 10, undefined, 1, 10, 10, 5],
    );
    for (const limiter of [none, rpm, tpm, both, learned]) limiter.close();
  });

  test('tokens are counted only once a token limit is given or reported', () => {
    const none = limiterAt().limiter;
    const rpm = limiterAt({ rpm: 600 }).limiter;
    const tpm = limiterAt({ tpm: 6000 }).limiter;
    const requestsReported = limiterAt().limiter;
    requestsReported.settle(acquireNow(requestsReported), 0, requestsReading(50, 49, 1000));
    const tokensReported = limiterAt().limiter;
    tokensReported.settle(acquireNow(tokensReported), 0, { tokens: { limit: 10_000, remaining: 9000, resetMs: 1000 } });
    assert.deepEqual(
      [none, rpm, tpm, requestsReported, tokensReported].map((limiter) => limiter.countsTokens),
      [false, false, true, false, true],
    );
    for (const limiter of [none, rpm, tpm, requestsReported, tokensReported]) limiter.close();
  });
});
