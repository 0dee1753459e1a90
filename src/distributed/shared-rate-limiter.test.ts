import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Permit } from '../executor/rate-limiter.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { startRedis, type TestRedis } from './redis-server.test.util.js';
import { SharedRateLimiter } from './shared-rate-limiter.js';

const reading = (limit: number) => ({ requests: { limit, remaining: limit - 1, resetMs: 1000 } });
const cost = () => ({ input: 0, output: 0 });

describe('the rate limiter workers share in Redis', () => {
  let redis: TestRedis;
  before(async () => (redis = await startRedis()));
  after(async () => redis.close());

  const open = (prefix: string) =>
    SharedRateLimiter.open({ limits: new RedisRateLimiter({ redis: redis.client(), prefix }), now: Date.now });

  test('a limit one worker learns from its headers paces both: together they send at the limit, not twice it', async () => {
    const [a, b] = [await open('llmap:job:pace'), await open('llmap:job:pace')];
    // The first request of each goes alone (nothing known); a's answer carries the limit: 1,200 a minute.
    a.settle(await a.acquire(cost), cost(), reading(1200));
    b.settle(await b.acquire(cost), cost(), undefined);
    await new Promise((r) => setTimeout(r, 600)); // the learned limit reaches b's snapshot
    let granted = 0;
    const until = Date.now() + 2000;
    const send = async (limiter: SharedRateLimiter) => {
      while (Date.now() < until) {
        const permit: Permit = await limiter.acquire(cost);
        if (Date.now() <= until) granted++;
        limiter.settle(permit, cost(), undefined);
      }
    };
    await Promise.all([send(a), send(b), send(a), send(b)]);
    // 20/s for 2 s plus half a second of burst: 50 at most, whatever the number of workers.
    assert.ok(granted >= 38 && granted <= 52, `granted ${granted}`);
    // Each sizes its concurrency from its share of the rate.
    assert.equal(a.allowedRequestRate(), 10);
    a.close();
    b.close();
  });

  test("one worker's 429 pauses the other until the retry hint has passed", async () => {
    const [a, b] = [await open('llmap:job:pause'), await open('llmap:job:pause')];
    a.settle(await a.acquire(cost), cost(), reading(60_000));
    b.settle(await b.acquire(cost), cost(), reading(60_000));
    a.refused(await a.acquire(cost), 1500, undefined);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    b.settle(await b.acquire(cost), cost(), undefined);
    const waited = Date.now() - started;
    assert.ok(waited >= 1200 && waited < 2500, `b waited ${waited} ms`);
    a.close();
    b.close();
  });
});
