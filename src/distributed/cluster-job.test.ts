import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planShards, workerOptions } from './cluster-job.js';

describe('shards of a table', () => {
  test('cover every row once, in order, the last one short', () => {
    const shards = planShards(10_001, 1, 2_500);
    assert.deepEqual(
      shards.map((s) => [s.offset, s.count]),
      [
        [0, 2500],
        [2500, 2500],
        [5000, 2500],
        [7500, 2500],
        [10000, 1],
      ],
    );
  });

  test('at least four per worker, never under 5,000 rows', () => {
    assert.equal(planShards(100_000, 4).length, 16);
    assert.equal(planShards(12_000, 4).length, 3);
  });

  test('no larger than keeps one shard per worker within 128 MB of ledgers in Redis', () => {
    const [first] = planShards(380_000_000, 10);
    assert.ok(first!.count * 10 * 350 <= 128 * 2 ** 20, String(first!.count));
    assert.ok(first!.count >= 5_000);
  });
});

describe('the options workers receive', () => {
  test('name files by absolute path and leave out what is one machine’s', () => {
    const options = workerOptions(
      { input: 'examples/tickets.csv', prompt: 'examples/triage.md', state: 's', cacheDir: 'c', fresh: true },
      {},
    );
    assert.ok(options.input!.startsWith('/') && options.input!.endsWith('examples/tickets.csv'));
    assert.ok(options.prompt.startsWith('/'));
    assert.equal(options.state, undefined);
    assert.equal(options.cacheDir, undefined);
    assert.equal(options.fresh, undefined);
  });

  test('an inline prompt stays as written, and the model comes from LLMAP_MODEL when not given', () => {
    const options = workerOptions({ input: 'x.csv', prompt: 'Sort {{body}}' }, { LLMAP_MODEL: 'openai:gpt-4o-mini' });
    assert.equal(options.prompt, 'Sort {{body}}');
    assert.equal(options.model, 'openai:gpt-4o-mini');
  });

  test('a base URL carrying a password is refused: the options are kept in Redis', () => {
    assert.throws(
      () => workerOptions({ prompt: 'p', baseUrl: ['http://user:secret@gpu-1:8000/v1'] }, {}),
      /--base-url gpu-1:8000 carries a password/,
    );
  });
});
