import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, type SimOptions } from './index.js';
import { countCompletionTokens } from './token-count.js';
import {
  ANTHROPIC_HEADERS,
  OPENAI_HEADERS,
  anthropicRequest,
  openAiRequest,
  post,
  type AnthropicErrorBody,
  type AnthropicMessage,
  type ChatCompletion,
  type OpenAiErrorBody,
} from './sim-client.test.util.js';

const SCHEMA = {
  type: 'object',
  properties: { label: { type: 'string', enum: ['spam', 'ham'] }, score: { type: 'integer' } },
  required: ['label', 'score'],
  additionalProperties: false,
};
const withSchema = {
  response_format: { type: 'json_schema', json_schema: { name: 'label', schema: SCHEMA, strict: true } },
};

/** Sends `count` requests one after another (so the fault draws happen in a known order); returns statuses. */
async function statuses(options: SimOptions, count: number): Promise<number[]> {
  const sim = await startSim(options);
  try {
    const seen: number[] = [];
    for (let i = 0; i < count; i++) {
      seen.push((await post(`${sim.url}/v1/chat/completions`, openAiRequest(`row ${i}`))).status);
    }
    return seen;
  } finally {
    await sim.close();
  }
}

describe('fault injection', () => {
  test('errorRate answers a share of requests with 5xx, the same ones again for the same seed', async () => {
    const first = await statuses({ errorRate: 0.5, seed: 7 }, 30);
    const errors = first.filter((status) => status >= 500).length;
    assert.ok(errors >= 5 && errors <= 25, `${errors} errors of 30: ${first.join(',')}`);
    assert.ok(
      first.every((status) => [200, 500, 502, 503].includes(status)),
      first.join(','),
    );
    assert.deepEqual(await statuses({ errorRate: 0.5, seed: 7 }, 30), first);
    assert.notDeepEqual(await statuses({ errorRate: 0.5, seed: 8 }, 30), first);
  });

  test('OpenAI 5xx bodies are OpenAI error bodies', async () => {
    const sim = await startSim({ errorRate: 1 });
    try {
      const bodies = new Map<number, OpenAiErrorBody>();
      for (let i = 0; i < 30; i++) {
        const response = await post<OpenAiErrorBody>(`${sim.url}/v1/chat/completions`, openAiRequest('x'));
        bodies.set(response.status, response.body);
      }
      assert.deepEqual(Object.fromEntries(bodies), {
        500: {
          error: {
            message: 'The server had an error while processing your request. Sorry about that!',
            type: 'server_error',
            param: null,
            code: null,
          },
        },
        502: { error: { message: 'Bad gateway.', type: 'cf_bad_gateway', param: null, code: 502 } },
        503: {
          error: {
            message: 'The engine is currently overloaded, please try again later',
            type: 'server_error',
            param: null,
            code: null,
          },
        },
      });
      assert.equal(sim.stats().faults.error, 30);
    } finally {
      await sim.close();
    }
  });

  test('Anthropic 5xx include 529 overloaded_error, all in the Anthropic error shape', async () => {
    const sim = await startSim({ errorRate: 1 });
    try {
      const types = new Map<number, string>();
      for (let i = 0; i < 40; i++) {
        const response = await post<AnthropicErrorBody>(
          `${sim.url}/v1/messages`,
          anthropicRequest('x'),
          ANTHROPIC_HEADERS,
        );
        assert.equal(response.body.type, 'error');
        assert.equal(response.body.request_id, response.headers['request-id']);
        types.set(response.status, response.body.error.type);
      }
      assert.deepEqual(Object.fromEntries(types), {
        500: 'api_error',
        502: 'api_error',
        503: 'api_error',
        529: 'overloaded_error',
      });
    } finally {
      await sim.close();
    }
  });

  test('malformedRate answers 200 with content that is not valid JSON, and bills it', async () => {
    const sim = await startSim({ malformedRate: 1 });
    try {
      const response = await post<ChatCompletion>(`${sim.url}/v1/chat/completions`, openAiRequest('mail', withSchema));
      assert.equal(response.status, 200);
      const content = response.body.choices[0]?.message.content ?? '';
      assert.throws(() => JSON.parse(content) as unknown, SyntaxError);
      assert.equal(response.body.usage.completion_tokens, countCompletionTokens(content));
      assert.deepEqual(sim.stats().byStatus, { '200': 1 });
      assert.equal(sim.stats().faults.malformed, 1);
    } finally {
      await sim.close();
    }
  });

  test('malformedRate turns an Anthropic forced tool call into a text block of broken JSON', async () => {
    const sim = await startSim({ malformedRate: 1 });
    try {
      const request = anthropicRequest('mail', {
        tools: [{ name: 'label', input_schema: SCHEMA }],
        tool_choice: { type: 'tool', name: 'label' },
      });
      const response = await post<AnthropicMessage>(`${sim.url}/v1/messages`, request, ANTHROPIC_HEADERS);
      const [block] = response.body.content;
      assert.equal(block?.type, 'text');
      assert.throws(() => JSON.parse(block.text) as unknown, SyntaxError);
      assert.equal(response.body.stop_reason, 'end_turn');
    } finally {
      await sim.close();
    }
  });

  test('truncateRate cuts the body short and drops the connection: the client sees an error', async () => {
    const sim = await startSim({ truncateRate: 1 });
    try {
      const response = await fetch(`${sim.url}/v1/chat/completions`, {
        method: 'POST',
        headers: OPENAI_HEADERS,
        body: JSON.stringify(openAiRequest('cut me')),
      });
      assert.equal(response.status, 200);
      await assert.rejects(response.text());
      assert.deepEqual(sim.stats().byStatus, { truncated: 1 });
    } finally {
      await sim.close();
    }
  });

  test('timeoutRate never answers: the client gives up, and close() still returns promptly', async () => {
    const sim = await startSim({ timeoutRate: 1 });
    const endpoint = `${sim.url}/v1/chat/completions`;
    const started = Date.now();
    await assert.rejects(post(endpoint, openAiRequest('wait'), OPENAI_HEADERS, AbortSignal.timeout(150)), {
      name: 'TimeoutError',
    });
    assert.ok(Date.now() - started >= 140);

    const held = post(endpoint, openAiRequest('still waiting'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = Date.now();
    await sim.close();
    assert.ok(Date.now() - closing < 1000, 'close() waited for a held request');
    await assert.rejects(held);
    assert.deepEqual(sim.stats().byStatus, { timeout: 2 });
  });

  test('latencyMs ± jitterMs delays every answer', async () => {
    const sim = await startSim({ latencyMs: 120, jitterMs: 20 });
    try {
      const started = Date.now();
      await Promise.all([1, 2, 3].map((i) => post(`${sim.url}/v1/chat/completions`, openAiRequest(`slow ${i}`))));
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 95 && elapsed < 600, `took ${elapsed} ms`);
    } finally {
      await sim.close();
    }
  });
});
