import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_LOCAL_MODEL } from '../providers/llama/default-model.js';
import { loadJob } from './load-job.js';

const dir = mkdtempSync(join(tmpdir(), 'llmap-job-'));
const input = join(dir, 'in.csv');
writeFileSync(input, 'text\nhello\n');
const base = { input, prompt: 'Say {{text}}', model: 'openai:gpt-4o-mini' };
const env = { OPENAI_API_KEY: 'sk-test-key' };

describe('loading a job', () => {
  test('flags, front matter and environment become one job; the key is a redacted secret', () => {
    const job = loadJob({ ...base, out: join(dir, 'o.jsonl'), concurrency: '8' }, env);
    assert.equal(job.model.provider, 'openai');
    assert.equal(job.model.modelId, 'gpt-4o-mini');
    assert.equal(job.output.format, 'jsonl');
    assert.equal(job.execution.concurrency, 8);
    assert.equal(JSON.stringify(job).includes('sk-test-key'), false);
    assert.equal(job.model.apiKey?.reveal(), 'sk-test-key');
  });

  test('the default output sits beside the input as Parquet', () => {
    assert.deepEqual(loadJob(base, env).output, { path: join(dir, 'in.llmap.parquet'), format: 'parquet' });
  });

  test('an unknown provider prefix is an input error naming it', () => {
    assert.throws(() => loadJob({ ...base, model: 'mistral:large' }, env), /unknown provider prefix "mistral:"/);
  });

  test('a missing API key is an input error naming the variable', () => {
    assert.throws(() => loadJob(base, {}), /missing API key: set OPENAI_API_KEY/);
    assert.throws(
      () => loadJob({ ...base, model: 'anthropic:claude', baseUrl: ['http://localhost:1'], apiKeyEnv: 'MY_KEY' }, {}),
      /missing API key: set MY_KEY/,
    );
  });

  test('a local server needs no key', () => {
    assert.equal(loadJob({ ...base, baseUrl: ['http://127.0.0.1:8000/v1'] }, {}).model.apiKey, undefined);
  });

  test('a bad number names the flag', () => {
    assert.throws(
      () => loadJob({ ...base, concurrency: '-3' }, env),
      /Expected `--concurrency` to be auto or a positive integer, got -3/,
    );
  });

  test('a missing input file is an input error naming it', () => {
    assert.throws(
      () => loadJob({ ...base, input: join(dir, 'missing.csv') }, env),
      /input file not found: .*missing\.csv/,
    );
  });

  test('no model anywhere runs the embedded default, a local model downloaded into the cache directory', () => {
    const { model: _model, ...rest } = base;
    const job = loadJob({ ...rest, cacheDir: '/tmp/llmap-cache' }, env);
    assert.equal(job.model.provider, 'llama');
    assert.equal(job.model.modelId, DEFAULT_LOCAL_MODEL);
    assert.equal(job.model.local?.modelsDir, '/tmp/llmap-cache/models');
    assert.equal(job.model.apiKey, undefined);
  });

  test('llama: names a GGUF file that must exist, and takes no --base-url', () => {
    assert.throws(
      () => loadJob({ ...base, model: 'llama:/no/such/model.gguf' }, env),
      /model file \/no\/such\/model\.gguf/,
    );
    assert.throws(
      () => loadJob({ ...base, model: 'llama:hf:owner/repo:Q4_K_M', baseUrl: ['http://localhost:8000/v1'] }, env),
      /--base-url is for servers/,
    );
    const job = loadJob({ ...base, model: 'llama:hf:owner/repo:Q4_K_M', parallel: '8', threads: '1', gpu: 'off' }, env);
    assert.deepEqual(
      { parallel: job.model.local?.parallel, threads: job.model.local?.threads, gpu: job.model.local?.gpu },
      { parallel: 8, threads: 1, gpu: 'off' },
    );
    assert.throws(
      () => loadJob({ ...base, model: 'llama:hf:o/r:q', gpu: 'cuda' as never }, env),
      /`--gpu` to be auto or off/,
    );
  });
});
