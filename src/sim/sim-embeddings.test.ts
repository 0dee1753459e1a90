import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { fromBase64 } from '../output/vector-text.js';
import { embeddingOf } from './handle-embeddings.js';
import { startSim, type SimServer } from './sim-server.js';

let sim: SimServer;
before(async () => {
  sim = await startSim({ port: 0 });
});
after(() => sim.close());

interface EmbeddingsBody {
  object: string;
  model: string;
  data: { object: string; index: number; embedding: number[] & string }[];
  usage: { prompt_tokens: number; total_tokens: number };
  error: { type: string; message: string };
}

async function embed(body: unknown) {
  const response = await request(`${sim.url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    json: (await response.body.json()) as EmbeddingsBody,
  };
}

test('answers a list of inputs in order, as floats or base64 float32, with usage', async () => {
  const floats = await embed({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], dimensions: 8 });
  assert.equal(floats.status, 200);
  assert.equal(floats.json.object, 'list');
  assert.equal(floats.json.model, 'text-embedding-3-small');
  assert.deepEqual(
    floats.json.data.map((d) => [d.object, d.index, d.embedding.length]),
    [
      ['embedding', 0, 8],
      ['embedding', 1, 8],
    ],
  );
  assert.ok(floats.json.usage.prompt_tokens > 0 && floats.json.usage.total_tokens === floats.json.usage.prompt_tokens);
  assert.match(String(floats.headers['x-request-id']), /^req_/);
  const packed = await embed({
    model: 'text-embedding-3-small',
    input: 'alpha',
    dimensions: 8,
    encoding_format: 'base64',
  });
  const vector = fromBase64(packed.json.data[0]!.embedding);
  assert.deepEqual(Array.from(vector), floats.json.data[0]!.embedding);
  assert.deepEqual(vector, embeddingOf('text-embedding-3-small', 'alpha', 8));
  assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-6);
  const large = await embed({ model: 'text-embedding-3-large', input: 'alpha' });
  assert.equal(large.json.data[0]!.embedding.length, 3072);
});

test('rejects what OpenAI rejects, with its error bodies', async () => {
  const cases: [unknown, RegExp][] = [
    [{ model: 'text-embedding-3-small' }, /'input' is a required property/],
    [{ model: 'text-embedding-3-small', input: '' }, /'\$\.input' is invalid/],
    [{ model: 'text-embedding-3-small', input: Array(2049).fill('x') }, /'\$\.input' is invalid/],
    [{ model: 'text-embedding-3-small', input: 'x '.repeat(9000) }, /maximum context length is 8192 tokens/],
    [{ model: 'text-embedding-ada-002', input: 'x', dimensions: 8 }, /does not support specifying dimensions/],
    [{ model: 'text-embedding-3-small', input: 'x', encoding_format: 'int8' }, /is not one of \['float', 'base64'\]/],
  ];
  for (const [body, message] of cases) {
    const answer = await embed(body);
    assert.equal(answer.status, 400, JSON.stringify(body).slice(0, 80));
    assert.equal(answer.json.error.type, 'invalid_request_error');
    assert.match(answer.json.error.message, message);
  }
});
