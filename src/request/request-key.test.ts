import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AnswerSchema, ChatRequest } from '../providers/provider.js';
import { wireSchema } from '../providers/wire-schema.js';
import { canonicalJson } from './canonical-json.js';
import { createRequestKeyer, endpointLocation, promptHash, sha256Hex, type Endpoint } from './request-key.js';

const endpoint: Endpoint = { provider: 'openai', location: 'default' };

const schema: AnswerSchema = {
  name: 'label',
  jsonSchema: { type: 'object', properties: { label: { type: 'string', enum: ['yes', 'no'] } }, required: ['label'] },
};

/** The key as its spec defines it: SHA-256 of the canonical JSON of everything that decides the answer. */
function specKey(at: Endpoint, request: ChatRequest): string {
  return sha256Hex(
    canonicalJson({
      v: 1,
      provider: at.provider,
      location: at.location,
      model: request.model,
      system: request.system,
      messages: request.messages,
      temperature: request.temperature,
      maxTokens: request.maxTokens,
      schema: request.schema ? sha256Hex(canonicalJson(wireSchema(at.provider, request.schema))) : undefined,
      sample: request.sample ?? 0,
    }),
  );
}

const requests: Record<string, ChatRequest> = {
  'the bare minimum': { model: 'gpt-x', messages: [{ role: 'user', content: 'Is it?' }] },
  'no messages at all': { model: 'gpt-x', messages: [] },
  'every optional field': {
    model: 'gpt-x',
    system: 'You label reviews.',
    messages: [{ role: 'user', content: 'Great phone' }],
    temperature: 0.7,
    maxTokens: 256,
    schema,
    sample: 3,
  },
  'zero temperature, an empty system prompt and sample 0': {
    model: 'gpt-x',
    system: '',
    messages: [{ role: 'user', content: 'x' }],
    temperature: 0,
    sample: 0,
  },
  'quotes, backslashes, newlines, control characters and unicode': {
    model: 'claude "q"\\',
    system: 'Say "hi"\n\tthen\u0000stop \\ ',
    messages: [{ role: 'user', content: 'é 中文 😀 \u2028 "quoted" \r\n back\\slash \u001f' }],
    schema: { name: 'n"ame', jsonSchema: { description: 'é\n"x"', type: 'string' } },
  },
  'a repair conversation with an assistant turn': {
    model: 'gpt-x',
    system: 'sys',
    messages: [
      { role: 'user', content: 'Is it?' },
      { role: 'assistant', content: '{"label":"maybe"}' },
      { role: 'user', content: 'Your answer was invalid: /label must be one of yes, no' },
    ],
    maxTokens: 10,
    schema,
    sample: 1,
  },
};

describe('request keys', () => {
  for (const [name, request] of Object.entries(requests)) {
    test(`the fast key equals the hash of the canonical JSON for ${name}`, () => {
      for (const at of [endpoint, { provider: 'sim "x"', location: 'http://127.0.0.1:1/v1 http://h/é' }]) {
        assert.equal(createRequestKeyer(at)(request), specKey(at, request));
      }
    });
  }

  test('a key is 64 hex characters and the same on every call', () => {
    const keyOf = createRequestKeyer(endpoint);
    const request = requests['every optional field']!;
    const key = keyOf(request);
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(keyOf(request), key);
    assert.equal(createRequestKeyer(endpoint)({ ...request }), key);
  });

  test('the order of keys in the schema does not change the key', () => {
    const keyOf = createRequestKeyer(endpoint);
    const reordered: AnswerSchema = {
      name: 'label',
      jsonSchema: {
        required: ['label'],
        properties: { label: { enum: ['yes', 'no'], type: 'string' } },
        type: 'object',
      },
    };
    const base = { model: 'm', messages: [{ role: 'user' as const, content: 'q' }] };
    assert.equal(keyOf({ ...base, schema: reordered }), keyOf({ ...base, schema }));
    const changed: AnswerSchema = { name: 'label', jsonSchema: { ...schema.jsonSchema, required: [] } };
    assert.notEqual(keyOf({ ...base, schema: changed }), keyOf({ ...base, schema }));
  });

  test('a schema keyword the provider does not receive (OpenAI strict: maxLength) leaves the key as it was', () => {
    const withLimit = (maxLength: number): AnswerSchema => ({
      name: 'note',
      jsonSchema: { type: 'object', properties: { note: { type: 'string', maxLength } }, required: ['note'] },
    });
    const base = { model: 'm', messages: [{ role: 'user' as const, content: 'q' }] };
    const openai = createRequestKeyer({ provider: 'openai', location: 'default' });
    assert.equal(openai({ ...base, schema: withLimit(5) }), openai({ ...base, schema: withLimit(500) }));
    // Anthropic's tool receives the whole schema: there the limit is part of the request.
    const anthropic = createRequestKeyer({ provider: 'anthropic', location: 'default' });
    assert.notEqual(anthropic({ ...base, schema: withLimit(5) }), anthropic({ ...base, schema: withLimit(500) }));
  });

  test('an absent sample index keys as sample 0', () => {
    const keyOf = createRequestKeyer(endpoint);
    const request = requests['the bare minimum']!;
    assert.equal(keyOf({ ...request, sample: 0 }), keyOf(request));
  });

  test('the sample index, model, endpoint, temperature, system prompt and schema each change the key', () => {
    const request = requests['every optional field']!;
    const key = createRequestKeyer(endpoint)(request);
    const variants = [
      createRequestKeyer(endpoint)({ ...request, sample: 4 }),
      createRequestKeyer(endpoint)({ ...request, model: 'gpt-y' }),
      createRequestKeyer({ provider: 'openai', location: 'http://localhost:8080/v1' })(request),
      createRequestKeyer({ provider: 'anthropic', location: 'default' })(request),
      createRequestKeyer(endpoint)({ ...request, temperature: 0.2 }),
      createRequestKeyer(endpoint)({ ...request, maxTokens: 257 }),
      createRequestKeyer(endpoint)({ ...request, system: 'You label tweets.' }),
      createRequestKeyer(endpoint)({ ...request, schema: { ...schema, name: 'other' } }),
      createRequestKeyer(endpoint)({ ...request, messages: [{ role: 'assistant', content: 'Great phone' }] }),
    ];
    assert.equal(new Set([key, ...variants]).size, variants.length + 1);
  });

  test('the prompt hash is equal for equal prompts and 16 hex characters', () => {
    const a: ChatRequest = { model: 'a', system: 's', messages: [{ role: 'user', content: 'q' }], sample: 1 };
    const b: ChatRequest = { model: 'b', system: 's', messages: [{ role: 'user', content: 'q' }], temperature: 1 };
    assert.match(promptHash(a), /^[0-9a-f]{16}$/);
    assert.equal(promptHash(a), promptHash(b));
  });

  test('the prompt hash differs when the system prompt or a message differs', () => {
    const base: ChatRequest = { model: 'a', system: 's', messages: [{ role: 'user', content: 'q' }] };
    const hashes = [
      promptHash(base),
      promptHash({ ...base, system: 't' }),
      promptHash({ model: 'a', messages: base.messages }),
      promptHash({ ...base, messages: [{ role: 'user', content: 'r' }] }),
      promptHash({ ...base, messages: [{ role: 'assistant', content: 'q' }] }),
    ];
    assert.equal(new Set(hashes).size, hashes.length);
  });

  test('the endpoint location is default without base URLs', () => {
    assert.equal(endpointLocation([]), 'default');
  });

  test('the endpoint location sorts and de-duplicates base URLs and ignores trailing slashes', () => {
    const urls = ['http://b.test:9000/v1/', 'http://a.test/v1', 'http://b.test:9000/v1', 'http://a.test/v1/'];
    assert.equal(endpointLocation(urls.map((u) => new URL(u))), 'http://a.test/v1 http://b.test:9000/v1');
    assert.equal(endpointLocation([new URL('http://a.test')]), endpointLocation([new URL('http://a.test/')]));
    assert.equal(endpointLocation([new URL('http://a.test')]), 'http://a.test');
  });
});
