import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim, type SimServer, type SimStats } from './index.js';
import { ANTHROPIC_HEADERS, anthropicRequest, get, openAiRequest, post } from './sim-client.test.util.js';

describe('GET /stats', () => {
  let sim: SimServer;
  before(async () => {
    sim = await startSim({ rpm: 4, rateLimit: 'fixed-window' });
  });
  after(() => sim.close());

  test('counts requests by status and catches a prompt answered twice', async () => {
    await post(`${sim.url}/stats/reset`, '');
    const endpoint = `${sim.url}/v1/chat/completions`;
    await post(endpoint, openAiRequest('Row 1: the same prompt twice'));
    await post(endpoint, openAiRequest('Row 1: the same prompt twice'));
    await post(endpoint, openAiRequest('Row 2'));
    await post(endpoint, {
      ...openAiRequest('Row 2'),
      messages: [
        { role: 'user', content: 'Row 2' },
        { role: 'assistant', content: 'bad' },
        { role: 'user', content: 'fix it' },
      ],
    });
    await post(endpoint, openAiRequest('Row 3: refused by the rate limit'));
    await post(endpoint, { model: 'gpt-4o-mini' });

    const { status, body: stats } = await get<SimStats>(`${sim.url}/stats`);
    assert.equal(status, 200);
    const { charged, firstRequestAtMs, lastAnsweredAtMs, ...body } = stats;
    assert.ok(firstRequestAtMs > 0 && lastAnsweredAtMs >= firstRequestAtMs);
    // The four admitted requests' prompt tokens, charged against the limits.
    assert.ok((charged['tokens'] ?? 0) > 4, JSON.stringify(charged));
    assert.deepEqual(body, {
      requests: 6,
      byStatus: { '200': 4, '429': 1, '400': 1 },
      faults: { error: 0, timeout: 0, malformed: 0, truncated: 0 },
      // The repair turn (same first message, longer conversation) is a prompt of its own.
      prompts: { distinct: 4, answeredMoreThanOnce: 1 },
      embeddings: { requests: 0, inputs: 0 },
      batches: { created: 0, requests: 0, resubmitted: 0, expired: 0, downloads: 0, downloading: 0 },
      messageBatches: { created: 0, requests: 0, resubmitted: 0, expired: 0, downloads: 0, downloading: 0 },
    });
  });

  test('?detail=prompts lists each prompt with its requests, 200s and first user text', async () => {
    const { body } = await get<SimStats>(`${sim.url}/stats?detail=prompts`);
    const prompts = Object.entries(body.perPrompt ?? {});
    assert.ok(prompts.every(([key]) => /^[0-9a-f]{40}$/.test(key)));
    assert.deepEqual(
      prompts.map(([, prompt]) => prompt).sort((a, b) => a.firstUserText.localeCompare(b.firstUserText)),
      [
        { requests: 2, ok: 2, firstUserText: 'Row 1: the same prompt twice' },
        { requests: 1, ok: 1, firstUserText: 'Row 2' },
        { requests: 1, ok: 1, firstUserText: 'Row 2' },
        { requests: 1, ok: 0, firstUserText: 'Row 3: refused by the rate limit' },
      ],
    );
    assert.deepEqual(sim.stats('prompts'), body);
  });

  test('keys prompts on content, not on how the client ordered its JSON keys', async () => {
    sim.resetStats();
    const endpoint = `${sim.url}/v1/messages`;
    await post(endpoint, anthropicRequest('same', { system: 'S' }), ANTHROPIC_HEADERS);
    await post(
      endpoint,
      { system: 'S', messages: [{ content: 'same', role: 'user' }], max_tokens: 256, model: 'claude-sonnet-4-5' },
      ANTHROPIC_HEADERS,
    );
    assert.deepEqual(sim.stats().prompts, { distinct: 1, answeredMoreThanOnce: 1 });
  });

  test('POST /stats/reset zeroes everything', async () => {
    const reset = await post(`${sim.url}/stats/reset`, '');
    assert.deepEqual(reset.body, { ok: true });
    assert.deepEqual(sim.stats('prompts'), {
      requests: 0,
      byStatus: {},
      faults: { error: 0, timeout: 0, malformed: 0, truncated: 0 },
      prompts: { distinct: 0, answeredMoreThanOnce: 0 },
      firstRequestAtMs: 0,
      lastAnsweredAtMs: 0,
      charged: {},
      embeddings: { requests: 0, inputs: 0 },
      perPrompt: {},
      batches: { created: 0, requests: 0, resubmitted: 0, expired: 0, downloads: 0, downloading: 0 },
      messageBatches: { created: 0, requests: 0, resubmitted: 0, expired: 0, downloads: 0, downloading: 0 },
    });
  });
});
