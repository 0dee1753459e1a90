// The simulated Files and Batch APIs, driven by OpenAI's own SDK: if the SDK can upload, create, poll and download
// against it, the wire format matches what the SDK expects from OpenAI.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import OpenAI, { NotFoundError, toFile } from 'openai';
import { startSim, type SimServer } from './sim-server.js';
import type { SimOptions } from './sim-options.js';

const sims: SimServer[] = [];
after(() => Promise.all(sims.map((sim) => sim.close())));

async function client(options: SimOptions = {}): Promise<{ openai: OpenAI; sim: SimServer }> {
  const sim = await startSim({ port: 0, batchDelayMs: 150, ...options });
  sims.push(sim);
  return { openai: new OpenAI({ apiKey: 'sk-sim', baseURL: `${sim.url}/v1`, maxRetries: 0 }), sim };
}

const request = (i: number) => ({
  custom_id: `row-${i}`,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Summarise ticket ${i}` }], max_tokens: 40 },
});
const jsonl = (items: unknown[]) => items.map((item) => JSON.stringify(item)).join('\n') + '\n';

async function submit(openai: OpenAI, items: unknown[]) {
  const file = await openai.files.create({
    file: await toFile(Buffer.from(jsonl(items)), 'in.jsonl'),
    purpose: 'batch',
  });
  return openai.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
}

async function waitForEnd(openai: OpenAI, id: string) {
  for (;;) {
    const batch = await openai.batches.retrieve(id);
    if (!['validating', 'in_progress', 'finalizing', 'cancelling'].includes(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** One line of a batch output or error file. */
interface BatchLine {
  custom_id: string;
  response: {
    status_code: number;
    request_id: string;
    body: { object?: string; choices?: { message: { content: string } }[]; error?: { type: string } };
  } | null;
  error: { code: string; message: string } | null;
}

async function lines(openai: OpenAI, fileId: string | null | undefined): Promise<BatchLine[]> {
  if (!fileId) return [];
  const text = await (await openai.files.content(fileId)).text();
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as BatchLine);
}

test('a batch is uploaded, created, polled to completion and its output joins back by custom_id', async () => {
  const { openai, sim } = await client();
  const items = Array.from({ length: 20 }, (_, i) => request(i));
  const created = await submit(openai, items);
  assert.equal(created.object, 'batch');
  assert.equal(created.status, 'validating');
  assert.equal(created.completion_window, '24h');
  assert.deepEqual(created.request_counts, { total: 20, completed: 0, failed: 0 });

  const done = await waitForEnd(openai, created.id);
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.request_counts, { total: 20, completed: 20, failed: 0 });
  assert.equal(done.error_file_id, null);
  const output = await lines(openai, done.output_file_id);
  assert.deepEqual(output.map((line) => line.custom_id).sort(), items.map((item) => item.custom_id).sort());
  assert.notDeepEqual(
    output.map((line) => line.custom_id),
    items.map((item) => item.custom_id),
    'output is not in input order',
  );
  // Each line's body is what the chat endpoint answers for the same request.
  const line = output.find((entry) => entry.custom_id === 'row-3')!;
  assert.equal(line.error, null);
  assert.equal(line.response?.status_code, 200);
  assert.match(line.response.request_id, /^req_/);
  const direct = await openai.chat.completions.create(request(3).body as never);
  assert.equal(line.response.body.choices![0]!.message.content, direct.choices[0]!.message.content);
  assert.equal(line.response.body.object, 'chat.completion');
  assert.deepEqual(sim.stats().batches, {
    created: 1,
    requests: 20,
    resubmitted: 0,
    expired: 0,
    downloads: 1,
    downloading: 0,
  });
});

test('failed items go to the error file with their status; an expired batch keeps what was done', async () => {
  const failing = await client({ batchItemErrorRate: 0.3, seed: 7 });
  const batch = await waitForEnd(
    failing.openai,
    (
      await submit(
        failing.openai,
        Array.from({ length: 40 }, (_, i) => request(i)),
      )
    ).id,
  );
  assert.equal(batch.status, 'completed');
  const output = await lines(failing.openai, batch.output_file_id);
  const errors = await lines(failing.openai, batch.error_file_id);
  assert.ok(errors.length > 0 && errors.length < 40, `${errors.length} failed`);
  assert.equal(output.length + errors.length, 40);
  assert.deepEqual(batch.request_counts, { total: 40, completed: output.length, failed: errors.length });
  assert.equal(errors[0]!.response?.status_code, 500);
  assert.equal(errors[0]!.response.body.error?.type, 'server_error');

  const expiring = await client({ batchExpireRate: 1 });
  const expired = await waitForEnd(
    expiring.openai,
    (
      await submit(
        expiring.openai,
        Array.from({ length: 10 }, (_, i) => request(i)),
      )
    ).id,
  );
  assert.equal(expired.status, 'expired');
  assert.ok(expired.expired_at);
  assert.equal((await lines(expiring.openai, expired.output_file_id)).length, 7);
  const unexecuted = await lines(expiring.openai, expired.error_file_id);
  assert.equal(unexecuted.length, 3);
  assert.deepEqual(unexecuted[0]!.error?.code, 'batch_expired');
  assert.equal(unexecuted[0]!.response, null);
});

test('an input file that breaks the rules fails validation, naming the line; limits are configurable', async () => {
  const { openai } = await client({ batchMaxRequests: 5 });
  const duplicate = await waitForEnd(openai, (await submit(openai, [request(1), request(1)])).id);
  assert.equal(duplicate.status, 'failed');
  assert.deepEqual(
    duplicate.errors?.data?.map((error) => [error.code, error.line]),
    [['duplicate_custom_id', 2]],
  );
  const tooMany = await waitForEnd(
    openai,
    (
      await submit(
        openai,
        Array.from({ length: 6 }, (_, i) => request(i)),
      )
    ).id,
  );
  assert.equal(tooMany.status, 'failed');
  assert.match(tooMany.errors!.data![0]!.message!, /6 requests, over the limit of 5/);
  await assert.rejects(
    openai.batches.create({
      input_file_id: 'file-missing',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    }),
    (error: unknown) => error instanceof NotFoundError && /No such File object: file-missing/.test(error.message),
  );
});

test('a batch can be cancelled while it runs; a finished one cannot', async () => {
  const { openai } = await client({ batchDelayMs: 10_000 });
  const created = await submit(
    openai,
    Array.from({ length: 10 }, (_, i) => request(i)),
  );
  const cancelled = await openai.batches.cancel(created.id);
  assert.equal(cancelled.status, 'cancelled');
  const unexecuted = await lines(openai, cancelled.error_file_id);
  assert.equal(unexecuted.length, 10);
  assert.equal(unexecuted[0]!.error?.code, 'batch_cancelled');
  await assert.rejects(openai.batches.cancel(created.id), /Cannot cancel a batch with status 'cancelled'/);
  const listed = await openai.batches.list();
  assert.deepEqual(
    listed.data.map((batch) => batch.id),
    [created.id],
  );
});
