import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { startSim, type SimServer } from './index.js';
import { countCompletionTokens, countPromptTokens } from './token-count.js';
import { get, openAiRequest, post, type ChatCompletion, type OpenAiErrorBody } from './sim-client.test.util.js';

const SENTIMENT_SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    topics: { type: 'array', items: { type: 'string' }, maxItems: 3 },
  },
  required: ['sentiment', 'confidence', 'topics'],
  additionalProperties: false,
};
const withSchema = {
  response_format: { type: 'json_schema', json_schema: { name: 'sentiment', schema: SENTIMENT_SCHEMA, strict: true } },
};

describe('POST /v1/chat/completions', () => {
  let sim: SimServer;
  let endpoint: string;
  before(async () => {
    sim = await startSim({});
    endpoint = `${sim.url}/v1/chat/completions`;
  });
  after(() => sim.close());

  test('answers a json_schema request with a chat.completion whose content satisfies the schema', async () => {
    const response = await post<ChatCompletion>(
      endpoint,
      openAiRequest('Review: the blender is loud but works.', withSchema),
    );

    assert.equal(response.status, 200);
    assert.match(response.headers['x-request-id'] ?? '', /^req_/);
    assert.equal(response.headers['content-type'], 'application/json');
    const { id, created, choices, ...rest } = response.body;
    assert.match(id, /^chatcmpl-/);
    assert.ok(Math.abs(created - Date.now() / 1000) < 5);
    assert.equal(choices.length, 1);
    const content = choices[0]?.message.content ?? '';
    assert.deepEqual(choices[0], {
      index: 0,
      message: { role: 'assistant', content, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    });
    const validate = new Ajv().compile(SENTIMENT_SCHEMA);
    assert.ok(validate(JSON.parse(content)), JSON.stringify(validate.errors));
    const promptTokens = countPromptTokens(['Review: the blender is loud but works.']);
    const completionTokens = countCompletionTokens(content);
    assert.deepEqual(rest, {
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_sim0000001',
    });
  });

  test('gives the same request the same answer, and a different prompt a different one', async () => {
    const ask = async (text: string): Promise<string> =>
      (await post<ChatCompletion>(endpoint, openAiRequest(text, withSchema))).body.choices[0]?.message.content ?? '';
    const first = await ask('Review: arrived broken.');
    assert.equal(await ask('Review: arrived broken.'), first);
    const others = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((letter) => ask(`Review: ${letter}`)));
    assert.ok(
      others.some((other) => other !== first),
      'five other prompts all got the same answer',
    );
  });

  test('answers plain text with a sentence drawn from the last user message', async () => {
    const response = await post<ChatCompletion>(endpoint, {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Name the capital of France' }] },
      ],
    });
    const content = response.body.choices[0]?.message.content ?? '';
    assert.match(content, /^Simulated answer about (\w+ ){3}\w+: \w+\.$/);
    assert.ok(/France|capital|Name/.test(content), content);
    assert.equal(
      response.body.usage.prompt_tokens,
      countPromptTokens(['You are terse.', 'Name the capital of France']),
    );
    assert.equal(response.body.usage.completion_tokens, countCompletionTokens(content));
  });

  test('stops at max_completion_tokens with finish_reason length, cutting the JSON mid-document', async () => {
    const response = await post<ChatCompletion>(
      endpoint,
      openAiRequest('Review: fine.', { ...withSchema, max_completion_tokens: 4 }),
    );
    const choice = response.body.choices[0];
    assert.equal(choice?.finish_reason, 'length');
    assert.equal(response.body.usage.completion_tokens, 4);
    assert.equal(countCompletionTokens(choice.message.content), 4);
    assert.throws(() => JSON.parse(choice.message.content) as unknown, SyntaxError);
  });

  test('returns n distinct choices when asked for several', async () => {
    const response = await post<ChatCompletion>(endpoint, openAiRequest('Review: fine.', { ...withSchema, n: 3 }));
    assert.deepEqual(
      response.body.choices.map((choice) => choice.index),
      [0, 1, 2],
    );
    const tokens = response.body.choices.reduce(
      (sum, choice) => sum + countCompletionTokens(choice.message.content),
      0,
    );
    assert.equal(response.body.usage.completion_tokens, tokens);
  });

  test('answers json_object mode with a JSON object, and refuses it when the prompt never says json', async () => {
    const ok = await post<ChatCompletion>(
      endpoint,
      openAiRequest('Reply in JSON: hi', { response_format: { type: 'json_object' } }),
    );
    assert.equal(typeof JSON.parse(ok.body.choices[0]?.message.content ?? ''), 'object');

    const refused = await post<OpenAiErrorBody>(
      endpoint,
      openAiRequest('hi', { response_format: { type: 'json_object' } }),
    );
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body, {
      error: {
        message:
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
        type: 'invalid_request_error',
        param: 'messages',
        code: null,
      },
    });
  });

  describe('rejects bad requests with 400 and an OpenAI error body', () => {
    const cases: [string, unknown, OpenAiErrorBody['error']][] = [
      [
        'a body that is not JSON',
        '{"model": "gpt-4o-mini", "messages": [',
        {
          message:
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      ],
      [
        'no model',
        { messages: [{ role: 'user', content: 'hi' }] },
        { message: 'you must provide a model parameter', type: 'invalid_request_error', param: null, code: null },
      ],
      [
        'no messages',
        { model: 'gpt-4o-mini' },
        {
          message: "Missing required parameter: 'messages'.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'missing_required_parameter',
        },
      ],
      [
        'an empty messages array',
        { model: 'gpt-4o-mini', messages: [] },
        {
          message:
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'empty_array',
        },
      ],
      [
        'a message whose content is a number',
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 7 }] },
        {
          message:
            "Invalid type for 'messages[0].content': expected one of a string or array of objects, but got a number instead.",
          type: 'invalid_request_error',
          param: 'messages[0].content',
          code: 'invalid_type',
        },
      ],
      [
        'max_tokens of 0',
        openAiRequest('hi', { max_tokens: 0 }),
        {
          message: "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.",
          type: 'invalid_request_error',
          param: 'max_tokens',
          code: 'integer_below_min_value',
        },
      ],
      [
        'a json_schema format without a name',
        openAiRequest('hi', { response_format: { type: 'json_schema', json_schema: { schema: {} } } }),
        {
          message: "Missing required parameter: 'response_format.json_schema.name'.",
          type: 'invalid_request_error',
          param: 'response_format.json_schema.name',
          code: 'missing_required_parameter',
        },
      ],
    ];
    for (const [name, body, error] of cases) {
      test(name, async () => {
        const response = await post<OpenAiErrorBody>(endpoint, body);
        assert.equal(response.status, 400);
        assert.deepEqual(response.body, { error });
      });
    }
  });

  test('answers an unknown path with 404 in the OpenAI error shape', async () => {
    const response = await get<OpenAiErrorBody>(`${sim.url}/v1/completions`);
    assert.equal(response.status, 404);
    assert.deepEqual(response.body, {
      error: { message: 'Invalid URL (GET /v1/completions)', type: 'invalid_request_error', param: null, code: null },
    });
  });

  test('reports health', async () => {
    const response = await get(`${sim.url}/health`);
    assert.deepEqual([response.status, response.body], [200, { ok: true }]);
  });
});
