import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_LOCAL_MODEL } from '../providers/llama/default-model.js';
import { buildRequest } from '../request/build-request.js';
import { jobKeyer, requestTemplate } from './job-source.js';
import type { Job } from './job.js';
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
    assert.deepEqual(loadJob(base, env).output, {
      path: join(dir, 'in.llmap.parquet'),
      format: 'parquet',
      keepPrompts: false,
    });
  });

  test('a drift check needs its report and a baseline that exists: said before anything is sent', () => {
    assert.throws(
      () => loadJob({ ...base, report: false, failOnDrift: true }, env),
      /--fail-on-drift checks drift in the run report: drop --no-report/,
    );
    assert.throws(
      () => loadJob({ ...base, baseline: join(dir, 'gone.report.json') }, env),
      /--baseline .*gone\.report\.json: no such file/,
    );
    assert.deepEqual(loadJob({ ...base, baseline: input, driftSigma: '3' }, env).report, {
      write: true,
      baseline: input,
      driftSigma: 3,
      failOnDrift: false,
    });
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

  test('OPENAI_BASE_URL and ANTHROPIC_BASE_URL are the endpoint, as --base-url is; --base-url wins', () => {
    const sim = 'http://127.0.0.1:8787/v1';
    const fromEnv = loadJob(base, { OPENAI_BASE_URL: sim });
    assert.deepEqual(fromEnv.model.baseUrls.map(String), [sim]);
    assert.equal(fromEnv.model.apiKey, undefined, 'a local server needs no key, as with --base-url');
    const anthropic = loadJob({ ...base, model: 'anthropic:claude' }, { ANTHROPIC_BASE_URL: 'http://localhost:9000' });
    assert.deepEqual(anthropic.model.baseUrls.map(String), ['http://localhost:9000/']);
    const flagged = loadJob({ ...base, baseUrl: ['http://gpu1:8000/v1'] }, { OPENAI_BASE_URL: sim });
    assert.deepEqual(flagged.model.baseUrls.map(String), ['http://gpu1:8000/v1']);
    // Each provider reads its own SDK's variable only.
    assert.deepEqual(
      loadJob({ ...base, model: 'anthropic:claude' }, { ...env, ANTHROPIC_API_KEY: 'k', OPENAI_BASE_URL: sim }).model
        .baseUrls,
      [],
    );
  });

  test('an endpoint from the variable keys requests exactly as the same --base-url does', () => {
    const sim = 'http://127.0.0.1:8787/v1';
    const keyOf = (job: Job) => jobKeyer(job)(buildRequest(requestTemplate(job), { text: 'hello' }, 0));
    const fromEnv = keyOf(loadJob(base, { OPENAI_BASE_URL: sim }));
    assert.equal(fromEnv, keyOf(loadJob({ ...base, baseUrl: [sim] }, {})));
    assert.notEqual(fromEnv, keyOf(loadJob(base, env)), 'the hosted API is another key space');
  });

  test('a base URL variable that is not a URL is an input error naming the variable', () => {
    assert.throws(() => loadJob(base, { OPENAI_BASE_URL: 'localhost:8787' }), /invalid OPENAI_BASE_URL localhost:8787/);
    assert.throws(
      () => loadJob({ ...base, model: 'anthropic:claude' }, { ANTHROPIC_BASE_URL: 'not a url' }),
      /invalid ANTHROPIC_BASE_URL not a url: expected a URL/,
    );
  });

  test('the hosted API needs its key even when named as a base URL', () => {
    assert.throws(
      () => loadJob(base, { OPENAI_BASE_URL: 'https://api.openai.com/v1' }),
      /missing API key: set OPENAI_API_KEY/,
    );
  });

  test('a job that sends nothing (an estimate) needs no key', () => {
    const job = loadJob(base, {}, { sends: false });
    assert.deepEqual([job.model.provider, job.model.baseUrls, job.model.apiKey], ['openai', [], undefined]);
    assert.throws(() => loadJob(base, {}, { sends: true }), /missing API key: set OPENAI_API_KEY/);
  });
});
