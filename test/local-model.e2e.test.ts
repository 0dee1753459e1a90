// A real GGUF model in llmap's own process (../shared/models/stories260K.gguf, a 1.2 MB story writer), through the
// CLI as a user runs it: JSON-schema answers under a grammar, plain text, embeddings equal to node-llama-cpp's own,
// a row too long for the context, resume after kill -9, and the message when no model can be had.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { getLlama } from 'node-llama-cpp';
import { writeWithChatTemplate } from './gguf-chat-template.js';
import { readRows, runCli, startCli, storiesCsv, STORIES_MODEL, STORY_SCHEMA, tempDir } from './helpers.js';

const MODEL = STORIES_MODEL;
const LLAMA = `llama:${MODEL}`;

function jsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('the model file the tests use is present', () => {
  assert.ok(
    existsSync(MODEL),
    `${MODEL} is missing: the local-model tests need stories260K.gguf at ../shared/models/ beside the project ` +
      '(where CI has it), or its path in LLMAP_TEST_MODEL',
  );
});

test('JSON-schema answers from a local model: every row ok or invalid with its raw text quarantined', async () => {
  const dir = tempDir('llama-schema');
  const input = storiesCsv(dir, 24);
  const schema = join(dir, 'story.schema.json');
  writeFileSync(schema, JSON.stringify(STORY_SCHEMA));
  const out = join(dir, 'out.parquet');
  const common = ['-p', 'Story: {{text}}', '-m', LLAMA, '--parallel', '4', '--threads', '1', '--max-tokens', '120'];
  const result = await runCli(['run', input, '-s', schema, '-o', out, ...common]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /local model stories260K\.gguf .* 4 parallel sequences of 2048 tokens, 1 thread/);
  assert.match(result.stderr, /prompt format: plain completion \(the model has no chat template\)/);
  const rows = await readRows(out);
  assert.equal(rows.length, 24);
  for (const row of rows) {
    assert.equal(row['_status'], 'ok', JSON.stringify(row));
    assert.ok(['happy', 'sad'].includes(row['mood'] as string));
    assert.ok(['cat', 'dog', 'girl', 'boy'].includes(row['hero'] as string));
    assert.ok((row['summary'] as string).length <= 40);
    assert.equal(row['_model'], 'stories260K.gguf');
    const tokens = row['_output_tokens'] as number;
    assert.ok(tokens > 0 && tokens <= 120 * (row['_attempts'] as number), JSON.stringify(row));
  }

  // A bound the grammar cannot hold (minimum) and a free-text field with no maxLength: the grammar still makes
  // every answer JSON, the validator rejects what breaks the bound, and the raw answer goes to quarantine.
  writeFileSync(
    schema,
    JSON.stringify({
      type: 'object',
      properties: { summary: { type: 'string' }, stars: { type: 'integer', minimum: 1, maximum: 5 } },
      required: ['summary', 'stars'],
    }),
  );
  const strict = join(dir, 'strict.jsonl');
  const second = await runCli(['run', input, '-s', schema, '-o', strict, ...common]);
  assert.ok(second.code === 0 || second.code === 1, second.stderr);
  assert.match(second.stderr, /cannot enforce .*\/properties\/stars\/minimum/);
  assert.match(second.stderr, /bounded to 512 characters in the grammar.*\/properties\/summary/);
  const answered = jsonLines(strict);
  assert.equal(answered.length, 24);
  const invalid = answered.filter((row) => row['_status'] === 'invalid');
  assert.equal(answered.filter((row) => row['_status'] === 'failed').length, 0);
  assert.equal(invalid.length + answered.filter((row) => row['_status'] === 'ok').length, 24);
  const quarantined = existsSync(`${strict}.quarantine.jsonl`) ? jsonLines(`${strict}.quarantine.jsonl`) : [];
  assert.equal(quarantined.length, invalid.length);
  for (const entry of quarantined) {
    assert.ok(typeof entry['raw'] === 'string' && entry['raw'].startsWith('{'), JSON.stringify(entry));
    assert.match(entry['error'] as string, /stars|JSON/);
  }
});

test('plain text from a local model, and a row too long for the context fails alone with the reason', async () => {
  const dir = tempDir('llama-text');
  const input = join(dir, 'prompts.csv');
  const long = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
  writeFileSync(input, `id,text\n1,Once upon a time\n2,${long}\n3,The little girl\n`);
  const out = join(dir, 'out.jsonl');
  const result = await runCli([
    'run',
    input,
    '-p',
    '{{text}}',
    '-m',
    LLAMA,
    '-o',
    out,
    '--threads',
    '1',
    '--max-tokens',
    '24',
    '--context-size',
    '256',
  ]);
  assert.equal(result.code, 1, result.stderr);
  const rows = jsonLines(out);
  assert.deepEqual(
    rows.map((row) => row['_status']),
    ['ok', 'failed', 'ok'],
  );
  assert.ok((rows[0]!['answer'] as string).length > 0);
  assert.ok((rows[0]!['_output_tokens'] as number) <= 24);
  assert.match(
    rows[1]!['_error'] as string,
    /does not fit the context of 256 tokens per sequence: raise --context-size/,
  );
});

test('local embeddings equal node-llama-cpp’s own vectors for the same text; --normalize scales them to length 1', async () => {
  const dir = tempDir('llama-embed');
  const input = join(dir, 'texts.csv');
  const texts = ['Once upon a time there was a cat', 'The little girl went to the park', 'Tom had a big red ball'];
  writeFileSync(input, 'id,text\n' + texts.map((t, i) => `${i},${t}`).join('\n') + '\n');
  const out = join(dir, 'emb.parquet');
  const cache = { LLMAP_CACHE_DIR: join(dir, 'cache') };
  const result = await runCli(['embed', input, '--column', 'text', '-m', LLAMA, '-o', out, '--threads', '1'], cache);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /embedding dimension 64/);
  const rows = await readRows(out);

  const llama = await getLlama({ gpu: false, build: 'never' });
  const model = await llama.loadModel({ modelPath: MODEL, gpuLayers: 0 });
  const context = await model.createEmbeddingContext({ threads: 1, contextSize: 2048 });
  try {
    for (const [i, text] of texts.entries()) {
      const expected = Array.from((await context.getEmbeddingFor(text)).vector, (x) => Math.fround(x));
      assert.deepEqual(rows[i]!['embedding'], expected, `row ${i}`);
    }
  } finally {
    await context.dispose();
    await model.dispose();
  }

  const normalized = join(dir, 'norm.jsonl');
  const again = await runCli(['embed', input, '--column', 'text', '-m', LLAMA, '-o', normalized, '--normalize'], cache);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /3 from the cache/);
  for (const row of jsonLines(normalized)) {
    const vector = row['embedding'] as number[];
    assert.equal(vector.length, 64);
    assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-5);
  }
});

test('kill -9 in the middle of a local-model run: the same command resumes and every row ends once', async () => {
  const dir = tempDir('llama-kill');
  const input = storiesCsv(dir, 160);
  const out = join(dir, 'out.jsonl');
  const cache = join(dir, 'cache');
  const args = ['run', input, '-p', 'Once upon a time, {{text}}', '-m', LLAMA, '-o', out, '--threads', '1'];
  const withOptions = [...args, '--parallel', '4', '--max-tokens', '48', '--json'];
  const first = startCli(withOptions, { LLMAP_CACHE_DIR: cache });
  // Wait until some answers are durably recorded, then kill without warning.
  let recorded = 0;
  let exited = false;
  void first.done.then(() => (exited = true));
  const deadline = Date.now() + 60_000;
  while (recorded < 20 && !exited && Date.now() < deadline) {
    await sleep(150);
    const status = await runCli(['status', join(dir, '.llmap', 'out.jsonl'), '--json']);
    if (status.code === 0) {
      const counts = (JSON.parse(status.stdout) as { counts?: { ok?: number } }).counts;
      recorded = counts?.ok ?? 0;
    }
  }
  if (exited) assert.fail(`the run ended before it could be killed: ${(await first.done).stderr}`);
  assert.ok(recorded >= 20 && recorded < 160, `killed after ${recorded} recorded rows`);
  first.child.kill('SIGKILL');
  const killed = await first.done;
  assert.equal(killed.code, null);
  assert.ok(!existsSync(out), 'a killed run publishes no output');

  const resumed = await runCli(withOptions, { LLMAP_CACHE_DIR: cache });
  assert.equal(resumed.code, 0, resumed.stderr);
  const summary = JSON.parse(resumed.stdout) as { rows: { total: number; ok: number; resumed: number } };
  assert.equal(summary.rows.total, 160);
  assert.equal(summary.rows.ok, 160);
  assert.ok(summary.rows.resumed >= recorded, `resumed ${summary.rows.resumed} of the ${recorded} recorded`);
  const rows = jsonLines(out);
  assert.deepEqual(
    rows.map((row) => row['id']),
    Array.from({ length: 160 }, (_, i) => i),
  );
  assert.ok(rows.every((row) => row['_status'] === 'ok' && (row['answer'] as string).length > 0));
});

test('with no model given and no network, llmap says how to point it at a local GGUF', async () => {
  const dir = tempDir('llama-default');
  const input = storiesCsv(dir, 2);
  const result = await runCli(['run', input, '-p', '{{text}}', '-o', join(dir, 'out.jsonl')], {
    HF_ENDPOINT: 'http://127.0.0.1:9/',
  });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /cannot download hf:Qwen\/Qwen2\.5-1\.5B-Instruct-GGUF:Q4_K_M/);
  assert.match(result.stderr, /--model llama:path\/to\/model\.gguf \(or set LLMAP_MODEL=llama:path\/to\/model\.gguf\)/);
  assert.doesNotMatch(result.stderr, /internal error/);
});

test('a model with a chat template is prompted through it, and the run says so', async () => {
  const dir = tempDir('llama-chat');
  const model = join(dir, 'stories-chatml.gguf');
  writeWithChatTemplate(MODEL, model);
  const input = storiesCsv(dir, 12);
  const out = join(dir, 'out.jsonl');
  const schema = JSON.stringify({
    type: 'object',
    properties: { mood: { enum: ['happy', 'sad'] }, summary: { type: 'string', maxLength: 30 } },
    required: ['mood', 'summary'],
  });
  const result = await runCli([
    'run',
    input,
    '-p',
    'Story: {{text}}',
    '-s',
    schema,
    '-m',
    `llama:${model}`,
    '-o',
    out,
    '--threads',
    '1',
    '--max-tokens',
    '120',
  ]);
  assert.ok(result.code === 0 || result.code === 1, result.stderr);
  assert.match(result.stderr, /prompt format: the model’s chat template/);
  const rows = jsonLines(out);
  assert.equal(rows.length, 12);
  assert.ok(
    rows.every((row) => row['_status'] === 'ok' || row['_status'] === 'invalid'),
    JSON.stringify(rows[0]),
  );
  // The template wraps the prompt in its ChatML markers (plain text to this tokenizer, dozens of tokens) that the plain
  // completion of the same text does not have.
  const plain = await runCli([
    'run',
    input,
    '-p',
    'Story: {{text}}',
    '-s',
    schema,
    '-m',
    LLAMA,
    '-o',
    join(dir, 'plain.jsonl'),
    '--threads',
    '1',
    '--max-tokens',
    '120',
  ]);
  assert.match(plain.stderr, /prompt format: plain completion/);
  const first = (path: string) => jsonLines(path)[0]!;
  const perCall = (row: Record<string, unknown>) => (row['_input_tokens'] as number) / (row['_attempts'] as number);
  assert.ok(perCall(first(out)) > perCall(first(join(dir, 'plain.jsonl'))) + 20, `${perCall(first(out))}`);
});

test('a model file that cannot load stops the run before any row, with exit 2 and the file named', async () => {
  const dir = tempDir('llama-corrupt');
  const input = storiesCsv(dir, 3);
  const broken = join(dir, 'broken.gguf');
  writeFileSync(broken, readFileSync(MODEL).subarray(0, 4096));
  const out = join(dir, 'out.jsonl');
  const result = await runCli(['run', input, '-p', '{{text}}', '-m', `llama:${broken}`, '-o', out, '--threads', '1']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`llmap: error: cannot load the model ${broken.replaceAll('.', '\\.')}`));
  assert.doesNotMatch(result.stderr, /internal error/);
  assert.match(result.stderr, /Is it a complete GGUF file\?/);
  assert.ok(!existsSync(out));
  assert.ok(!existsSync(join(dir, '.llmap')), 'no run state is left behind');
});
