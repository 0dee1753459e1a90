import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RowOutcome } from './answer-row.js';
import { FirstRefusals } from './first-refusals.js';

const outcome = (fields: Partial<RowOutcome>): RowOutcome => ({
  status: 'failed',
  attempts: 1,
  latencyMs: 1,
  inputTokens: 0,
  outputTokens: 0,
  model: '',
  cached: false,
  finishedAt: 0,
  ...fields,
});
const refusal = (tokens: number) =>
  outcome({ statusCode: 400, error: `HTTP 400: you requested ${tokens} tokens, the maximum context length is 200` });
const ok = outcome({ status: 'ok', answer: 'yes' });

describe('first refusals', () => {
  test('identical refusals before any accepted request are held, and the threshold-th stops the run', () => {
    const watch = new FirstRefusals<number>(3);
    assert.deepEqual(
      [watch.offer(1, refusal(300)), watch.offer(2, refusal(451))],
      [{ kind: 'hold' }, { kind: 'hold' }],
    );
    const third = watch.offer(3, refusal(999));
    assert.equal(third.kind, 'stop');
    assert.match(
      (third as { message: string }).message,
      /^the first 3 requests were all refused the same way, so the fault is the run's, not the rows' \(none was recorded\): HTTP 400: you requested 999 tokens/,
    );
    assert.deepEqual(watch.drop(), [1, 2, 3]);
    // The same refusal arriving after the stop is dropped too; anything else passes.
    assert.deepEqual([watch.offer(4, refusal(5)), watch.offer(5, ok)], [{ kind: 'drop' }, { kind: 'pass' }]);
  });

  test('an accepted request releases the held refusals as the rows’ own failures, and later ones pass', () => {
    const watch = new FirstRefusals<number>(3);
    watch.offer(1, refusal(300));
    watch.offer(2, refusal(300));
    assert.deepEqual(watch.offer(3, ok), { kind: 'pass' });
    assert.deepEqual(watch.release(), [1, 2]);
    assert.deepEqual(watch.offer(4, refusal(300)), { kind: 'pass' });
  });

  test('429s, server errors, failures without a status and run-stopping errors are never held', () => {
    const watch = new FirstRefusals<number>(1);
    for (const other of [
      outcome({ statusCode: 429, error: 'HTTP 429' }),
      outcome({ statusCode: 503, error: 'HTTP 503' }),
      outcome({ error: 'ECONNRESET' }),
      outcome({ statusCode: 401, error: 'HTTP 401', stopsRun: true }),
    ]) {
      assert.deepEqual(watch.offer(0, other), { kind: 'pass' });
    }
    assert.equal(watch.holding, false);
  });
});
