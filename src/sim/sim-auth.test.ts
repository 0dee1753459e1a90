import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, type SimServer } from './index.js';
import {
  ANTHROPIC_HEADERS,
  OPENAI_HEADERS,
  anthropicRequest,
  openAiRequest,
  post,
  type AnthropicErrorBody,
  type OpenAiErrorBody,
} from './sim-client.test.util.js';

const KEY = 'sk-sim-secret-123';

describe('apiKey', () => {
  let sim: SimServer;
  before(async () => {
    sim = await startSim({ apiKey: KEY });
  });
  after(() => sim.close());

  test('OpenAI: no key is 401 with OpenAI’s message for a missing key', async () => {
    const response = await post<OpenAiErrorBody>(`${sim.url}/v1/chat/completions`, openAiRequest('hi'));
    assert.equal(response.status, 401);
    assert.equal(response.body.error.type, 'invalid_request_error');
    assert.equal(response.body.error.code, null);
    assert.match(response.body.error.message, /^You didn't provide an API key\./);
  });

  test('OpenAI: a wrong key is 401 invalid_api_key, and the key is not echoed', async () => {
    const wrong = 'sk-wrong-key-987';
    const response = await post<OpenAiErrorBody>(`${sim.url}/v1/chat/completions`, openAiRequest('hi'), {
      ...OPENAI_HEADERS,
      authorization: `Bearer ${wrong}`,
    });
    assert.equal(response.status, 401);
    assert.deepEqual(response.body, {
      error: {
        message:
          'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
  });

  test('OpenAI: the right bearer key is answered', async () => {
    const response = await post(`${sim.url}/v1/chat/completions`, openAiRequest('hi'), {
      ...OPENAI_HEADERS,
      authorization: `Bearer ${KEY}`,
    });
    assert.equal(response.status, 200);
  });

  test('Anthropic: a missing or wrong x-api-key is 401 authentication_error; the right one is answered', async () => {
    const endpoint = `${sim.url}/v1/messages`;
    const missing = await post<AnthropicErrorBody>(endpoint, anthropicRequest('hi'), ANTHROPIC_HEADERS);
    const wrong = await post<AnthropicErrorBody>(endpoint, anthropicRequest('hi'), {
      ...ANTHROPIC_HEADERS,
      'x-api-key': 'nope',
    });
    const right = await post(endpoint, anthropicRequest('hi'), { ...ANTHROPIC_HEADERS, 'x-api-key': KEY });

    assert.deepEqual(
      [missing.status, missing.body.error, wrong.status, wrong.body.error, right.status],
      [
        401,
        { type: 'authentication_error', message: 'x-api-key header is required' },
        401,
        { type: 'authentication_error', message: 'invalid x-api-key' },
        200,
      ],
    );
  });

  test('an OpenAI bearer key does not open the Anthropic endpoint', async () => {
    const response = await post(`${sim.url}/v1/messages`, anthropicRequest('hi'), {
      ...ANTHROPIC_HEADERS,
      authorization: `Bearer ${KEY}`,
    });
    assert.equal(response.status, 401);
  });
});
