import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileAnswerSchema } from '../output/answer-schema.js';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { ChatProvider, ChatRequest, ChatResult } from '../providers/provider.js';
import { answerRow, type AnswerRowDeps } from './answer-row.js';

/** A provider that answers from a script and records every request it receives. */
function scriptedProvider(script: (ChatResult | Error)[]): ChatProvider & { requests: ChatRequest[] } {
  const requests: ChatRequest[] = [];
  return {
    specificationVersion: 'v1',
    provider: 'test',
    modelId: 'm',
    capabilities: { structuredOutput: 'native' },
    unsupportedSchemaParts: () => [],
    requests,
    doGenerate(request) {
      requests.push(request);
      const next = script.shift();
      if (!next) throw new Error('script exhausted');
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    close: () => Promise.resolve(),
  };
}

const reply = (text: string): ChatResult => ({
  text,
  finishReason: 'stop',
  usage: { inputTokens: 10, outputTokens: 5 },
  model: 'm-2026',
});

const schema = compileAnswerSchema(
  { type: 'object', properties: { label: { type: 'string', enum: ['yes', 'no'] } }, required: ['label'] },
  'test',
  'label',
);
const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'Is it?' }], schema };

function deps(provider: ChatProvider, overrides: Partial<AnswerRowDeps> = {}): AnswerRowDeps {
  return {
    provider,
    schema,
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    now: () => 0,
    sleep: () => Promise.resolve(),
    random: () => 0.5,
    ...overrides,
  };
}

const serverError = () => new ApiCallError({ message: 'HTTP 503', statusCode: 503, isRetryable: true });

describe('answering one row', () => {
  test('a valid answer is ok on the first attempt', async () => {
    const provider = scriptedProvider([reply('{"label":"yes"}')]);
    const outcome = await answerRow(request, deps(provider));
    assert.deepEqual(outcome, {
      status: 'ok',
      answer: { label: 'yes' },
      attempts: 1,
      latencyMs: 0,
      inputTokens: 10,
      outputTokens: 5,
      model: 'm-2026',
      cached: false,
      finishedAt: 0,
    });
  });

  test('retryable failures are retried and count as attempts', async () => {
    const provider = scriptedProvider([serverError(), serverError(), reply('{"label":"no"}')]);
    const outcome = await answerRow(request, deps(provider));
    assert.equal(outcome.status, 'ok');
    assert.equal(outcome.attempts, 3);
  });

  test('exhausted retries end the row failed with the last reason', async () => {
    const provider = scriptedProvider([serverError(), serverError(), serverError()]);
    const outcome = await answerRow(request, deps(provider));
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.error, 'HTTP 503');
    assert.equal(outcome.attempts, 3);
  });

  test('a non-retryable failure is not retried', async () => {
    const badRequest = new ApiCallError({ message: 'HTTP 400: context too long', statusCode: 400, isRetryable: false });
    const provider = scriptedProvider([badRequest]);
    const outcome = await answerRow(request, deps(provider));
    assert.deepEqual([outcome.status, outcome.error, outcome.attempts], ['failed', 'HTTP 400: context too long', 1]);
  });

  test('an invalid answer gets one repair turn that shows the model its answer and the error', async () => {
    const provider = scriptedProvider([reply('{"label":"maybe"}'), reply('{"label":"no"}')]);
    const outcome = await answerRow(request, deps(provider));
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(outcome.answer, { label: 'no' });
    assert.equal(outcome.attempts, 2);
    assert.equal(outcome.inputTokens, 20);
    const repair = provider.requests[1]!;
    assert.equal(repair.messages.length, 3);
    assert.deepEqual(repair.messages[1], { role: 'assistant', content: '{"label":"maybe"}' });
    assert.match(repair.messages[2]!.content, /\/label must be equal to one of the allowed values: yes, no/);
  });

  test('an answer still invalid after the repair is invalid, with the raw text kept for quarantine', async () => {
    const provider = scriptedProvider([reply('{"label":'), reply('not json either')]);
    const outcome = await answerRow(request, deps(provider));
    assert.equal(outcome.status, 'invalid');
    assert.equal(outcome.raw, 'not json either');
    assert.match(outcome.error ?? '', /^answer is not valid JSON .* \(after one repair\)$/);
    assert.equal(outcome.answer, undefined);
  });

  test('without a schema the text is the answer', async () => {
    const provider = scriptedProvider([reply('free text')]);
    const outcome = await answerRow({ model: 'm', messages: [] }, deps(provider, { schema: undefined }));
    assert.deepEqual([outcome.status, outcome.answer], ['ok', 'free text']);
  });

  test('an authentication failure marks the outcome as stopping the run', async () => {
    const auth = new ApiCallError({
      message: 'HTTP 401: bad key',
      statusCode: 401,
      isRetryable: false,
      stopsRun: true,
    });
    const outcome = await answerRow(request, deps(scriptedProvider([auth])));
    assert.deepEqual([outcome.status, outcome.stopsRun, outcome.attempts], ['failed', true, 1]);
  });
});

describe('an answer cut off at max_tokens', () => {
  const cut = (text: string, outputTokens = 64): ChatResult => ({
    ...reply(text),
    finishReason: 'length',
    usage: { inputTokens: 10, outputTokens },
  });
  const limited: ChatRequest = { ...request, maxTokens: 64 };

  test('is invalid with the limit and how to raise it, after one call: a repair would be cut off again', async () => {
    const provider = scriptedProvider([cut('{"label":"ye'), reply('{"label":"yes"}')]);
    const outcome = await answerRow(limited, deps(provider));
    assert.deepEqual(outcome, {
      status: 'invalid',
      error:
        'answer cut off at 64 tokens (max_tokens) before it was complete: raise the limit with --max-tokens N or ' +
        "max_tokens: N in the prompt's front matter",
      raw: '{"label":"ye',
      truncated: true,
      attempts: 1,
      latencyMs: 0,
      inputTokens: 10,
      outputTokens: 64,
      model: 'm-2026',
      cached: false,
      finishedAt: 0,
    });
    assert.equal(provider.requests.length, 1);
  });

  test('that is still a valid document is accepted', async () => {
    const outcome = await answerRow(limited, deps(scriptedProvider([cut('{"label":"no"}')])));
    assert.deepEqual([outcome.status, outcome.answer, outcome.error], ['ok', { label: 'no' }, undefined]);
  });

  test('with a complete document that fails the schema (a forced tool cut short) is invalid without a repair', async () => {
    const provider = scriptedProvider([cut('{}'), reply('{"label":"yes"}')]);
    const outcome = await answerRow(limited, deps(provider));
    assert.deepEqual([outcome.status, outcome.attempts], ['invalid', 1]);
    assert.match(outcome.error ?? '', /^answer cut off at 64 tokens/);
  });

  test('in the repair turn says so', async () => {
    const provider = scriptedProvider([reply('{"label":"maybe"}'), cut('{"label":"n')]);
    const outcome = await answerRow(limited, deps(provider));
    assert.deepEqual([outcome.status, outcome.attempts, outcome.truncated], ['invalid', 2, true]);
    assert.match(outcome.error ?? '', /^answer cut off at 64 tokens \(max_tokens\).* \(in the repair turn\)$/);
  });

  test('without max_tokens in the request names the provider’s default and the tokens it stopped at', async () => {
    const outcome = await answerRow(request, deps(scriptedProvider([cut('{"label":', 1024)])));
    assert.match(
      outcome.error ?? '',
      /^answer cut off at 1024 tokens \(the provider's default limit: the job sets no max_tokens\) .*--max-tokens/,
    );
  });

  test('as free text stays ok with the text it has, and a note saying it was cut off', async () => {
    const provider = scriptedProvider([cut('Once upon a time there')]);
    const text: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'Tell a story' }], maxTokens: 64 };
    const outcome = await answerRow(text, deps(provider, { schema: undefined }));
    assert.deepEqual(
      [outcome.status, outcome.answer, outcome.truncated, outcome.attempts],
      ['ok', 'Once upon a time there', true, 1],
    );
    assert.match(
      outcome.error ?? '',
      /^answer cut off at 64 tokens \(max_tokens\); the text is kept as it is: .*--max-tokens/,
    );
  });
});

describe('where a row without a paid call got its answer', () => {
  const hit = (duplicate: boolean): ChatResult => ({
    ...reply('{"label":"yes"}'),
    cached: true,
    ...(duplicate ? { duplicate: true } : {}),
  });

  test('an answer another row of this run paid for is a duplicate', async () => {
    const outcome = await answerRow(request, deps(scriptedProvider([hit(true)])));
    assert.deepEqual([outcome.cached, outcome.duplicate], [true, true]);
  });

  test('an answer cached before this run is from the cache', async () => {
    const outcome = await answerRow(request, deps(scriptedProvider([hit(false)])));
    assert.deepEqual([outcome.cached, outcome.duplicate], [true, undefined]);
  });

  test('a paid repair turn makes the row paid, whatever answered the first turn', async () => {
    const provider = scriptedProvider([{ ...hit(true), text: '{"label":"maybe"}' }, reply('{"label":"no"}')]);
    const outcome = await answerRow(request, deps(provider));
    assert.deepEqual([outcome.cached, outcome.duplicate], [false, undefined]);
  });
});
