import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { startSim, type SimServer } from './index.js';
import { countCompletionTokens, countPromptTokens } from './token-count.js';
import {
  ANTHROPIC_HEADERS,
  anthropicRequest,
  post,
  type AnthropicErrorBody,
  type AnthropicMessage,
} from './sim-client.test.util.js';

const INVOICE_SCHEMA = {
  type: 'object',
  properties: {
    vendor: { type: 'string', minLength: 2 },
    total: { type: 'number', minimum: 0 },
    currency: { type: 'string', enum: ['EUR', 'USD'] },
    issued: { type: 'string', format: 'date' },
    lines: { type: 'array', items: { $ref: '#/$defs/line' }, minItems: 1 },
  },
  required: ['vendor', 'total', 'currency', 'lines'],
  $defs: {
    line: {
      type: 'object',
      properties: { item: { type: 'string' }, quantity: { type: 'integer', minimum: 1 } },
      required: ['item', 'quantity'],
    },
  },
};
const forcedTool = {
  system: 'Extract the invoice.',
  tools: [
    { name: 'unused', description: 'Not this one', input_schema: { type: 'object', properties: {} } },
    { name: 'record_invoice', description: 'Records an invoice', input_schema: INVOICE_SCHEMA },
  ],
  tool_choice: { type: 'tool', name: 'record_invoice' },
};

describe('POST /v1/messages', () => {
  let sim: SimServer;
  let endpoint: string;
  before(async () => {
    sim = await startSim({});
    endpoint = `${sim.url}/v1/messages`;
  });
  after(() => sim.close());

  test('answers a forced tool with a tool_use block whose input satisfies the input_schema', async () => {
    const text = 'ACME GmbH, 3 widgets, 42 EUR';
    const response = await post<AnthropicMessage>(endpoint, anthropicRequest(text, forcedTool), ANTHROPIC_HEADERS);

    assert.equal(response.status, 200);
    assert.match(response.headers['request-id'] ?? '', /^req_/);
    const { id, content, ...rest } = response.body;
    assert.match(id, /^msg_/);
    const block = content[0];
    assert.ok(content.length === 1 && block?.type === 'tool_use', JSON.stringify(content));
    assert.match(block.id, /^toolu_/);
    assert.equal(block.name, 'record_invoice');
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(INVOICE_SCHEMA);
    assert.ok(validate(block.input), JSON.stringify(validate.errors));
    assert.deepEqual(rest, {
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: countPromptTokens(['Extract the invoice.', text]),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: countCompletionTokens(JSON.stringify(block.input)),
      },
    });
  });

  test('gives the same forced-tool request the same input every time', async () => {
    const ask = async (): Promise<unknown> => {
      const response = await post<AnthropicMessage>(
        endpoint,
        anthropicRequest('Same invoice', forcedTool),
        ANTHROPIC_HEADERS,
      );
      const block = response.body.content[0];
      return block?.type === 'tool_use' ? block.input : block;
    };
    const first = await ask();
    assert.deepEqual(await ask(), first);
    assert.equal(typeof first, 'object');
  });

  test('answers without a forced tool in one text block ending the turn', async () => {
    const response = await post<AnthropicMessage>(
      endpoint,
      anthropicRequest('Summarise the meeting notes', { tools: forcedTool.tools, tool_choice: { type: 'auto' } }),
      ANTHROPIC_HEADERS,
    );
    const [block] = response.body.content;
    assert.equal(block?.type, 'text');
    assert.match(block.text, /^Simulated answer about Summarise the meeting notes: \w+\.$/);
    assert.equal(response.body.stop_reason, 'end_turn');
    assert.equal(response.body.usage.output_tokens, countCompletionTokens(block.text));
  });

  test('stops at max_tokens with stop_reason max_tokens', async () => {
    const response = await post<AnthropicMessage>(
      endpoint,
      anthropicRequest('Write a long essay about the history of rivers', { max_tokens: 2 }),
      ANTHROPIC_HEADERS,
    );
    assert.equal(response.body.stop_reason, 'max_tokens');
    assert.equal(response.body.usage.output_tokens, 2);
  });

  test('counts tool_use and tool_result blocks of a repair turn as prompt text', async () => {
    const messages = [
      { role: 'user', content: 'Extract it' },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_1', name: 'record_invoice', input: { vendor: 'A' } }],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'total is missing', is_error: true },
          { type: 'text', text: 'Try again' },
        ],
      },
    ];
    const response = await post<AnthropicMessage>(
      endpoint,
      { ...anthropicRequest('', forcedTool), messages },
      ANTHROPIC_HEADERS,
    );
    assert.equal(
      response.body.usage.input_tokens,
      countPromptTokens(['Extract the invoice.', 'Extract it', '{"vendor":"A"}', 'total is missing\nTry again']),
    );
  });

  describe('rejects bad requests with 400 and an Anthropic error body', () => {
    const cases: [string, unknown, Record<string, string>, string][] = [
      [
        'no max_tokens',
        { model: 'claude', messages: [{ role: 'user', content: 'hi' }] },
        ANTHROPIC_HEADERS,
        'max_tokens: Field required',
      ],
      [
        'no anthropic-version header',
        anthropicRequest('hi'),
        { 'content-type': 'application/json' },
        'anthropic-version: header is required',
      ],
      [
        'a system message inside messages',
        { ...anthropicRequest('hi'), messages: [{ role: 'system', content: 'x' }] },
        ANTHROPIC_HEADERS,
        'Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.',
      ],
      [
        'a forced tool that is not among the tools',
        anthropicRequest('hi', { tools: forcedTool.tools, tool_choice: { type: 'tool', name: 'missing' } }),
        ANTHROPIC_HEADERS,
        'tool_choice: tool `missing` not found in `tools`',
      ],
      [
        'a body that is not JSON',
        '{"model":',
        ANTHROPIC_HEADERS,
        'There was an issue with the request body: invalid JSON',
      ],
    ];
    for (const [name, body, headers, message] of cases) {
      test(name, async () => {
        const response = await post<AnthropicErrorBody>(endpoint, body, headers);
        assert.equal(response.status, 400);
        assert.deepEqual(response.body, {
          type: 'error',
          error: { type: 'invalid_request_error', message },
          request_id: response.headers['request-id'],
        });
      });
    }
  });
});
