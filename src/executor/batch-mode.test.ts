import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAnthropicBatch, ANTHROPIC_BATCH_LIMITS } from '../providers/anthropic/anthropic-batch.js';
import type { BatchApi } from '../providers/batch/batch-api.js';
import { createOpenAIBatch, OPENAI_BATCH_LIMITS } from '../providers/openai/openai-batch.js';
import type { ChatProvider, ChatRequest } from '../providers/provider.js';
import { createRequestKeyer } from '../request/request-key.js';
import { startSim, type SimServer } from '../sim/index.js';
import type { BatchStore } from '../store/batch-store.js';
import { openSqliteBatches } from '../store/sqlite/sqlite-batches.js';
import { BatchDeferred, createBatchMode, type BatchModeOptions } from './batch-mode.js';

let sim: SimServer;
before(async () => {
  sim = await startSim({ port: 0, batchDelayMs: 50 });
});
after(() => sim.close());

const keyOf = createRequestKeyer({ provider: 'test', location: 'sim' });
const ask = (text: string): ChatRequest => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] });
const online: ChatProvider = {
  specificationVersion: 'v1',
  provider: 'openai',
  modelId: 'gpt-4o-mini',
  capabilities: { structuredOutput: 'native' },
  unsupportedSchemaParts: () => [],
  doGenerate: () => Promise.reject(new Error('not online')),
  close: () => Promise.resolve(),
};

const apis: Record<string, () => BatchApi> = {
  openai: () =>
    createOpenAIBatch({
      baseUrl: new URL(`${sim.url}/v1`),
      timeoutMs: 5000,
      useMaxCompletionTokens: false,
      limits: OPENAI_BATCH_LIMITS,
    }),
  anthropic: () => createAnthropicBatch({ baseUrl: new URL(sim.url), timeoutMs: 5000, limits: ANTHROPIC_BATCH_LIMITS }),
};

function mode(api: BatchApi, store: BatchStore, overrides: Partial<BatchModeOptions> = {}) {
  return createBatchMode({
    api,
    store,
    online,
    keyOf,
    onFailure: 'batch',
    maxBatchAttempts: 2,
    cutoffAt: undefined,
    windowMs: 24 * 3600 * 1000,
    pollMs: 20,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...overrides,
  });
}

async function deferred(call: Promise<unknown>): Promise<void> {
  await assert.rejects(call, (error) => BatchDeferred.isInstance(error));
}

for (const provider of ['openai', 'anthropic']) {
  test(`${provider}: a batch created just before the process died is found, not created again`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmap-batch-mode-'));
    const api = apis[provider]!();
    const requests = ['alpha', 'beta', 'gamma'].map(ask);
    sim.resetStats();

    // What a run did before dying: recorded the batch, uploaded its file (OpenAI), created it, and no more.
    const store = openSqliteBatches(dir);
    const lines = requests.map((request) => api.line(`${keyOf(request).slice(0, 56)}-1`, request));
    store.add(
      { localId: 'dying', state: 'preparing', createdAt: Date.now(), requests: 3 },
      requests.map((request) => ({
        customId: `${keyOf(request).slice(0, 56)}-1`,
        requestKey: keyOf(request),
        attempt: 1,
      })),
    );
    const fileId = await api.upload('dying', lines);
    if (fileId) store.update('dying', { state: 'uploaded', fileId });
    await api.create('dying', fileId, lines);
    store.close();

    // The next run.
    const reopened = openSqliteBatches(dir);
    const next = mode(api, reopened);
    const notes = await next.recover();
    assert.match(notes.join(), /was created before the last run stopped/);
    assert.equal(reopened.live()[0]?.state, 'submitted');
    for (const request of requests) await deferred(next.provider.doGenerate(request, {}));
    assert.equal(await next.waitForAll(undefined), true);
    for (const request of requests) {
      const result = await next.provider.doGenerate(request, {});
      assert.equal(result.batch, true);
      assert.ok(result.text.length > 0);
    }
    const stats = provider === 'openai' ? sim.stats().batches : sim.stats().messageBatches;
    assert.equal(stats.created, 1, 'the batch was created once');
    await next.close();
    reopened.close();
  });
}

test('a batch recorded but never created is dropped, and its rows are queued again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmap-batch-mode-'));
  const api = apis['anthropic']!();
  const store = openSqliteBatches(dir);
  const request = ask('delta');
  store.add({ localId: 'never', state: 'preparing', createdAt: Date.now(), requests: 1 }, [
    { customId: `${keyOf(request).slice(0, 56)}-1`, requestKey: keyOf(request), attempt: 1 },
  ]);
  sim.resetStats();
  const next = mode(api, store);
  assert.deepEqual(await next.recover(), []);
  assert.equal(store.live().length, 0);
  await deferred(next.provider.doGenerate(request, {}));
  await next.flush();
  assert.equal(sim.stats().messageBatches.created, 1);
  assert.equal(store.latest(keyOf(request))?.state, 'pending');
  await next.close();
  store.close();
});

test('requests are split by the request and byte limits, and an identical request joins the batch once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmap-batch-mode-'));
  const base = apis['openai']!();
  const lineBytes = Buffer.byteLength(base.line('x'.repeat(58), ask('row 0'))) + 1;
  const api = { ...base, limits: { maxRequests: 4, maxBytes: lineBytes * 3 + 2 } };
  const store = openSqliteBatches(dir);
  sim.resetStats();
  const batch = mode(api, store);
  for (let i = 0; i < 7; i++) await deferred(batch.provider.doGenerate(ask(`row ${i}`), {}));
  await deferred(batch.provider.doGenerate(ask('row 0'), {}));
  await batch.flush();
  // Three requests fit the bytes (not four): 3 + 3 + 1.
  assert.deepEqual(
    store
      .live()
      .map((b) => b.requests)
      .sort(),
    [1, 3, 3],
  );
  assert.equal(sim.stats().batches.requests, 7);
  await batch.close();
  store.close();
});
