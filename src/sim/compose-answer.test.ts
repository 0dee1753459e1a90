import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breakJson, composeAnswer } from './compose-answer.js';
import { fitToMaxTokens } from './fit-to-max-tokens.js';
import type { SimCall } from './sim-call.js';
import { countCompletionTokens } from './token-count.js';

const call: SimCall = {
  model: 'm',
  promptParts: ['Is this spam?'],
  keyMaterial: null,
  firstUserText: 'Is this spam?',
  lastUserText: 'Is this spam?',
  maxTokens: undefined,
  choices: 1,
  format: { kind: 'schema', schema: { type: 'object', properties: { spam: { type: 'boolean' } }, required: ['spam'] } },
};

test('a schema answer carries the document and its exact token count', () => {
  const answer = composeAnswer(call, 9, false);
  assert.deepEqual(answer, {
    text: JSON.stringify(answer.document),
    document: { spam: (answer.document as { spam: boolean }).spam },
    finish: 'stop',
    tokens: countCompletionTokens(answer.text),
    malformed: false,
  });
});

test('an answer over max_tokens is cut to fit, loses its document and finishes with length', () => {
  const answer = composeAnswer({ ...call, maxTokens: 2 }, 9, false);
  assert.deepEqual(answer, { text: answer.text, document: undefined, finish: 'length', tokens: 2, malformed: false });
  assert.equal(countCompletionTokens(answer.text), 2);
  assert.ok(answer.text.length > 0 && JSON.stringify(composeAnswer(call, 9, false).document).startsWith(answer.text));
});

test('cut off at max_tokens, the usage is max_tokens even when the text ends short of a multi-token character', () => {
  // '🦜' is 3 tokens: 4 of them fit in 12 tokens, and a 13-token limit cuts the fifth after its first token.
  const fitted = fitToMaxTokens('🦜'.repeat(10), 13);
  assert.deepEqual(fitted, { text: '🦜'.repeat(4), tokens: 13, cut: true });
  assert.equal(countCompletionTokens(fitted.text), 12);
  assert.deepEqual(fitToMaxTokens('🦜'.repeat(4), 13), { text: '🦜'.repeat(4), tokens: 12, cut: false });
});

test('broken JSON never parses, whatever was broken', () => {
  const documents = ['{"a":1}', '42', '"x"', '[1,2,3]', 'true', '{}'];
  for (const text of documents) {
    for (const seed of [1, 2]) {
      assert.throws(() => JSON.parse(breakJson(text, false, seed)) as unknown, SyntaxError, `${text} / ${seed}`);
    }
  }
  assert.throws(() => JSON.parse(breakJson('Simulated answer: yes.', true, 1)) as unknown, SyntaxError);
});

test('a prompt with a [sim truth=… accuracy=…] directive is answered with the truth in that share of calls', () => {
  const labelled = (accuracy: number) => ({
    ...call,
    lastUserText: `Classify this. [sim truth="billing" accuracy=${accuracy}]`,
    format: {
      kind: 'schema' as const,
      schema: {
        type: 'object',
        properties: { category: { type: 'string', enum: ['billing', 'bug', 'other'] }, n: { type: 'integer' } },
        required: ['category', 'n'],
      },
    },
  });
  const share = (accuracy: number) => {
    let right = 0;
    for (let seed = 0; seed < 2000; seed++) {
      const document = composeAnswer(labelled(accuracy), seed, false).document as { category: string };
      assert.ok(['billing', 'bug', 'other'].includes(document.category));
      if (document.category === 'billing') right++;
    }
    return right / 2000;
  };
  assert.ok(Math.abs(share(0.9) - 0.9) < 0.03, `0.9 → ${share(0.9)}`);
  assert.ok(Math.abs(share(0.6) - 0.6) < 0.04, `0.6 → ${share(0.6)}`);
  const text = composeAnswer(
    { ...call, format: { kind: 'text' }, lastUserText: '[sim truth="yes" accuracy=1]' },
    3,
    false,
  );
  assert.equal(text.text, 'yes');
});
