import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { after, before, describe, test } from 'node:test';
import type { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '../../distributed/redis-server.test.util.js';
import { entryKey, type LedgerCounts, type LedgerEntry, type RunMeta } from '../ledger-store.js';
import { dropRedisLedger, openRedisLedger, redisLedgerOpener } from './redis-ledger.js';

const meta: RunMeta = {
  output: '/data/out.csv',
  fingerprint: { input: 'i1', prompt: 'p1', schema: 's1', model: 'm1', params: 'x1' },
  command: ['run', 'job.yaml', '--output', '/data/out.csv'],
  cwd: '/data',
  state: 'stopped',
  pid: 4242,
  host: hostname(),
  startedAt: 1_000,
  updatedAt: 2_000,
  rowsTotal: 10,
  inFlight: 2,
  uniform: true,
  stopReason: 'interrupted',
  model: 'openai:gpt-4o-mini',
};

/** An entry with only the required fields set. */
function entry(rowId: string, overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    rowId,
    sample: 0,
    status: 'ok',
    requestKey: `key-${rowId}`,
    promptHash: `ph-${rowId}`,
    checkedWith: 'c1',
    attempts: 1,
    latencyMs: 120,
    inputTokens: 10,
    outputTokens: 5,
    model: 'm-2026',
    cached: false,
    finishedAt: 5_000,
    ...overrides,
  };
}

const hex = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** A row of a hosted classification job, as the ledger of a million-row job holds a million of them. */
function typicalEntry(i: number, withRequestId = false): LedgerEntry {
  return {
    rowId: hex(`row ${i}`, 32),
    sample: 0,
    status: 'ok',
    requestKey: hex(`request ${i}`, 64),
    promptHash: hex(`prompt ${i}`, 16),
    checkedWith: hex('schema and rules', 64),
    answer: { category: 'billing', risk: 'low', tags: ['a', 'b'] },
    attempts: 1,
    latencyMs: 812,
    inputTokens: 412,
    outputTokens: 38,
    model: 'gpt-4o-mini-2024-07-18',
    cached: false,
    finishedAt: 1_767_225_600_000 + i,
    // OpenAI's x-request-id.
    ...(withRequestId ? { providerRequestId: `req_${hex(`id ${i}`, 32)}` } : {}),
  };
}

const none: LedgerCounts = {
  entries: 0,
  ok: 0,
  failed: 0,
  invalid: 0,
  cached: 0,
  inputTokens: 0,
  outputTokens: 0,
  batchInputTokens: 0,
  batchOutputTokens: 0,
  spend: [],
};

describe('the Redis ledger', () => {
  let server: TestRedis;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = server.client();
  });
  after(() => server.close());

  let shards = 0;
  /** The prefix of a new shard's ledger, unique to the test. */
  const newKey = () => `llmap:job:test:shard:${++shards}`;
  const open = (key: string, client = redis) => openRedisLedger(client, key, { samples: 1 });

  test('checkpointed entries and metadata read back from a new client, every sample of each row', async () => {
    const key = newKey();
    const full = entry('r1', {
      answer: { label: 'yes', score: 0.5, tags: ['a', 'é'], nested: { n: null }, empty: [] },
      providerRequestId: 'req-1',
      attempts: 2,
      batchInputTokens: 10,
      batchOutputTokens: 5,
    });
    const text = entry('r2', { answer: 'free "text"\nwith lines' });
    const second = entry('r2', { sample: 1, answer: 'other sample' });
    const failed = entry('r3', { status: 'failed', error: 'HTTP 503', inputTokens: 0, outputTokens: 0 });
    const invalid = entry('r4', { status: 'invalid', error: 'not JSON', raw: '{"label":' });
    const first = openRedisLedger(redis, key, { samples: 2 });
    for (const e of [full, text, second, failed, invalid]) first.record(e);
    await first.checkpoint(meta);
    await first.close();

    const ledger = openRedisLedger(server.client(), key, { samples: 2 });
    assert.deepEqual(
      await ledger.getMany(['r1', 'r2', 'r3', 'r4', 'absent']),
      new Map([
        ['r1', full],
        [entryKey('r2', 0), text],
        [entryKey('r2', 1), second],
        ['r3', failed],
        ['r4', invalid],
      ]),
    );
    assert.deepEqual(await ledger.readMeta(), meta);
    await ledger.close();
  });

  test('optional fields are absent, not undefined, when they were not set', async () => {
    const ledger = open(newKey());
    ledger.record(entry('r1', { status: 'failed' }));
    await ledger.checkpoint(meta);
    const read = (await ledger.getMany(['r1'])).get('r1')!;
    assert.deepEqual(Object.keys(read).sort(), Object.keys(entry('r1')).sort());
    await ledger.close();
  });

  test('getMany of no row ids, and readMeta and counts of a new ledger, find nothing', async () => {
    const ledger = open(newKey());
    assert.deepEqual(await ledger.getMany([]), new Map());
    assert.equal(await ledger.readMeta(), undefined);
    assert.deepEqual(await ledger.counts(), none);
    await ledger.close();
  });

  test('counts are per status, with tokens of paid (not cached) entries only', async () => {
    const ledger = open(newKey());
    ledger.record(entry('a', { inputTokens: 10, outputTokens: 1 }));
    ledger.record(entry('b', { inputTokens: 20, outputTokens: 2 }));
    ledger.record(entry('c', { cached: true, inputTokens: 300, outputTokens: 30 }));
    ledger.record(entry('d', { status: 'failed', inputTokens: 4000, outputTokens: 0 }));
    ledger.record(entry('e', { status: 'invalid', cached: true, inputTokens: 50_000, outputTokens: 5 }));
    await ledger.checkpoint(meta);
    assert.deepEqual(await ledger.counts(), {
      entries: 5,
      ok: 3,
      failed: 1,
      invalid: 1,
      cached: 2,
      inputTokens: 4030,
      outputTokens: 3,
      batchInputTokens: 0,
      batchOutputTokens: 0,
      spend: [
        { model: 'openai:gpt-4o-mini', inputTokens: 4030, outputTokens: 3, batchInputTokens: 0, batchOutputTokens: 0 },
      ],
    });
    await ledger.close();
  });

  test('recording the same row and sample again replaces the entry and keeps the counts right', async () => {
    const key = newKey();
    const first = open(key);
    first.record(entry('a', { status: 'failed', error: 'HTTP 503', inputTokens: 7, outputTokens: 0 }));
    first.record(entry('b', { cached: true }));
    await first.checkpoint(meta);
    const retried = entry('a', { answer: { label: 'no' }, inputTokens: 11, outputTokens: 3, attempts: 4 });
    const paid = entry('b', { answer: 'x', cached: false, inputTokens: 100, outputTokens: 50 });
    first.record(retried);
    first.record(paid);
    await first.checkpoint({ ...meta, state: 'finished', updatedAt: 3_000 });
    await first.close();

    const ledger = open(key, server.client());
    assert.deepEqual(
      await ledger.getMany(['a', 'b']),
      new Map([
        ['a', retried],
        ['b', paid],
      ]),
    );
    assert.deepEqual(await ledger.counts(), {
      entries: 2,
      ok: 2,
      failed: 0,
      invalid: 0,
      cached: 0,
      inputTokens: 111,
      outputTokens: 53,
      batchInputTokens: 0,
      batchOutputTokens: 0,
      // The spend is what was paid: the failed attempt's 7 input tokens were paid too, though its entry is replaced.
      spend: [
        { model: 'openai:gpt-4o-mini', inputTokens: 118, outputTokens: 53, batchInputTokens: 0, batchOutputTokens: 0 },
      ],
    });
    assert.deepEqual(await ledger.readMeta(), { ...meta, state: 'finished', updatedAt: 3_000 });
    await ledger.close();
  });

  test('a row recorded twice in one checkpoint is counted once, as its last entry', async () => {
    const ledger = open(newKey());
    ledger.record(entry('a', { status: 'failed', inputTokens: 7, outputTokens: 0 }));
    ledger.record(entry('a', { inputTokens: 11, outputTokens: 3 }));
    await ledger.checkpoint(meta);
    const counts = await ledger.counts();
    assert.deepEqual([counts.entries, counts.ok, counts.failed, counts.inputTokens], [1, 1, 0, 11]);
    assert.equal(counts.spend[0]?.inputTokens, 18);
    await ledger.close();
  });

  test('tokens a Batch API answered are counted apart, for paid entries only, and follow a replaced entry', async () => {
    const ledger = open(newKey());
    ledger.record(entry('a', { inputTokens: 10, outputTokens: 4, batchInputTokens: 10, batchOutputTokens: 4 }));
    ledger.record(entry('b', { inputTokens: 20, outputTokens: 8 }));
    ledger.record(
      entry('c', { cached: true, inputTokens: 30, outputTokens: 9, batchInputTokens: 30, batchOutputTokens: 9 }),
    );
    await ledger.checkpoint(meta);
    // `a` answered again online (a repair turn added to its batch answer).
    ledger.record(entry('a', { inputTokens: 25, outputTokens: 10, batchInputTokens: 10, batchOutputTokens: 4 }));
    await ledger.checkpoint(meta);
    const counts = await ledger.counts();
    assert.deepEqual(
      [counts.inputTokens, counts.outputTokens, counts.batchInputTokens, counts.batchOutputTokens],
      [45, 18, 10, 4],
    );
    await ledger.close();
  });

  test('the spend is kept per model of the run that asked, and a later model re-answering rows does not erase it', async () => {
    const key = newKey();
    const ledger = open(key);
    const local = { ...meta, model: 'llama:qwen2.5-1.5b-instruct-q4_k_m.gguf' };
    for (const id of ['a', 'b', 'c']) ledger.record(entry(id, { inputTokens: 1_000, outputTokens: 100 }));
    await ledger.checkpoint(local);
    // The same rows asked again with a hosted model (two paid, one from the cache), then another in batch.
    ledger.record(entry('a', { inputTokens: 900, outputTokens: 90 }));
    ledger.record(entry('b', { inputTokens: 900, outputTokens: 90 }));
    ledger.record(entry('c', { cached: true, inputTokens: 900, outputTokens: 90 }));
    await ledger.checkpoint(meta);
    ledger.record(entry('d', { inputTokens: 50, outputTokens: 5, batchInputTokens: 50, batchOutputTokens: 5 }));
    await ledger.checkpoint(meta);
    // A checkpoint of cached entries only adds no spend.
    ledger.record(entry('e', { cached: true }));
    await ledger.checkpoint({ ...meta, model: 'anthropic:claude-haiku-4-5' });
    await ledger.close();

    const reopened = open(key, server.client());
    assert.deepEqual((await reopened.counts()).spend, [
      {
        model: 'llama:qwen2.5-1.5b-instruct-q4_k_m.gguf',
        inputTokens: 3_000,
        outputTokens: 300,
        batchInputTokens: 0,
        batchOutputTokens: 0,
      },
      {
        model: 'openai:gpt-4o-mini',
        inputTokens: 1_850,
        outputTokens: 185,
        batchInputTokens: 50,
        batchOutputTokens: 5,
      },
    ]);
    await reopened.close();
  });

  test('a checkpoint the client sends twice (as ioredis resends after a reconnect) is applied once', async () => {
    const key = newKey();
    const twice = new Proxy(redis, {
      get(target, property, receiver) {
        if (property !== 'eval') return Reflect.get(target, property, receiver) as unknown;
        return async (...args: Parameters<Redis['eval']>) => {
          await target.eval(...args);
          return target.eval(...args);
        };
      },
    });
    const ledger = open(key, twice);
    ledger.record(entry('a', { inputTokens: 10, outputTokens: 1 }));
    await ledger.checkpoint(meta);
    const counts = await open(key).counts();
    assert.deepEqual([counts.entries, counts.inputTokens, counts.spend[0]?.inputTokens], [1, 10, 10]);
  });

  test('a checkpoint with an entry the counters cannot count fails and writes nothing', async () => {
    const key = newKey();
    const ledger = open(key);
    ledger.record(entry('a'));
    ledger.record(entry('b', { inputTokens: 1.5 }));
    await assert.rejects(ledger.checkpoint(meta), /not a ledger entry/);
    assert.deepEqual(await redis.keys(`${key}:*`), []);
  });

  test('entries recorded after the last checkpoint are lost on close', async () => {
    const key = newKey();
    const first = open(key);
    first.record(entry('kept'));
    await first.checkpoint(meta);
    first.record(entry('lost'));
    await first.close();

    const ledger = open(key, server.client());
    assert.deepEqual([...(await ledger.getMany(['kept', 'lost'])).keys()], ['kept']);
    assert.equal((await ledger.counts()).entries, 1);
    await ledger.close();
  });

  test('close leaves the shared connection open', async () => {
    await open(newKey()).close();
    assert.equal(await redis.ping(), 'PONG');
  });

  test('dropRedisLedger removes every key of the ledger, and only those', async () => {
    const key = newKey();
    const neighbour = `${key}0`;
    for (const prefix of [key, neighbour]) {
      const ledger = open(prefix);
      ledger.record(entry('a'));
      ledger.record(entry('b', { cached: true }));
      await ledger.checkpoint(meta);
    }
    assert.equal((await redis.keys(`${key}:*`)).length, 5);
    await dropRedisLedger(redis, key);
    assert.deepEqual((await redis.keys(`${key}*`)).sort(), (await redis.keys(`${neighbour}*`)).sort());
    assert.equal((await redis.keys(`${neighbour}:*`)).length, 5);
  });

  test('the opener starts the ledger empty when fresh, and keeps it otherwise', async () => {
    const key = newKey();
    const openLedger = redisLedgerOpener(redis, key, { samples: 1 });
    const first = openLedger('/ignored/state/dir');
    first.record(entry('a'));
    await first.checkpoint(meta);
    await first.close();

    const kept = openLedger('/ignored/state/dir', { fresh: false });
    assert.deepEqual([...(await kept.getMany(['a'])).keys()], ['a']);
    const fresh = openLedger('/ignored/state/dir', { fresh: true });
    assert.deepEqual(await fresh.getMany(['a']), new Map());
    assert.equal(await fresh.readMeta(), undefined);
    assert.deepEqual(await fresh.counts(), none);
    assert.deepEqual(await redis.keys(`${key}:*`), []);
    // Recorded before the drop has run: kept, as the drop comes first.
    const again = openLedger('/ignored/state/dir', { fresh: true });
    again.record(entry('b'));
    await again.checkpoint(meta);
    assert.deepEqual([...(await again.getMany(['a', 'b'])).keys()], ['b']);
  });

  test('a 20,000-entry checkpoint writes in one script and reads back in one HMGET', async (t) => {
    const key = newKey();
    const ledger = open(key);
    const entries = Array.from({ length: 20_000 }, (_, i) => typicalEntry(i, i % 2 === 0));
    for (const e of entries) ledger.record(e);
    let started = performance.now();
    await ledger.checkpoint(meta);
    const written = performance.now() - started;

    await redis.config('RESETSTAT');
    started = performance.now();
    const found = await open(key, server.client()).getMany(entries.map((e) => e.rowId));
    const read = performance.now() - started;
    const stats = await redis.info('commandstats');
    t.diagnostic(`checkpoint of 20,000 entries: ${written.toFixed(0)} ms; getMany of them: ${read.toFixed(0)} ms`);

    assert.equal(found.size, 20_000);
    assert.deepEqual(found.get(entries[12_345]!.rowId), entries[12_345]);
    assert.match(stats, /cmdstat_hmget:calls=1,/);
    const counts = await ledger.counts();
    assert.deepEqual([counts.entries, counts.ok, counts.inputTokens], [20_000, 20_000, 20_000 * 412]);
  });

  for (const withRequestId of [false, true]) {
    test(`20,000 typical entries take under 400 bytes each in Redis (${withRequestId ? 'with' : 'no'} request id)`, async (t) => {
      const key = newKey();
      const ledger = open(key);
      for (let i = 0; i < 20_000; i++) ledger.record(typicalEntry(i, withRequestId));
      await ledger.checkpoint(meta);
      const bytes = Number(await redis.memory('USAGE', `${key}:e`, 'SAMPLES', 0));
      const perEntry = bytes / 20_000;
      t.diagnostic(`${perEntry.toFixed(0)} bytes per entry (${(bytes / 2 ** 20).toFixed(1)} MiB for 20,000)`);
      assert.ok(perEntry < 400, `${perEntry.toFixed(0)} bytes per entry`);
    });
  }
});
