import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrencyController, type ConcurrencyOptions } from './concurrency.js';
import { RateLimiter } from './rate-limiter.js';
import { Slots } from './slots.js';

function controlled(options: Partial<ConcurrencyOptions> & { rpm?: number } = {}) {
  const slots = new Slots(1);
  const limiter = new RateLimiter({ ...(options.rpm === undefined ? {} : { rpm: options.rpm }), now: () => 0 });
  const controller = new ConcurrencyController(slots, limiter, {
    fixed: options.fixed,
    max: options.max ?? 1000,
  });
  const close = () => {
    controller.close();
    limiter.close();
  };
  return { slots, limiter, controller, close };
}

/** Holds free slots until every one of the current limit is taken. */
function saturate(slots: Slots): void {
  while (slots.active < slots.limit) assert.equal(slots.acquire(), undefined);
}

describe('concurrency controller', () => {
  test('a fixed size is set on the slots', () => {
    const { slots, controller, close } = controlled({ fixed: 5 });
    assert.deepEqual([slots.limit, controller.limit], [5, 5]);
    close();
  });

  test('a fixed size does not tune itself, where a tuned one does within a tick', async () => {
    const fixed = controlled({ fixed: 5, max: 100 });
    const tuned = controlled({ max: 100 });
    for (const { slots, controller } of [fixed, tuned]) {
      controller.completed(50, false);
      saturate(slots);
    }
    await sleep(150);
    assert.deepEqual([fixed.slots.limit, tuned.slots.limit], [5, 100]);
    fixed.close();
    tuned.close();
  });

  test('a fixed size stays put even when tick() is called', () => {
    const { slots, controller, close } = controlled({ fixed: 5, rpm: 6000 });
    saturate(slots);
    controller.completed(50, true);
    controller.tick();
    controller.completed(50, false);
    controller.tick();
    assert.equal(slots.limit, 5);
    close();
  });

  test('tuning starts at 32, or at max when lower', () => {
    const wide = controlled({ max: 100 });
    const narrow = controlled({ max: 8 });
    assert.deepEqual([wide.slots.limit, narrow.slots.limit], [32, 8]);
    wide.close();
    narrow.close();
  });

  test('before any answer it holds at the start, even when saturated', () => {
    const { slots, controller, close } = controlled({ max: 100 });
    saturate(slots);
    controller.tick();
    assert.equal(slots.limit, 32);
    close();
  });

  test('once answers come back with no limit known, full slots send it to max', () => {
    const { slots, controller, close } = controlled({ max: 100 });
    controller.completed(50, false);
    const limits: number[] = [];
    // Not saturated: it holds.
    controller.tick();
    limits.push(slots.limit);
    saturate(slots);
    controller.tick();
    limits.push(slots.limit);
    assert.deepEqual(limits, [32, 100]);
    close();
  });

  test('after going to max, a refusal halves it, and it grows back by an eighth per saturated tick (AIMD)', () => {
    const { slots, controller, close } = controlled({ max: 100 });
    controller.completed(50, false);
    saturate(slots);
    controller.tick();
    const limits: number[] = [];
    controller.completed(50, true);
    controller.tick();
    limits.push(slots.limit);
    // 32 in flight of 50: not saturated.
    controller.tick();
    limits.push(slots.limit);
    saturate(slots);
    controller.tick();
    limits.push(slots.limit);
    assert.deepEqual(limits, [50, 50, 56]);
    close();
  });

  test('a refusal halves it at the next tick, even when saturated', () => {
    const { slots, controller, close } = controlled({ max: 100 });
    saturate(slots);
    const limits: number[] = [];
    controller.completed(50, true);
    controller.tick();
    limits.push(slots.limit);
    controller.completed(50, true);
    controller.tick();
    limits.push(slots.limit);
    assert.deepEqual(limits, [16, 8]);
    close();
  });

  test('a refusal is forgotten after the tick that acted on it', () => {
    const { slots, controller, close } = controlled({ max: 100 });
    controller.completed(50, true);
    controller.tick();
    controller.tick();
    assert.equal(slots.limit, 16);
    close();
  });

  test('halving never goes below 1', () => {
    const { slots, controller, close } = controlled({ max: 1 });
    controller.completed(50, true);
    controller.tick();
    assert.equal(slots.limit, 1);
    close();
  });

  test("with a known rate and latency, a tick sizes it by Little's law with headroom", () => {
    // rpm 6000: 100 requests a second; 50 ms each: 5 in flight, × 1.5 headroom, rounded up, plus 1.
    const { slots, controller, close } = controlled({ rpm: 6000, max: 100 });
    for (let i = 0; i < 3; i++) controller.completed(50, false);
    controller.tick();
    assert.equal(slots.limit, 9);
    close();
  });

  test("Little's law follows a moving average of latency", () => {
    const { slots, controller, close } = controlled({ rpm: 6000, max: 100 });
    // 50 then 150: 50 × 0.9 + 150 × 0.1 = 60 ms → ceil(100 × 0.06 × 1.5) + 1 = 10.
    controller.completed(50, false);
    controller.completed(150, false);
    controller.tick();
    assert.equal(slots.limit, 10);
    close();
  });

  test("Little's law is capped at max, and a refusal still halves", () => {
    const capped = controlled({ rpm: 6000, max: 5 });
    capped.controller.completed(50, false);
    capped.controller.tick();
    const refused = controlled({ rpm: 6000, max: 100 });
    refused.controller.completed(50, true);
    refused.controller.tick();
    assert.deepEqual([capped.slots.limit, refused.slots.limit], [5, 16]);
    capped.close();
    refused.close();
  });

  test('a token limit tightens the rate it sizes from', () => {
    // tpm 60000 at 1000 tokens a request: 1 request a second, 50 ms each: ceil(0.075) + 1 = 2.
    const slots = new Slots(1);
    const limiter = new RateLimiter({ rpm: 6000, tpm: 60_000, now: () => 0 });
    const controller = new ConcurrencyController(slots, limiter, { fixed: undefined, max: 100 });
    // The limiter averages what requests reserve: here 1,000 tokens each.
    limiter.tryAcquire(() => ({ input: 1000, output: 0 }));
    controller.completed(50, false);
    controller.tick();
    assert.equal(slots.limit, 2);
    controller.close();
    limiter.close();
  });

  test('a known rate without any latency yet holds at the start when saturated', () => {
    const { slots, controller, close } = controlled({ rpm: 6000, max: 100 });
    saturate(slots);
    controller.tick();
    assert.equal(slots.limit, 32);
    close();
  });
});
