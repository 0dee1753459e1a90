import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startSim } from './index.js';
import { countPromptTokens } from './token-count.js';
import {
  ANTHROPIC_HEADERS,
  anthropicRequest,
  openAiRequest,
  post,
  type AnthropicErrorBody,
  type OpenAiErrorBody,
} from './sim-client.test.util.js';

describe('rate limits over a fixed window', () => {
  test('OpenAI: admits rpm requests per window, then 429 with retry headers, then admits again', async () => {
    const sim = await startSim({ rpm: 2, tpm: 100_000, windowS: 0.3 });
    try {
      const endpoint = `${sim.url}/v1/chat/completions`;
      const first = await post(endpoint, openAiRequest('one'));
      const second = await post(endpoint, openAiRequest('two'));
      const third = await post<OpenAiErrorBody>(endpoint, openAiRequest('three'));

      assert.deepEqual([first.status, second.status, third.status], [200, 200, 429]);
      const promptTokens = countPromptTokens(['one']);
      assert.equal(first.headers['x-ratelimit-limit-requests'], '2');
      assert.equal(first.headers['x-ratelimit-remaining-requests'], '1');
      assert.match(first.headers['x-ratelimit-reset-requests'] ?? '', /^\d+ms$/);
      assert.equal(first.headers['x-ratelimit-limit-tokens'], '100000');
      assert.equal(first.headers['x-ratelimit-remaining-tokens'], String(100_000 - promptTokens));
      assert.match(first.headers['x-ratelimit-reset-tokens'] ?? '', /^\d+ms$/);
      assert.equal(second.headers['x-ratelimit-remaining-requests'], '0');

      assert.equal(third.headers['x-ratelimit-remaining-requests'], '0');
      assert.equal(third.headers['retry-after'], '1');
      const retryAfterMs = Number(third.headers['retry-after-ms']);
      assert.ok(retryAfterMs > 0 && retryAfterMs <= 300, `retry-after-ms ${retryAfterMs}`);
      assert.deepEqual(third.body, {
        error: {
          message: `Rate limit reached for gpt-4o-mini in organization org-sim on requests per min (RPM): Limit 2, Used 2, Requested 1. Please try again in ${retryAfterMs}ms. Visit https://platform.openai.com/account/rate-limits to learn more.`,
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
      });

      await sleep(retryAfterMs + 20);
      assert.equal((await post(endpoint, openAiRequest('four'))).status, 200);
      assert.deepEqual(sim.stats().byStatus, { '200': 3, '429': 1 });
    } finally {
      await sim.close();
    }
  });

  test('OpenAI: charges prompt tokens plus max_tokens against tpm', async () => {
    const sim = await startSim({ tpm: 100, windowS: 60 });
    try {
      const endpoint = `${sim.url}/v1/chat/completions`;
      const promptTokens = countPromptTokens(['hello']);
      const first = await post(endpoint, openAiRequest('hello', { max_tokens: 60 }));
      assert.equal(first.status, 200);
      assert.equal(first.headers['x-ratelimit-remaining-tokens'], String(100 - promptTokens - 60));
      assert.equal(first.headers['x-ratelimit-limit-requests'], undefined, 'no rpm, no request headers');

      const second = await post<OpenAiErrorBody>(endpoint, openAiRequest('hello', { max_tokens: 60 }));
      assert.equal(second.status, 429);
      assert.equal(second.body.error.type, 'tokens');
      assert.match(
        second.body.error.message,
        /on tokens per min \(TPM\): Limit 100, Used \d+, Requested \d+\. Please try again in \d+(\.\d+)?s\./,
      );
      assert.equal(second.headers['retry-after'], '60');
    } finally {
      await sim.close();
    }
  });

  test('Anthropic: sends anthropic-ratelimit-* headers with RFC 3339 resets, and a rate_limit_error on 429', async () => {
    const sim = await startSim({ rpm: 1, tpm: 5000, windowS: 2 });
    try {
      const endpoint = `${sim.url}/v1/messages`;
      const before = Date.now();
      const first = await post(endpoint, anthropicRequest('hi'), ANTHROPIC_HEADERS);
      const second = await post<AnthropicErrorBody>(endpoint, anthropicRequest('again'), ANTHROPIC_HEADERS);

      assert.equal(first.status, 200);
      assert.equal(first.headers['anthropic-ratelimit-requests-limit'], '1');
      assert.equal(first.headers['anthropic-ratelimit-requests-remaining'], '0');
      const reset = Date.parse(first.headers['anthropic-ratelimit-requests-reset'] ?? '');
      assert.ok(
        reset >= before + 2000 && reset <= Date.now() + 2000,
        `reset ${first.headers['anthropic-ratelimit-requests-reset']}`,
      );
      // `tpm` is Anthropic's input-token limit; with no `otpm` there is no output-token limit. Token figures are
      // rounded to the nearest thousand, as Anthropic's are.
      for (const family of ['tokens', 'input-tokens']) {
        assert.equal(first.headers[`anthropic-ratelimit-${family}-limit`], '5000');
        assert.equal(first.headers[`anthropic-ratelimit-${family}-remaining`], '5000');
      }
      assert.equal(first.headers['anthropic-ratelimit-output-tokens-limit'], undefined);

      assert.equal(second.status, 429);
      assert.equal(second.headers['retry-after'], '2');
      assert.equal(second.body.error.type, 'rate_limit_error');
      assert.match(second.body.error.message, /rate limit for your organization of 1 requests per minute/);
    } finally {
      await sim.close();
    }
  });

  test('keeps separate budgets for the two providers', async () => {
    const sim = await startSim({ rpm: 1 });
    try {
      assert.equal((await post(`${sim.url}/v1/chat/completions`, openAiRequest('a'))).status, 200);
      assert.equal((await post(`${sim.url}/v1/messages`, anthropicRequest('a'), ANTHROPIC_HEADERS)).status, 200);
    } finally {
      await sim.close();
    }
  });

  test('POST /stats/reset also starts a fresh window', async () => {
    const sim = await startSim({ rpm: 1 });
    try {
      const endpoint = `${sim.url}/v1/chat/completions`;
      assert.equal((await post(endpoint, openAiRequest('a'))).status, 200);
      assert.equal((await post(endpoint, openAiRequest('a'))).status, 429);
      await post(`${sim.url}/stats/reset`, '');
      assert.equal((await post(endpoint, openAiRequest('a'))).status, 200);
    } finally {
      await sim.close();
    }
  });
});

describe('rate limits as the providers document them (the default model)', () => {
  test('OpenAI: quotes the limit per minute, enforces it per second, and reports the time to a full budget', async () => {
    const sim = await startSim({ rpm: 600, tpm: 1_000_000 });
    try {
      const endpoint = `${sim.url}/v1/chat/completions`;
      // 600 RPM is 10 a second: of a burst of 30 about 10 get through (one more per 100 ms the burst takes to arrive).
      const replies = await Promise.all(
        Array.from({ length: 30 }, (_, i) => post<OpenAiErrorBody>(endpoint, openAiRequest(`burst ${i}`))),
      );
      const admitted = replies.filter((reply) => reply.status === 200).length;
      assert.ok(admitted >= 10 && admitted <= 12, `${admitted} admitted`);
      assert.equal(replies.filter((reply) => reply.status === 429).length, 30 - admitted);
      const ok = replies.find((reply) => reply.status === 200)!;
      assert.equal(ok.headers['x-ratelimit-limit-requests'], '600');
      const remaining = Number(ok.headers['x-ratelimit-remaining-requests']);
      assert.ok(remaining >= 590 && remaining <= 599, `remaining ${remaining}`);
      // The time until the quota is restored to its initial state: what was spent, at 10 a second.
      assert.match(ok.headers['x-ratelimit-reset-requests'] ?? '', /^\d+ms$/);
      const refused = replies.find((reply) => reply.status === 429)!;
      assert.equal(refused.body.error.type, 'requests');
      assert.match(refused.body.error.message, /on requests per min \(RPM\): Limit 600, Used \d+, Requested 1\./);
      // Refusals count: the minute's budget lost the refused requests too.
      const after = await post(endpoint, openAiRequest('later'));
      // (Without: 600 less the dozen admitted, plus what the burst's few hundred ms restored.)
      assert.ok(Number(after.headers['x-ratelimit-remaining-requests']) <= 580);
    } finally {
      await sim.close();
    }
  });

  test('Anthropic: input and output tokens are limited apart, the output reservation given back after the answer', async () => {
    const sim = await startSim({ tpm: 600_000, otpm: 60_000 });
    try {
      const endpoint = `${sim.url}/v1/messages`;
      // A second of OTPM is 1,000 tokens. The first request reserves all of it.
      const first = await post(endpoint, anthropicRequest('hi', { max_tokens: 1000 }), ANTHROPIC_HEADERS);
      assert.equal(first.status, 200);
      assert.equal(first.headers['anthropic-ratelimit-input-tokens-limit'], '600000');
      assert.equal(first.headers['anthropic-ratelimit-output-tokens-limit'], '60000');
      // Reported when the request arrived, with max_tokens reserved, rounded to the nearest thousand.
      assert.equal(first.headers['anthropic-ratelimit-output-tokens-remaining'], '59000');
      // The most restrictive of the two token limits is the output one.
      assert.equal(first.headers['anthropic-ratelimit-tokens-limit'], '60000');
      // The second request's figures include what the first gave back once answered: 60,000 − 1,000 + (1,000 − the
      // first answer's tokens) − 900, about 59,100, rounds to 59,000 (without the refund: 58,100, 58,000).
      const second = await post(endpoint, anthropicRequest('again', { max_tokens: 900 }), ANTHROPIC_HEADERS);
      assert.equal(second.status, 200);
      assert.equal(second.headers['anthropic-ratelimit-output-tokens-remaining'], '59000');
    } finally {
      await sim.close();
    }
  });
});

describe('outages', () => {
  test('refuse: connections are refused for the outage, then the endpoint answers again', async () => {
    const sim = await startSim({});
    try {
      const endpoint = `${sim.url}/v1/chat/completions`;
      assert.equal((await post(endpoint, openAiRequest('before'))).status, 200);
      sim.down(300);
      await assert.rejects(post(endpoint, openAiRequest('during')), /fetch failed/);
      await sleep(400);
      assert.equal((await post(endpoint, openAiRequest('after'))).status, 200);
    } finally {
      await sim.close();
    }
  });

  test('503: the provider endpoints answer overloaded for the outage while /stats keeps answering', async () => {
    const sim = await startSim({ outages: [{ atS: 0.1, forS: 0.3, kind: '503' }] });
    try {
      const endpoint = `${sim.url}/v1/chat/completions`;
      assert.equal((await post(endpoint, openAiRequest('starts the clock'))).status, 200);
      await sleep(150);
      assert.equal((await post(endpoint, openAiRequest('during'))).status, 503);
      assert.equal((await post(`${sim.url}/v1/messages`, anthropicRequest('during'), ANTHROPIC_HEADERS)).status, 529);
      assert.equal((await fetch(`${sim.url}/stats`)).status, 200);
      await sleep(350);
      assert.equal((await post(endpoint, openAiRequest('after'))).status, 200);
      assert.deepEqual(sim.stats().byStatus, { '200': 2, '503': 1, '529': 1 });
    } finally {
      await sim.close();
    }
  });
});
