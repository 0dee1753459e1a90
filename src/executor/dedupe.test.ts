import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RowOutcome } from './answer-row.js';
import { InFlightDedupe } from './dedupe.js';

const outcome = (answer: string): RowOutcome => ({
  status: 'ok',
  answer,
  attempts: 1,
  latencyMs: 40,
  inputTokens: 10,
  outputTokens: 5,
  model: 'm',
  providerRequestId: 'req-1',
  cached: false,
  finishedAt: 1_000,
});

/** An `ask` whose calls are settled by hand, in the order they were made, counting its calls. */
function manualAsk() {
  const calls: { resolve: (outcome: RowOutcome) => void; reject: (error: Error) => void }[] = [];
  let made = 0;
  return {
    ask: () => {
      made++;
      return new Promise<RowOutcome>((resolve, reject) => void calls.push({ resolve, reject }));
    },
    get calls() {
      return made;
    },
    resolve: (value: RowOutcome) => calls.shift()!.resolve(value),
    reject: (error: Error) => calls.shift()!.reject(error),
  };
}

describe('in-flight dedupe', () => {
  test('a second answer for a key still pending shares the first call, marked cached and a duplicate', async () => {
    const dedupe = new InFlightDedupe();
    const asker = manualAsk();
    const first = dedupe.answer('k', asker.ask);
    const second = dedupe.answer('k', asker.ask);
    assert.deepEqual([asker.calls, dedupe.size], [1, 1]);
    asker.resolve(outcome('yes'));
    assert.deepEqual(await Promise.all([first, second]), [
      outcome('yes'),
      { ...outcome('yes'), cached: true, duplicate: true },
    ]);
    assert.equal(dedupe.size, 0);
  });

  test('sharing an answer an earlier run cached is from the cache, not a duplicate: no row of this run paid', async () => {
    const dedupe = new InFlightDedupe();
    const asker = manualAsk();
    const first = dedupe.answer('k', asker.ask);
    const second = dedupe.answer('k', asker.ask);
    const third = dedupe.answer('k', asker.ask);
    asker.resolve({ ...outcome('yes'), cached: true });
    assert.deepEqual(await Promise.all([first, second, third]), [
      { ...outcome('yes'), cached: true },
      { ...outcome('yes'), cached: true },
      { ...outcome('yes'), cached: true },
    ]);
  });

  test('sharing a duplicate (an answer cached earlier in this run) is a duplicate', async () => {
    const dedupe = new InFlightDedupe();
    const asker = manualAsk();
    const first = dedupe.answer('k', asker.ask);
    const second = dedupe.answer('k', asker.ask);
    asker.resolve({ ...outcome('yes'), cached: true, duplicate: true });
    assert.deepEqual((await second).duplicate, true);
    assert.deepEqual((await first).duplicate, true);
  });

  test('a failure of the shared call rejects every waiter', async () => {
    const dedupe = new InFlightDedupe();
    const asker = manualAsk();
    const first = dedupe.answer('k', asker.ask);
    const second = dedupe.answer('k', asker.ask);
    asker.reject(new Error('boom'));
    await assert.rejects(first, /boom/);
    await assert.rejects(second, /boom/);
    assert.deepEqual([asker.calls, dedupe.size], [1, 0]);
  });

  test('once the first answer has settled, a new answer for the key asks again', async () => {
    const dedupe = new InFlightDedupe();
    const asker = manualAsk();
    const first = dedupe.answer('k', asker.ask);
    asker.resolve(outcome('yes'));
    await first;
    const again = dedupe.answer('k', asker.ask);
    assert.equal(asker.calls, 2);
    asker.resolve(outcome('no'));
    assert.deepEqual(await again, outcome('no'));
  });

  test('a new answer for a key whose call failed asks again', async () => {
    const dedupe = new InFlightDedupe();
    const asker = manualAsk();
    const first = dedupe.answer('k', asker.ask);
    asker.reject(new Error('boom'));
    await assert.rejects(first);
    const again = dedupe.answer('k', asker.ask);
    asker.resolve(outcome('yes'));
    assert.deepEqual([await again, asker.calls], [outcome('yes'), 2]);
  });

  test('different keys are asked separately', async () => {
    const dedupe = new InFlightDedupe();
    const asker = manualAsk();
    const a = dedupe.answer('a', asker.ask);
    const b = dedupe.answer('b', asker.ask);
    assert.deepEqual([asker.calls, dedupe.size], [2, 2]);
    asker.resolve(outcome('for a'));
    asker.resolve(outcome('for b'));
    assert.deepEqual(await Promise.all([a, b]), [outcome('for a'), outcome('for b')]);
  });
});
