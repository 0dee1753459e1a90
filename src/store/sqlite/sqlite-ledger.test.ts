import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync, truncateSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, test } from 'node:test';
import { InputError } from '../../job/input-error.js';
import { entryKey, type LedgerEntry, type RunMeta } from '../ledger-store.js';
import { StateError } from '../state-error.js';
import { LEDGER_FILE, openSqliteLedger } from './sqlite-ledger.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'llmap-ledger-'));

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

describe('the SQLite ledger', () => {
  test('checkpointed entries and metadata read back after closing and reopening', async () => {
    const dir = tempDir();
    const full = entry('r1', {
      answer: { label: 'yes', score: 0.5, tags: ['a', 'é'], nested: { n: null } },
      providerRequestId: 'req-1',
      attempts: 2,
    });
    const text = entry('r2', { answer: 'free "text"\nwith lines' });
    const second = entry('r2', { sample: 1, answer: 'other sample' });
    const failed = entry('r3', { status: 'failed', error: 'HTTP 503', inputTokens: 0, outputTokens: 0 });
    const invalid = entry('r4', { status: 'invalid', error: 'not JSON', raw: '{"label":' });
    const first = openSqliteLedger(dir);
    for (const e of [full, text, second, failed, invalid]) first.record(e);
    await first.checkpoint(meta);
    await first.close();

    const ledger = openSqliteLedger(dir);
    const found = await ledger.getMany(['r1', 'r2', 'r3', 'r4', 'absent']);
    assert.deepEqual(
      found,
      new Map([
        ['r1', full],
        [entryKey('r2', 0), text],
        [entryKey('r2', 1), second],
        ['r3', failed],
        ['r4', invalid],
      ]),
    );
    assert.equal(entryKey('r2', 1), 'r2\u00001');
    assert.deepEqual(await ledger.readMeta(), meta);
    await ledger.close();
  });

  test('optional fields are absent, not undefined, when they were not set', async () => {
    const dir = tempDir();
    const ledger = openSqliteLedger(dir);
    ledger.record(entry('r1', { status: 'failed' }));
    await ledger.checkpoint(meta);
    const read = (await ledger.getMany(['r1'])).get('r1')!;
    assert.deepEqual(Object.keys(read).sort(), Object.keys(entry('r1')).sort());
    await ledger.close();
  });

  test('getMany of no row ids, and readMeta of a new ledger, find nothing', async () => {
    const ledger = openSqliteLedger(tempDir());
    assert.deepEqual(await ledger.getMany([]), new Map());
    assert.equal(await ledger.readMeta(), undefined);
    assert.deepEqual(await ledger.counts(), {
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
    });
    await ledger.close();
  });

  test('counts are per status, with tokens of paid (not cached) entries only', async () => {
    const ledger = openSqliteLedger(tempDir());
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
    const dir = tempDir();
    const first = openSqliteLedger(dir);
    first.record(entry('a', { status: 'failed', error: 'HTTP 503', inputTokens: 7, outputTokens: 0 }));
    first.record(entry('b', { cached: true }));
    await first.checkpoint(meta);
    const retried = entry('a', { answer: { label: 'no' }, inputTokens: 11, outputTokens: 3, attempts: 4 });
    const paid = entry('b', { answer: 'x', cached: false, inputTokens: 100, outputTokens: 50 });
    first.record(retried);
    first.record(paid);
    await first.checkpoint({ ...meta, state: 'finished', updatedAt: 3_000 });
    await first.close();

    const ledger = openSqliteLedger(dir);
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

  test('tokens a Batch API answered are counted apart, for paid entries only, and follow a replaced entry', async () => {
    const dir = tempDir();
    const ledger = openSqliteLedger(dir);
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
    const dir = tempDir();
    const ledger = openSqliteLedger(dir);
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
    await ledger.close();

    const reopened = openSqliteLedger(dir);
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

  test('a ledger written before the spend was kept starts it from its counters, at its last run’s model', async () => {
    const dir = tempDir();
    const ledger = openSqliteLedger(dir);
    ledger.record(entry('a', { inputTokens: 10, outputTokens: 4, batchInputTokens: 10, batchOutputTokens: 4 }));
    ledger.record(entry('b', { inputTokens: 20, outputTokens: 8 }));
    ledger.record(entry('c', { cached: true, inputTokens: 30, outputTokens: 9 }));
    await ledger.checkpoint(meta);
    await ledger.close();
    const db = new Database(join(dir, LEDGER_FILE));
    db.exec('DROP TABLE spend');
    db.close();

    const migrated = openSqliteLedger(dir);
    assert.deepEqual((await migrated.counts()).spend, [
      { model: 'openai:gpt-4o-mini', inputTokens: 30, outputTokens: 12, batchInputTokens: 10, batchOutputTokens: 4 },
    ]);
    migrated.record(entry('e', { inputTokens: 1, outputTokens: 1 }));
    await migrated.checkpoint(meta);
    assert.equal((await migrated.counts()).spend[0]?.inputTokens, 31);
    await migrated.close();
  });

  test('entries recorded after the last checkpoint are lost on close', async () => {
    const dir = tempDir();
    const first = openSqliteLedger(dir);
    first.record(entry('kept'));
    await first.checkpoint(meta);
    first.record(entry('lost'));
    await first.close();

    const ledger = openSqliteLedger(dir);
    assert.deepEqual([...(await ledger.getMany(['kept', 'lost'])).keys()], ['kept']);
    assert.equal((await ledger.counts()).entries, 1);
    await ledger.close();
  });

  test('a truncated ledger file is a state error naming the file and --fresh', async () => {
    const dir = tempDir();
    const path = join(dir, LEDGER_FILE);
    const first = openSqliteLedger(dir);
    for (let i = 0; i < 2000; i++) {
      first.record(entry(`row-${i}`, { answer: { text: `answer number ${i} `.repeat(5) } }));
    }
    await first.checkpoint(meta);
    await first.close();
    assert.equal(existsSync(`${path}-wal`), false);
    truncateSync(path, Math.floor(statSync(path).size / 2));

    assert.throws(
      () => openSqliteLedger(dir),
      (error: unknown) =>
        error instanceof StateError &&
        InputError.isInstance(error) &&
        error.message.includes(`${path} is unreadable`) &&
        error.message.includes('--fresh'),
    );
  });
});
