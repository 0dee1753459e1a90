// The simulated Message Batches API, driven by Anthropic's own SDK (create, retrieve, results stream, cancel).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startSim, type SimServer } from './sim-server.js';
import type { SimOptions } from './sim-options.js';

const sims: SimServer[] = [];
after(() => Promise.all(sims.map((sim) => sim.close())));

async function client(options: SimOptions = {}) {
  const sim = await startSim({ port: 0, batchDelayMs: 150, ...options });
  sims.push(sim);
  return { anthropic: new Anthropic({ apiKey: 'sk-ant-sim', baseURL: sim.url, maxRetries: 0 }), sim };
}

const request = (i: number) => ({
  custom_id: `row-${i}`,
  params: {
    model: 'claude-sonnet-4-5',
    max_tokens: 60,
    messages: [{ role: 'user' as const, content: `Summarise ticket ${i}` }],
  },
});

async function waitForEnd(anthropic: Anthropic, id: string) {
  for (;;) {
    const batch = await anthropic.messages.batches.retrieve(id);
    if (batch.processing_status === 'ended') return batch;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function results(anthropic: Anthropic, id: string) {
  const all = [];
  for await (const item of await anthropic.messages.batches.results(id)) all.push(item);
  return all;
}

test('a message batch is created, polled until it ends, and its results stream back by custom_id', async () => {
  const { anthropic, sim } = await client();
  const created = await anthropic.messages.batches.create({
    requests: Array.from({ length: 12 }, (_, i) => request(i)),
  });
  assert.equal(created.type, 'message_batch');
  assert.equal(created.processing_status, 'in_progress');
  assert.equal(created.request_counts.processing, 12);
  assert.equal(created.results_url, null);
  const ended = await waitForEnd(anthropic, created.id);
  assert.deepEqual(ended.request_counts, { processing: 0, succeeded: 12, errored: 0, canceled: 0, expired: 0 });
  assert.ok(ended.ended_at && ended.results_url?.endsWith(`/v1/messages/batches/${created.id}/results`));
  const items = await results(anthropic, created.id);
  assert.deepEqual(
    items.map((item) => item.custom_id),
    Array.from({ length: 12 }, (_, i) => `row-${i}`),
  );
  const first = items[0]!.result;
  assert.equal(first.type, 'succeeded');
  const direct = await anthropic.messages.create(request(0).params);
  assert.deepEqual(first.type === 'succeeded' ? first.message.content : undefined, direct.content);
  assert.deepEqual(sim.stats().messageBatches, {
    created: 1,
    requests: 12,
    resubmitted: 0,
    expired: 0,
    downloads: 1,
    downloading: 0,
  });
});

test('bad params, item failures and expiry end as errored or expired results; creation checks custom_ids', async () => {
  const { anthropic } = await client({ batchItemErrorRate: 0.25, batchExpireRate: 1, seed: 3 });
  const requests = [...Array.from({ length: 19 }, (_, i) => request(i)), { custom_id: 'bad', params: { model: 'x' } }];
  const created = await anthropic.messages.batches.create({ requests: requests as never });
  await waitForEnd(anthropic, created.id);
  const items = await results(anthropic, created.id);
  const types = items.map((item) => item.result.type);
  assert.equal(types.filter((type) => type === 'expired').length, 6);
  assert.ok(types.includes('errored') && types.includes('succeeded'));
  const bad = items.find((item) => item.custom_id === 'bad');
  assert.equal(bad?.result.type, 'expired');

  await assert.rejects(
    anthropic.messages.batches.create({ requests: [request(1), request(1)] }),
    /duplicate custom_id row-1/,
  );
  await assert.rejects(
    anthropic.messages.batches.create({ requests: [{ ...request(1), custom_id: 'has space' }] }),
    /custom_id: String should match pattern/,
  );
});

test('a cancelled batch ends with its unprocessed requests canceled', async () => {
  const { anthropic } = await client({ batchDelayMs: 10_000 });
  const created = await anthropic.messages.batches.create({
    requests: Array.from({ length: 5 }, (_, i) => request(i)),
  });
  const cancelled = await anthropic.messages.batches.cancel(created.id);
  assert.equal(cancelled.processing_status, 'ended');
  assert.ok(cancelled.cancel_initiated_at);
  const items = await results(anthropic, created.id);
  assert.deepEqual(
    items.map((item) => item.result.type),
    ['canceled', 'canceled', 'canceled', 'canceled', 'canceled'],
  );
});
