import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishReason } from './llama-chat.js';

test('node-llama-cpp’s stop reasons map to the pipeline’s: maxTokens is an answer cut off at max_tokens', () => {
  assert.deepEqual(
    ['eogToken', 'stopGenerationTrigger', 'maxTokens', 'customStopTrigger', 'functionCalls'].map(finishReason),
    ['stop', 'stop', 'length', 'other', 'other'],
  );
});
