import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import { retryDelay, withRetry, type RetryPolicy } from './retry.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
const retryable = (retryAfterMs?: number) =>
  new ApiCallError({ message: 'x', isRetryable: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });

describe('retry', () => {
  test('backoff grows exponentially with jitter, capped', () => {
    assert.equal(
      retryDelay(retryable(), 1, policy, () => 0),
      50,
    );
    assert.equal(
      retryDelay(retryable(), 1, policy, () => 1),
      100,
    );
    assert.equal(
      retryDelay(retryable(), 3, policy, () => 1),
      400,
    );
    assert.equal(
      retryDelay(retryable(), 10, policy, () => 1),
      1000,
    );
  });

  test("the server's retry-after wins, within bounds", () => {
    assert.equal(
      retryDelay(retryable(1234), 1, policy, () => 0),
      1234,
    );
    assert.equal(
      retryDelay(retryable(60_000), 1, policy, () => 0),
      5000,
    );
  });

  test('sleeps between attempts and succeeds when a later attempt does', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await withRetry(
      () => (++calls < 3 ? Promise.reject(retryable(7)) : Promise.resolve('done')),
      policy,
      { sleep: (ms) => (slept.push(ms), Promise.resolve()), random: () => 0 },
    );
    assert.deepEqual(result, { ok: true, value: 'done', attempts: 3 });
    assert.deepEqual(slept, [7, 7]);
  });

  test('errors that are not ApiCallErrors are not retried', async () => {
    const result = await withRetry(() => Promise.reject(new TypeError('bug')), policy, {
      sleep: () => Promise.resolve(),
      random: () => 0,
    });
    assert.equal(result.ok, false);
    assert.equal(result.attempts, 1);
  });

  test('gives up after maxAttempts', async () => {
    const result = await withRetry(() => Promise.reject(retryable()), policy, {
      sleep: () => Promise.resolve(),
      random: () => 0,
    });
    assert.equal(result.attempts, 4);
  });
});
