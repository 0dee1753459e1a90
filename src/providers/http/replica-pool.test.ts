import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryAfterMs } from './http-client.js';
import { ReplicaPool } from './replica-pool.js';

const urls = ['http://a:1/v1', 'http://b:1/v1', 'http://c:1/v1'].map((u) => new URL(u));

test('requests spread over replicas by load', () => {
  const pool = new ReplicaPool(urls);
  const picked = [pool.acquire(), pool.acquire(), pool.acquire()].map((r) => r.baseUrl.host);
  assert.deepEqual(picked.sort(), ['a:1', 'b:1', 'c:1']);
});

test('a failing replica is avoided for a cooldown, then used again', () => {
  let now = 0;
  const pool = new ReplicaPool(urls, { now: () => now, baseCooldownMs: 1000 });
  const first = pool.acquire();
  pool.release(first, false);
  const during = Array.from({ length: 6 }, () => {
    const r = pool.acquire();
    pool.release(r, true);
    return r.baseUrl.host;
  });
  assert.ok(!during.includes(first.baseUrl.host));
  now = 1001;
  const after = Array.from({ length: 6 }, () => {
    const r = pool.acquire();
    pool.release(r, true);
    return r.baseUrl.host;
  });
  assert.ok(after.includes(first.baseUrl.host));
});

test('when every replica is cooling down, the one that recovers first is used', () => {
  let now = 0;
  const pool = new ReplicaPool(urls.slice(0, 2), { now: () => now, baseCooldownMs: 1000 });
  const a = pool.acquire();
  pool.release(a, false); // a cools down until 1000
  now = 500;
  const b = pool.acquire();
  assert.notEqual(b.index, a.index);
  pool.release(b, false); // b cools down until 1500
  now = 600;
  assert.equal(pool.acquire().index, a.index);
});

test('retry hints: retry-after-ms, retry-after seconds, retry-after date', () => {
  assert.equal(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }), 250);
  assert.equal(retryAfterMs({ 'retry-after': '2' }), 2000);
  assert.equal(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4000), 6000);
  assert.equal(retryAfterMs({}), undefined);
});
