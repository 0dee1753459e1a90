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
      const tokensLeft = String(5000 - countPromptTokens(['hi']) - 256);
      for (const family of ['tokens', 'input-tokens', 'output-tokens']) {
        assert.equal(first.headers[`anthropic-ratelimit-${family}-limit`], '5000');
        assert.equal(first.headers[`anthropic-ratelimit-${family}-remaining`], tokensLeft);
      }

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
