import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import { fromBase64 } from '../output/vector-text.js';
import type { ChatRequest, EmbeddingProvider, EmbedLimits } from '../providers/provider.js';
import { batchEmbeddings } from './embed-batcher.js';

function recorder(limits: EmbedLimits, fail?: (inputs: readonly string[]) => boolean) {
  const calls: string[][] = [];
  const provider: EmbeddingProvider = {
    provider: 'test',
    modelId: 'm',
    limits,
    doEmbed(inputs) {
      calls.push([...inputs]);
      if (fail?.(inputs)) return Promise.reject(new ApiCallError({ message: 'boom', isRetryable: true }));
      const vectors = inputs.map((text) => Float32Array.from([text.length, 1]));
      return Promise.resolve({ vectors, inputTokens: inputs.length * 10, model: 'm-1', providerRequestId: 'req' });
    },
    close: () => Promise.resolve(),
  };
  return { provider, calls };
}

const ask = (text: string): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: text }] });
const words = (n: number) => Array.from({ length: n }, (_, i) => `text ${i}`);

test('rows asked together are packed into calls of at most maxInputs, each row getting its own vector', async () => {
  const { provider, calls } = recorder({ maxInputs: 4 });
  const batched = batchEmbeddings(provider, { requests: 8, countTokens: () => 1 });
  const results = await Promise.all(words(10).map((text) => batched.doGenerate(ask(text), {})));
  assert.deepEqual(
    calls.map((call) => call.length),
    [4, 4, 2],
  );
  assert.deepEqual(Array.from(fromBase64(results[9]!.text)), [6, 1]);
  assert.deepEqual(results[0]!.usage, { inputTokens: 10, outputTokens: 0 });
  assert.equal(results[0]!.providerRequestId, 'req');
  assert.equal(batched.maxInFlight, 32);
});

test('a call carries no more tokens than the provider allows; a text over the per-input limit fails alone', async () => {
  const { provider, calls } = recorder({ maxInputs: 100, maxInputTokens: 50, maxTotalTokens: 100 });
  const batched = batchEmbeddings(provider, { requests: 1, countTokens: (text) => Number(text) });
  const settled = await Promise.allSettled(['40', '40', '40', '60', '10'].map((t) => batched.doGenerate(ask(t), {})));
  assert.deepEqual(calls, [
    ['40', '40'],
    ['40', '10'],
  ]);
  assert.equal(settled[3]!.status, 'rejected');
  const reason = (settled[3] as PromiseRejectedResult).reason as ApiCallError;
  assert.match(reason.message, /60 tokens, over the model's limit of 50 per input/);
  assert.equal(reason.isRetryable, false);
});

test('an empty text is refused without a call; a failed call fails every row of it, to be retried', async () => {
  const { provider, calls } = recorder({ maxInputs: 10 }, (inputs) => inputs.includes('bad'));
  const batched = batchEmbeddings(provider, { requests: 2, countTokens: () => 1 });
  await assert.rejects(batched.doGenerate(ask('  '), {}), /the text to embed is empty/);
  const settled = await Promise.allSettled(['a', 'bad', 'c'].map((t) => batched.doGenerate(ask(t), {})));
  assert.deepEqual(
    settled.map((s) => s.status),
    ['rejected', 'rejected', 'rejected'],
  );
  assert.equal(calls.length, 1);
  const retried = await batched.doGenerate(ask('a'), {});
  assert.deepEqual(Array.from(fromBase64(retried.text)), [1, 1]);
});
