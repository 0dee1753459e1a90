// `llmap run --dry-run`: the requests as the provider would receive them and the job's cost, with nothing sent (the
// simulator's counters prove it) and the cost `llmap estimate` gives for the same job.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { runDryRun } from '../src/cli/dry-run-command.js';
import type { CliIo } from '../src/cli/run-command.js';
import { loadJob } from '../src/job/load-job.js';
import { runCli, tempDir } from './helpers.js';

const SCHEMA = {
  type: 'object',
  properties: { label: { type: 'string', enum: ['praise', 'complaint'] }, note: { type: 'string', maxLength: 40 } },
  required: ['label', 'note'],
};

describe('llmap run --dry-run against llmap sim', () => {
  const dir = tempDir('dry-run');
  const input = join(dir, 'reviews.jsonl');
  writeFileSync(
    input,
    [
      { id: 'r1', body: 'Grüße aus Köln: der Mixer läuft', meta: { stars: 5 } },
      { id: 'r2', body: '', meta: { stars: 1 } },
      { id: 'r3', body: '日本語のレビュー', meta: null },
      { id: 'r4', body: null, meta: { stars: 2 } },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  const prompt = join(dir, 'label.md');
  writeFileSync(prompt, '---\nsystem: You label reviews.\ntemperature: 0\nmax_tokens: 60\n---\nLabel: {{body}}');
  const schema = join(dir, 'label.schema.json');
  writeFileSync(schema, JSON.stringify(SCHEMA));
  let sim: SimServer;
  before(async () => (sim = await startSim({ port: 0 })));
  after(() => sim.close());
  beforeEach(() => sim.resetStats());

  const job = (model: string, ...extra: string[]) => [
    input,
    '-p',
    prompt,
    '-s',
    schema,
    '-m',
    model,
    '--base-url',
    model.startsWith('openai:') ? `${sim.url}/v1` : sim.url,
    '-o',
    join(dir, 'out.parquet'),
    ...extra,
  ];

  test('OpenAI: the first rows as POSTed, their tokens, and the cost llmap estimate gives; nothing sent', async () => {
    const dry = await runCli(['run', ...job('openai:gpt-4o-mini'), '--dry-run', '2']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(sim.stats().requests, 0);
    const estimate = await runCli(['estimate', ...job('openai:gpt-4o-mini')]);
    assert.equal(estimate.code, 0, estimate.stderr);
    // The whole estimate, cost online and in batch included, is llmap estimate's.
    assert.ok(dry.stdout.endsWith(estimate.stdout), dry.stdout);
    assert.match(estimate.stdout, /cost online: +at most \$0\.\d{4}/);

    // The same as JSON (`--json`), from the library function the command calls.
    let json = '';
    const io = { stdout: { write: (text: string) => (json += text) }, stderr: process.stderr, env: {} };
    const [file, ...flags] = job('openai:gpt-4o-mini');
    const loaded = loadJob(
      { input: file, prompt: flags[1]!, schema: flags[3]!, model: flags[5]!, baseUrl: [flags[7]!], out: flags[9]! },
      {},
      { sends: false },
    );
    assert.equal(await runDryRun(loaded, 2, io as unknown as CliIo, { json: true }), 0);
    const shown = JSON.parse(json) as {
      requests: { row: number; fate: string; promptTokens: number; http: Record<string, unknown> }[];
      estimate: Record<string, unknown>;
    };
    assert.equal(shown.requests.length, 2);
    assert.deepEqual(shown.requests[0], {
      row: 1,
      rowId: (shown.requests[0] as unknown as { rowId: string }).rowId,
      fate: 'ask',
      promptTokens: shown.requests[0]!.promptTokens,
      http: {
        method: 'POST',
        urls: [`${sim.url}/v1/chat/completions`],
        headers: { 'content-type': 'application/json' },
        body: {
          model: 'gpt-4o-mini',
          messages: [
            { role: 'system', content: 'You label reviews.' },
            { role: 'user', content: 'Label: Grüße aus Köln: der Mixer läuft' },
          ],
          temperature: 0,
          max_tokens: 60,
          response_format: {
            type: 'json_schema',
            json_schema: {
              name: 'label',
              // Strict mode: every property required, no others, and the maxLength it cannot enforce dropped.
              schema: {
                type: 'object',
                properties: { label: { type: 'string', enum: ['praise', 'complaint'] }, note: { type: 'string' } },
                required: ['label', 'note'],
                additionalProperties: false,
              },
              strict: true,
            },
          },
        },
      },
    });
    assert.ok(shown.requests[0].promptTokens > 5);
    assert.equal(
      (shown.requests[1]!.http['body'] as { messages: { content: string }[] }).messages[1]!.content,
      'Label: ',
    );
    // An empty and a missing body render the same prompt: one request.
    assert.equal(shown.estimate['toAsk'], 3);
    assert.equal(sim.stats().requests, 0);
  });

  test('Anthropic: the Messages API body with its forced tool and version header', async () => {
    const dry = await runCli(['run', ...job('anthropic:claude-haiku-4-5'), '--dry-run', '1'], {
      ANTHROPIC_API_KEY: 'k',
    });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      new RegExp(
        `\\nPOST ${sim.url}/v1/messages\\ncontent-type: application/json\\nanthropic-version: 2023-06-01\\nx-api-key: \\*\\*\\*\\n`,
      ),
    );
    assert.match(dry.stdout, /"tool_choice": \{\n\s+"type": "tool",\n\s+"name": "answer"\n\s+\}/);
    assert.doesNotMatch(dry.stdout, /"k"/);
    assert.equal(sim.stats().requests, 0);
  });

  test('the checks of a run: a failing rule exits 2, a skipped row is shown skipped and costs nothing', async () => {
    const failed = await runCli(['run', ...job('openai:gpt-4o-mini'), '--dry-run', '--expect', 'not_null(body)']);
    assert.equal(failed.code, 2, failed.stderr);
    assert.match(failed.stderr, /1 of 1 data check\(s\) failed .*\n.*\n {2}not_null\(body\) +--expect +1 {2}4\n/);
    const skip = await runCli([
      'run',
      ...job('openai:gpt-4o-mini'),
      '--dry-run',
      '4',
      '--expect',
      'not_null(body)',
      '--expect-action',
      'skip',
    ]);
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(
      skip.stdout,
      /\nrow 4 · \d+ prompt tokens \(o200k\) · skipped by the data check not_null\(body\): not sent\n/,
    );
    assert.match(skip.stdout, /\n {2}skipped: +1 rows a data check fails \(--expect-action skip\)\n {2}to ask: +3\n/);
    assert.equal(sim.stats().requests, 0);
  });

  test('bad input fails as in a run: exit 2, nothing sent', async () => {
    const result = await runCli(['run', input, '-p', 'Label {{text}}', '-m', 'openai:m', '--dry-run']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(
      result.stderr,
      /--prompt uses \{\{text\}\}, but the input has no such column; columns are: id, body, meta/,
    );
    assert.equal(sim.stats().requests, 0);
  });
});
