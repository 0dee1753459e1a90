import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InputError } from '../../job/input-error.js';
import type { CachedResponse } from '../cache-store.js';
import { StateError } from '../state-error.js';
import { CACHE_FILE, openSqliteCache } from './sqlite-cache.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'llmap-cache-'));

const response = (text: string, createdAt: number): CachedResponse => ({
  text,
  finishReason: 'stop',
  inputTokens: 12,
  outputTokens: 3,
  model: 'm-2026',
  providerRequestId: `req-${text}`,
  createdAt,
});

describe('the SQLite response cache', () => {
  test('a put is visible to get before it is flushed', async () => {
    const cache = openSqliteCache(tempDir());
    cache.put('k1', response('a', 100));
    assert.deepEqual(await cache.get('k1', 0), response('a', 100));
    assert.equal(await cache.get('k2', 0), undefined);
    await cache.close();
  });

  test('a flushed entry is still there after closing and reopening, fields intact', async () => {
    const dir = tempDir();
    const first = openSqliteCache(dir);
    const withoutId: CachedResponse = {
      text: '{"label":"no"}',
      finishReason: 'length',
      inputTokens: 0,
      outputTokens: 4096,
      model: 'other',
      createdAt: 1_700_000_000_000,
    };
    first.put('k1', response('a', 100));
    first.put('k2', withoutId);
    await first.flush();
    await first.close();

    const second = openSqliteCache(dir);
    assert.deepEqual(await second.get('k1', 0), response('a', 100));
    assert.deepEqual(await second.get('k2', 0), withoutId);
    await second.close();
  });

  test('entries put but not flushed are written on close', async () => {
    const dir = tempDir();
    const first = openSqliteCache(dir);
    first.put('k1', response('a', 100));
    await first.close();
    const second = openSqliteCache(dir);
    assert.deepEqual(await second.get('k1', 0), response('a', 100));
    await second.close();
  });

  test('notBefore hides entries received before it, buffered or stored', async () => {
    const cache = openSqliteCache(tempDir());
    cache.put('stored', response('a', 100));
    await cache.flush();
    cache.put('buffered', response('b', 100));
    assert.deepEqual(
      [
        await cache.get('stored', 100),
        await cache.get('stored', 101),
        await cache.get('buffered', 100),
        await cache.get('buffered', 101),
      ],
      [response('a', 100), undefined, response('b', 100), undefined],
    );
    await cache.close();
  });

  test('putting a key again replaces its entry, before and after a flush', async () => {
    const dir = tempDir();
    const cache = openSqliteCache(dir);
    cache.put('k', response('a', 100));
    await cache.flush();
    cache.put('k', response('b', 200));
    assert.deepEqual(await cache.get('k', 0), response('b', 200));
    await cache.flush();
    assert.deepEqual(await cache.get('k', 0), response('b', 200));
    await cache.close();
    const reopened = openSqliteCache(dir);
    assert.deepEqual(await reopened.get('k', 0), response('b', 200));
    await reopened.close();
  });

  test('a file that is not a database is a state error naming the file', () => {
    const dir = tempDir();
    const path = join(dir, CACHE_FILE);
    writeFileSync(path, 'not a database'.repeat(100));
    assert.throws(
      () => openSqliteCache(dir),
      (error: unknown) =>
        error instanceof StateError && InputError.isInstance(error) && error.message.includes(`${path} is unreadable`),
    );
  });
});

describe('warming the SQLite response cache', () => {
  test('warm loads hits and misses of a batch; an answer put later replaces a warmed miss', async () => {
    const dir = tempDir();
    const writer = openSqliteCache(dir);
    writer.put('k1', response('a', 100));
    await writer.close();

    const cache = openSqliteCache(dir);
    await cache.warm(['k1', 'k2']);
    assert.deepEqual(await cache.get('k1', 0), response('a', 100));
    assert.equal(await cache.get('k2', 0), undefined);
    cache.put('k2', response('b', 200));
    await cache.flush();
    // Flushed: no longer pending, and the warmed miss must not hide it.
    assert.deepEqual(await cache.get('k2', 0), response('b', 200));
    // A key outside the warmed batch is still looked up.
    await cache.warm(['k3']);
    assert.deepEqual(await cache.get('k1', 0), response('a', 100));
    await cache.close();
  });
});
