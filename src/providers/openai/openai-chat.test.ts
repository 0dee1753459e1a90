import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HttpClient } from '../http/http-client.js';
import { completionResult, createOpenAIChat, finishReason } from './openai-chat.js';

/** An HTTP client that answers every post with `body`, recording what was sent. */
function answering(body: unknown): HttpClient & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    postJson: (_path, _headers, request) => {
      sent.push(request);
      return Promise.resolve({ status: 200, headers: {}, body: JSON.stringify(body), url: 'http://test/v1' });
    },
    close: () => Promise.resolve(),
  };
}

/** A chat completion as OpenAI documents it, cut off at max_tokens. */
const cutOff = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    { index: 0, message: { role: 'assistant', content: '{"category": "bill', refusal: null }, finish_reason: 'length' },
  ],
  usage: { prompt_tokens: 120, completion_tokens: 8, total_tokens: 128 },
};

describe('the OpenAI chat adapter', () => {
  test('an answer cut off at max_tokens finishes with length, its text and usage as sent', async () => {
    const http = answering(cutOff);
    const chat = createOpenAIChat({ modelId: 'gpt-4o-mini', http, timeoutMs: 1000, useMaxCompletionTokens: true });
    const result = await chat.doGenerate(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], maxTokens: 8 },
      {},
    );
    assert.deepEqual(result, {
      text: '{"category": "bill',
      finishReason: 'length',
      usage: { inputTokens: 120, outputTokens: 8 },
      model: 'gpt-4o-mini-2024-07-18',
      providerRequestId: 'chatcmpl-1',
    });
    assert.equal((JSON.parse(http.sent[0]!) as { max_completion_tokens: number }).max_completion_tokens, 8);
  });

  test('a batch output line (the same completion body) keeps the finish reason', () => {
    assert.equal(completionResult('http://test/v1/files/f/content', cutOff, 'req-1').finishReason, 'length');
  });

  test('every documented finish_reason maps to the pipeline’s', () => {
    assert.deepEqual(
      ['stop', 'length', 'content_filter', 'tool_calls', 'function_call', undefined, 'new_reason'].map(finishReason),
      ['stop', 'length', 'content-filter', 'tool', 'tool', 'other', 'other'],
    );
  });
});
