import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatProvider, ChatRequest, ChatResult } from '../providers/provider.js';
import { createRequestKeyer } from '../request/request-key.js';
import type { CacheStore, CachedResponse } from '../store/cache-store.js';
import { withCache } from './cached-provider.js';

/** A provider that answers from a script and records every request it receives. */
function scriptedProvider(script: ChatResult[]): ChatProvider & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  return {
    specificationVersion: 'v1',
    provider: 'test',
    modelId: 'm',
    capabilities: { structuredOutput: 'native' },
    unsupportedSchemaParts: () => ['/x: pattern'],
    requests,
    doGenerate(request) {
      requests.push(request);
      const next = script.shift();
      return next ? Promise.resolve(next) : Promise.reject(new Error('script exhausted'));
    },
    close: () => Promise.resolve(),
  };
}

/** A cache in a map, recording its puts. */
function memoryCache(): CacheStore & { entries: Map<string, CachedResponse> } {
  const entries = new Map<string, CachedResponse>();
  return {
    entries,
    get: (key, notBefore) => {
      const hit = entries.get(key);
      return Promise.resolve(hit && hit.createdAt >= notBefore ? hit : undefined);
    },
    put: (key, response) => void entries.set(key, response),
    warm: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

const keyOf = createRequestKeyer({ provider: 'test', location: 'default' });
const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'Is it?' }] };
const reply: ChatResult = {
  text: '{"label":"yes"}',
  finishReason: 'stop',
  usage: { inputTokens: 10, outputTokens: 5 },
  model: 'm-2026',
  providerRequestId: 'req-1',
};
const stored: CachedResponse = {
  text: '{"label":"no"}',
  finishReason: 'length',
  inputTokens: 7,
  outputTokens: 3,
  model: 'm-2025',
  providerRequestId: 'req-old',
  createdAt: 500,
};

describe('the response cache in front of a provider', () => {
  test('a miss calls the provider once and puts its response, stamped with the current time', async () => {
    const provider = scriptedProvider([reply]);
    const cache = memoryCache();
    const cached = withCache(provider, { cache, keyOf, notBefore: 0, now: () => 1_234 });
    assert.deepEqual(await cached.doGenerate(request, {}), reply);
    assert.deepEqual(provider.requests, [request]);
    assert.deepEqual(
      cache.entries,
      new Map([
        [
          keyOf(request),
          {
            text: '{"label":"yes"}',
            finishReason: 'stop',
            inputTokens: 10,
            outputTokens: 5,
            model: 'm-2026',
            providerRequestId: 'req-1',
            createdAt: 1_234,
          },
        ],
      ]),
    );
  });

  test('a response without a request id is put without one', async () => {
    const { providerRequestId: _, ...withoutId } = reply;
    const cache = memoryCache();
    const cached = withCache(scriptedProvider([withoutId]), { cache, keyOf, notBefore: 0, now: () => 1 });
    await cached.doGenerate(request, {});
    assert.equal('providerRequestId' in cache.entries.get(keyOf(request))!, false);
  });

  test('a hit is answered from the cache, marked cached, without a call', async () => {
    const provider = scriptedProvider([reply]);
    const cache = memoryCache();
    cache.entries.set(keyOf(request), stored);
    const cached = withCache(provider, { cache, keyOf, notBefore: 500, now: () => 1_234 });
    assert.deepEqual(await cached.doGenerate(request, {}), {
      text: '{"label":"no"}',
      finishReason: 'length',
      usage: { inputTokens: 7, outputTokens: 3 },
      model: 'm-2025',
      providerRequestId: 'req-old',
      cached: true,
    });
    assert.deepEqual(provider.requests, []);
  });

  test('a hit received since the run started is a duplicate of another row’s request; an older one is not', async () => {
    const cache = memoryCache();
    cache.entries.set(keyOf(request), stored);
    const other: ChatRequest = { ...request, messages: [{ role: 'user', content: 'And this?' }] };
    cache.entries.set(keyOf(other), { ...stored, createdAt: 1_000 });
    const cached = withCache(scriptedProvider([]), { cache, keyOf, notBefore: 0, runStartedAt: 1_000, now: () => 2 });
    const earlier = await cached.doGenerate(request, {});
    const thisRun = await cached.doGenerate(other, {});
    assert.deepEqual(
      [earlier.cached, earlier.duplicate, thisRun.cached, thisRun.duplicate],
      [true, undefined, true, true],
    );
  });

  test('a cached answer cut off at max_tokens keeps its finish reason', async () => {
    const provider = scriptedProvider([{ ...reply, text: '{"label":"ye', finishReason: 'length' }]);
    const cached = withCache(provider, { cache: memoryCache(), keyOf, notBefore: 0, now: () => 1 });
    await cached.doGenerate(request, {});
    const again = await cached.doGenerate(request, {});
    assert.deepEqual([again.cached, again.finishReason, again.text], [true, 'length', '{"label":"ye']);
  });

  test('a second identical request is answered by the first one’s response', async () => {
    const provider = scriptedProvider([reply]);
    const cached = withCache(provider, { cache: memoryCache(), keyOf, notBefore: 0, now: () => 1 });
    await cached.doGenerate(request, {});
    const second = await cached.doGenerate({ ...request }, {});
    assert.deepEqual([second.text, second.cached, provider.requests.length], [reply.text, true, 1]);
  });

  test('an entry older than notBefore is a miss, and the new response replaces it', async () => {
    const provider = scriptedProvider([reply]);
    const cache = memoryCache();
    cache.entries.set(keyOf(request), stored);
    const cached = withCache(provider, { cache, keyOf, notBefore: 501, now: () => 2_000 });
    assert.deepEqual(await cached.doGenerate(request, {}), reply);
    assert.equal(provider.requests.length, 1);
    assert.equal(cache.entries.get(keyOf(request))?.createdAt, 2_000);
  });

  test('a failed call puts nothing in the cache', async () => {
    const cache = memoryCache();
    const cached = withCache(scriptedProvider([]), { cache, keyOf, notBefore: 0, now: () => 1 });
    await assert.rejects(cached.doGenerate(request, {}), /script exhausted/);
    assert.deepEqual(cache.entries, new Map());
  });

  test('a request with another key is a miss', async () => {
    const provider = scriptedProvider([reply]);
    const cache = memoryCache();
    cache.entries.set(keyOf(request), stored);
    const cached = withCache(provider, { cache, keyOf, notBefore: 0, now: () => 1 });
    await cached.doGenerate({ ...request, sample: 1 }, {});
    assert.equal(provider.requests.length, 1);
  });

  test('the wrapper passes the provider’s identity and schema support through', () => {
    const provider = scriptedProvider([]);
    const cached = withCache(provider, { cache: memoryCache(), keyOf, notBefore: 0, now: () => 1 });
    assert.deepEqual(
      [
        cached.provider,
        cached.modelId,
        cached.capabilities,
        cached.unsupportedSchemaParts({ name: 'x', jsonSchema: {} }),
      ],
      ['test', 'm', { structuredOutput: 'native' }, ['/x: pattern']],
    );
  });
});
