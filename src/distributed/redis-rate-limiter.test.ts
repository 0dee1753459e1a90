import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { startRedis, type TestRedis } from './redis-server.test.util.js';

let redis: TestRedis;
before(async () => (redis = await startRedis()));
after(() => redis.close());

let jobs = 0;
/** `count` workers of one job, each on its own connection, as separate processes would be. */
function workers(count: number, leaseMs?: number): RedisRateLimiter[] {
  const prefix = `llmap:test-job-${++jobs}`;
  return Array.from(
    { length: count },
    () => new RedisRateLimiter({ redis: redis.client(), prefix, ...(leaseMs ? { leaseMs } : {}) }),
  );
}

/** Each worker takes `costs` as fast as it is let for `ms`; the grants of each. */
async function race(limiters: RedisRateLimiter[], costs: Record<string, number>, ms: number): Promise<number[]> {
  const end = Date.now() + ms;
  return Promise.all(
    limiters.map(async (limiter) => {
      let granted = 0;
      while (Date.now() < end) {
        const wait = await limiter.tryTake(costs);
        if (wait === 0) granted++;
        else await sleep(Math.min(wait, end - Date.now()));
      }
      return granted;
    }),
  );
}

describe('one rate limit in Redis for all workers', () => {
  test('four workers share a request limit: together they get the limit, not four times it, each a fair share', async () => {
    const group = workers(4);
    await group[0]!.learn('requests', 1200); // 20 a second
    const grants = await race(group, { requests: 1 }, 3000);
    const total = grants.reduce((a, b) => a + b, 0);
    // 3 s at 20/s, plus the half-second burst (10) the cell allows at the start.
    assert.ok(total >= 60 && total <= 72, `granted ${total} (${grants.join(', ')})`);
    for (const share of grants) assert.ok(share >= 8, `a worker was stranded: ${grants.join(', ')}`);
  });

  test('a request draws on every budget at once: the tighter one binds, and a refused take costs nothing', async () => {
    const group = workers(2);
    await group[0]!.learn('requests', 6000); // 100 a second
    await group[1]!.learn('tokens', 60_000); // 1,000 a second: 10 requests of 100 tokens
    const grants = await race(group, { requests: 1, tokens: 100 }, 2000);
    const total = grants.reduce((a, b) => a + b, 0);
    assert.ok(total >= 18 && total <= 26, `granted ${total}: the token limit binds at ~10 a second`);
  });

  test('a limit learned by one worker paces the others from their next take', async () => {
    const [learner, other] = workers(2);
    assert.equal(await other!.tryTake({ requests: 1 }), 0, 'no limit known: nothing to wait for');
    await learner!.learn('requests', 600); // 10 a second, burst 5
    let granted = 0;
    while ((await other!.tryTake({ requests: 1 })) === 0) granted++;
    assert.ok(granted >= 4 && granted <= 6, `${granted} granted at once`);
  });

  test('a 429 seen by one worker pauses all of them until its hint, and slows the shared pace', async () => {
    const [refused, other] = workers(2);
    await refused!.learn('requests', 6000); // 100 a second, burst 50
    await refused!.refused(400);
    const wait = await other!.tryTake({ requests: 1 });
    assert.ok(wait > 300 && wait <= 400, `the other worker waits ${wait} ms`);
    await sleep(wait + 20);
    assert.equal(await other!.tryTake({ requests: 1 }), 0, 'free to go after the hint');
    // A second 429 within the second pauses again but does not cut the pace twice; the pace shows in the grants.
    await refused!.refused(0);
    const grants = await race([other!], { requests: 1 }, 2000);
    // At 0.8 of 100 a second (and 2% a second back): ~165 over 2 s, plus a burst of 40; uncut it would be 200 + 50.
    assert.ok(grants[0]! >= 170 && grants[0]! <= 225, `${grants[0]} granted after the cut`);
  });

  test('a refund gives back what a grant reserved and did not use', async () => {
    const [worker] = workers(1);
    await worker!.learn('output-tokens', 60_000); // 1,000 a second, burst 500
    assert.equal(await worker!.tryTake({ 'output-tokens': 1000 }), 0);
    assert.ok((await worker!.tryTake({ 'output-tokens': 1000 })) > 0, 'the reservation is spent');
    await worker!.refund({ 'output-tokens': 900 });
    assert.equal(await worker!.tryTake({ 'output-tokens': 100 }), 0, 'what was not used is back');
  });

  test('a request larger than the burst is still admitted once the cell has caught up', async () => {
    const [worker] = workers(1);
    await worker!.learn('tokens', 60_000); // 500 tokens of burst
    await worker!.take({ tokens: 5000 }); // five seconds' worth, in one request
    const wait = await worker!.tryTake({ tokens: 5000 });
    assert.ok(wait > 4000 && wait <= 4500, `the next waits ${wait} ms for the debt to clear`);
  });

  test('global concurrency: slots are leases over all workers; a dead worker’s expire, a live one’s are renewed', async () => {
    const [dead, live, other] = workers(3, 300);
    const held = [await dead!.tryLease(3), await dead!.tryLease(3)];
    const kept = await live!.tryLease(3);
    assert.ok(held.every(Boolean) && kept);
    assert.equal(await other!.tryLease(3), undefined, 'three in flight over all workers');
    assert.equal(await other!.inFlight(), 3);
    // The dead worker never renews nor releases; the live one renews.
    await sleep(200);
    assert.equal(await live!.renew([kept]), 1);
    await sleep(200);
    assert.equal(await other!.inFlight(), 1, 'the dead worker’s leases expired; the renewed one did not');
    const taken = [await other!.tryLease(3), await other!.tryLease(3)];
    assert.ok(taken.every(Boolean));
    await live!.release(kept);
    assert.equal(await other!.inFlight(), 2);
  });
});
