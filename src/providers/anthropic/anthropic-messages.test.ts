import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HttpClient } from '../http/http-client.js';
import { createAnthropicMessages, finishReason, messageResult, type AnthropicMessage } from './anthropic-messages.js';

/** A message as Anthropic documents it: a forced tool call cut off at max_tokens, whose input is what was written. */
const cutOff: AnthropicMessage & Record<string, unknown> = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-haiku-4-5-20251001',
  content: [{ type: 'tool_use', name: 'answer', input: {} }],
  stop_reason: 'max_tokens',
  stop_sequence: null,
  usage: { input_tokens: 300, output_tokens: 20 },
};

describe('the Anthropic messages adapter', () => {
  test('a tool call cut off at max_tokens finishes with length', async () => {
    const http: HttpClient = {
      postJson: () => Promise.resolve({ status: 200, headers: {}, body: JSON.stringify(cutOff), url: 'http://test' }),
      close: () => Promise.resolve(),
    };
    const messages = createAnthropicMessages({ modelId: 'claude-haiku-4-5', http, timeoutMs: 1000 });
    const result = await messages.doGenerate(
      { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }], maxTokens: 20 },
      {},
    );
    assert.deepEqual(result, {
      text: '{}',
      finishReason: 'length',
      usage: { inputTokens: 300, outputTokens: 20 },
      model: 'claude-haiku-4-5-20251001',
      providerRequestId: 'msg_1',
    });
  });

  test('a batch result (the same message) keeps the finish reason', () => {
    assert.equal(messageResult('http://test/v1/messages/batches/b/results', cutOff, 'msg_1').finishReason, 'length');
  });

  test('every documented stop_reason maps to the pipeline’s; a full context window is a cut-off answer too', () => {
    assert.deepEqual(
      [
        'end_turn',
        'stop_sequence',
        'max_tokens',
        'model_context_window_exceeded',
        'tool_use',
        'refusal',
        undefined,
      ].map(finishReason),
      ['stop', 'stop', 'length', 'length', 'tool', 'content-filter', 'other'],
    );
  });
});
