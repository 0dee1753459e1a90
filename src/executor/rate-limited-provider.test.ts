import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RequestLog } from '../observe/request-log.js';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { ChatProvider, ChatRequest, ChatResult, EmbeddingProvider } from '../providers/provider.js';
import { ConcurrencyController } from './concurrency.js';
import { withEmbeddingRateLimit, withRateLimit } from './rate-limited-provider.js';
import { RateLimiter } from './rate-limiter.js';
import { Slots } from './slots.js';

const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'Is it?' }] };
const answer: ChatResult = {
  text: 'yes',
  finishReason: 'stop',
  usage: { inputTokens: 12, outputTokens: 3 },
  model: 'm',
  rateLimit: { requests: { limit: 500, remaining: 499, resetMs: 120 } },
};

/** A provider that answers each call with the next step: a result, or an error thrown. */
function scripted(provider: string, steps: (ChatResult | Error)[]): ChatProvider {
  return {
    specificationVersion: 'v1',
    provider,
    modelId: 'm',
    capabilities: { structuredOutput: 'native' },
    unsupportedSchemaParts: () => [],
    doGenerate: () => {
      const step = steps.shift()!;
      return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
    },
    close: () => Promise.resolve(),
  };
}

function limited(provider: ChatProvider, log: RequestLog): ChatProvider {
  let clock = 0;
  const now = () => (clock += 40);
  const limiter = new RateLimiter({ rpm: 60_000, now });
  const concurrency = new ConcurrencyController(new Slots(1), limiter, { fixed: 4, max: 4 });
  return withRateLimit(provider, limiter, concurrency, now, undefined, log);
}

describe('the request log of a rate-limited provider', () => {
  test('each call is recorded as it ends: outcome, HTTP status, latency, tokens, the limits its headers stated', async () => {
    const log = new RequestLog();
    const refused = new ApiCallError({ message: 'slow down', statusCode: 429, isRetryable: true, retryAfterMs: 1 });
    const down = new ApiCallError({ message: 'connect ECONNREFUSED', isRetryable: true });
    const provider = limited(scripted('openai', [answer, refused, down]), log);
    await provider.doGenerate(request, {});
    await assert.rejects(provider.doGenerate(request, {}), /slow down/);
    await assert.rejects(provider.doGenerate(request, {}), /ECONNREFUSED/);
    assert.deepEqual(Object.fromEntries(log.byOutcome), { 'ok 200': 1, 'rate_limited 429': 1, 'error 0': 1 });
    assert.deepEqual([log.calls, log.inFlight, log.latency.count], [3, 0, 3]);
    assert.deepEqual([log.inputTokens.sum, log.outputTokens.sum, log.inputTokens.count], [12, 3, 1]);
    assert.deepEqual(log.statedLimits, { requests: 500 });
  });

  test('a call is in flight from its permit until it ends', async () => {
    const log = new RequestLog();
    let release: (result: ChatResult) => void = () => undefined;
    const provider = limited(
      { ...scripted('openai', []), doGenerate: () => new Promise<ChatResult>((resolve) => (release = resolve)) },
      log,
    );
    const call = provider.doGenerate(request, {});
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(log.inFlight, 1);
    release(answer);
    await call;
    assert.equal(log.inFlight, 0);
  });

  test('a model in this process answers with no HTTP status', async () => {
    const log = new RequestLog();
    await limited(scripted('llama', [answer]), log).doGenerate(request, {});
    assert.deepEqual(Object.fromEntries(log.byOutcome), { 'ok 0': 1 });
  });

  test('an embeddings call is one call, with its input tokens and no output tokens', async () => {
    const log = new RequestLog();
    const embeddings: EmbeddingProvider = {
      provider: 'openai',
      modelId: 'e',
      limits: { maxInputs: 8 },
      doEmbed: (inputs) =>
        Promise.resolve({ vectors: inputs.map(() => new Float32Array(2)), inputTokens: 9, model: 'e' }),
      close: () => Promise.resolve(),
    };
    const now = () => 0;
    const provider = withEmbeddingRateLimit(embeddings, new RateLimiter({ now }), now, () => 3, log);
    await provider.doEmbed(['a', 'b', 'c'], { inputTokens: 9 });
    assert.deepEqual(Object.fromEntries(log.byOutcome), { 'ok 200': 1 });
    assert.deepEqual([log.inputTokens.sum, log.outputTokens.count], [9, 0]);
  });
});
