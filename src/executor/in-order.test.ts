import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InOrder } from './in-order.js';

test('rows finishing out of order leave in input order', () => {
  const emitted: number[] = [];
  const inOrder = new InOrder<string>((index) => emitted.push(index), 100);
  for (const index of [2, 0, 3, 1, 4]) inOrder.put(index, `row ${index}`);
  assert.deepEqual(emitted, [0, 1, 2, 3, 4]);
});

test('a skipped row lets later rows leave past it', () => {
  const emitted: number[] = [];
  const inOrder = new InOrder<string>((index) => emitted.push(index), 100);
  inOrder.put(2, 'c');
  inOrder.skip(0);
  assert.deepEqual(emitted, []);
  inOrder.put(1, 'b');
  assert.deepEqual(emitted, [1, 2]);
});

test('dispatch waits for room while too many rows wait behind a slow one', async () => {
  const inOrder = new InOrder<string>(() => undefined, 2);
  inOrder.put(1, 'b');
  assert.equal(inOrder.room(), undefined);
  inOrder.put(2, 'c');
  const room = inOrder.room();
  assert.ok(room instanceof Promise);
  inOrder.put(0, 'a');
  await room;
  assert.equal(inOrder.waiting, 0);
});
