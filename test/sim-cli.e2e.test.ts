// `llmap sim` as a user starts it: prints its URL, answers both protocols, stops on Ctrl-C.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { request } from 'undici';
import { startCli } from './helpers.js';

test('llmap sim prints its URL, serves OpenAI and Anthropic requests, and exits 0 on SIGINT', async () => {
  const sim = startCli(['sim', '--port', '0', '--latency-ms', '5']);
  const [line] = (await once(sim.child.stdout!, 'data')) as [Buffer];
  const url = /llmap sim listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line.toString())?.[1];
  assert.ok(url, line.toString());

  const openai = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello there' }] }),
  });
  assert.equal(openai.statusCode, 200);
  const completion = (await openai.body.json()) as { object: string; choices: { message: { content: string } }[] };
  assert.equal(completion.object, 'chat.completion');
  assert.ok(completion.choices[0]!.message.content.length > 0);

  const anthropic = await request(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }),
  });
  assert.equal(anthropic.statusCode, 200);
  assert.equal(((await anthropic.body.json()) as { type: string }).type, 'message');

  sim.child.kill('SIGINT');
  const result = await sim.done;
  assert.equal(result.code, 0, result.stderr);
});
