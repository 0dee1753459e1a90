import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CallBook, type CallConfig, type CallOutcome } from './call-book.js';

const TEXT: CallConfig = {
  kind: 'text',
  model: undefined,
  schema: undefined,
  system: undefined,
  temperature: undefined,
  maxTokens: undefined,
};

/** The outcomes as the engine's output yields them: one at a time, asynchronously. */
async function* entries(list: [string, CallOutcome][]) {
  for (const entry of list) yield await Promise.resolve(entry);
}

describe('CallBook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmap-book-'));

  test('records each distinct call once, gives them to the engine, and answers them once settled', async () => {
    const book = new CallBook(join(dir, 'a.sqlite'));
    const id = book.configId('text|none', () => TEXT);
    assert.equal(
      book.configId('text|none', () => assert.fail('built twice')),
      id,
    );
    for (const prompt of ['a', 'b', 'a', 'a', 'é ✓']) assert.equal(book.lookup(id, prompt), undefined);
    assert.equal(book.lookups, 5);
    const pending = book.take();
    assert.deepEqual(pending, [{ configId: id, config: TEXT, count: 3 }]);
    assert.deepEqual(book.take(), [], 'taken calls are not given twice');
    assert.equal(book.lookup(id, 'a'), undefined, 'asked, not yet answered: not recorded again');
    assert.deepEqual(book.take(), []);

    await book.writeAsked(id, join(dir, 'calls.jsonl'), 'p');
    const written = readFileSync(join(dir, 'calls.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(written.map((line) => (JSON.parse(line) as { p: string }).p).sort(), ['a', 'b', 'é ✓']);
    await book.settle(
      id,
      entries([
        ['a', { value: 'A' }],
        ['b', { error: 'failed: HTTP 500' }],
        ['é ✓', { value: 'E' }],
      ]),
    );
    assert.deepEqual(book.lookup(id, 'a'), { value: 'A' });
    assert.deepEqual(book.peek(id, 'b'), { error: 'failed: HTTP 500' });
    assert.equal(book.known, 3);
    assert.deepEqual(book.failures(), [{ reason: 'failed', calls: 1 }]);
    book.close();
    assert.ok(!existsSync(join(dir, 'a.sqlite')), 'the scratch file is removed');
  });

  test('is full once a run has recorded its cap of new calls; peek records nothing', () => {
    const book = new CallBook(join(dir, 'b.sqlite'));
    const id = book.configId('k', () => TEXT);
    book.cap = 2;
    book.peek(id, 'x');
    assert.equal(book.full, false);
    book.lookup(id, 'x');
    book.lookup(id, 'x');
    assert.equal(book.full, false);
    book.lookup(id, 'y');
    assert.equal(book.full, true);
    book.take();
    assert.equal(book.full, false, 'a new run starts with none recorded');
    book.close();
  });
});
