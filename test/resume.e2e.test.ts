// Exactly once, end to end: kill -9 and resume, re-runs answered from the run state and the cache, replay without
// a network, changed jobs paying only for what changed, and run state that is corrupt or another job's.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { killDrill } from './kill-drill.js';
import { readRows, runCli, tempDir, writeReviewsCsv } from './helpers.js';

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { label: { type: 'string', enum: ['good', 'bad'] }, score: { type: 'integer' } },
  required: ['label', 'score'],
  additionalProperties: false,
});

test('kill -9 at ten random moments: the re-runs complete the job exactly once', async () => {
  const report = await killDrill({ rows: 20_000, kills: 10, seed: 20261123 });
  const inFlight = report.kills.reduce((sum, k) => sum + k.inFlight, 0);
  assert.equal(report.finalExitCode, 0);
  assert.equal(report.kills.length, 10, 'every kill landed while the job was running');
  assert.equal(report.outputRows, 20_000);
  assert.deepEqual(report.differences, [], 'the output equals the uninterrupted run, timing columns aside');
  // Every extra paid call was in flight (sent, not yet durably recorded) at a kill; nothing else is asked twice.
  assert.equal(report.paid - report.rows, inFlight);
  assert.ok(report.paidTwice <= inFlight);
  // Durable recording keeps the loss at a kill to about the requests in flight (32) plus one checkpoint interval.
  for (const kill of report.kills) assert.ok(kill.inFlight <= 32 + 400, JSON.stringify(kill));
  // `llmap status` tells a killed run from a running one.
  assert.deepEqual(new Set(report.kills.map((k) => k.activity)), new Set(['stopped']));
});

describe('re-runs, replay and changed jobs against llmap sim', () => {
  let sim: SimServer;
  const dir = tempDir('resume');
  const cacheDir = join(dir, 'cache');
  const env = { LLMAP_CACHE_DIR: cacheDir };
  let input: string;
  before(async () => {
    sim = await startSim({ port: 0 });
    input = await writeReviewsCsv(join(dir, 'reviews.csv'), 400);
  });
  after(() => sim.close());

  const run = (out: string, ...extra: string[]) =>
    runCli(
      [
        'run',
        input,
        '-p',
        'Label this review: {{text}}',
        '-s',
        SCHEMA,
        '-m',
        'openai:gpt-4o-mini',
        '--base-url',
        `${sim.url}/v1`,
        '-o',
        out,
        ...extra,
      ],
      env,
    );

  test('a finished job run again asks nothing and writes the same rows, now and offline', async () => {
    const out = join(dir, 'again.parquet');
    const first = await run(out);
    assert.equal(first.code, 0, first.stderr);
    const firstRows = await readRows(out);
    sim.resetStats();

    const second = await run(out);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /found a finished run: 400 answer\(s\) recorded/);
    assert.match(second.stdout, /400 from the run state · 0 from the cache · 0 asked/);
    assert.equal(sim.stats().requests, 0);
    assert.deepEqual(await readRows(out), firstRows);

    // --replay re-reads every answer from the cache and never connects: a dead endpoint is fine.
    const replay = await runCli(
      ['run', input, '-p', 'Label this review: {{text}}', '-s', SCHEMA, '-m', 'openai:gpt-4o-mini'].concat([
        '--base-url',
        `${sim.url}/v1`,
        '-o',
        out,
        '--replay',
      ]),
      env,
    );
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /0 from the run state · 400 from the cache · 0 asked/);
    assert.equal(sim.stats().requests, 0);
    const replayed = await readRows(out);
    assert.ok(replayed.every((r) => r['_cached'] === true));
    const strip = (rows: Record<string, unknown>[]) =>
      rows.map(({ _cached, _latency_ms, _finished_at, ...rest }) => rest);
    assert.deepEqual(strip(replayed), strip(firstRows));
  });

  test('--replay of rows never asked marks them failed with "not in cache", offline, and a later run asks them', async () => {
    const out = join(dir, 'offline.parquet');
    const closed = `http://127.0.0.1:9/v1`;
    const replay = await runCli(
      ['run', input, '-p', 'Never asked {{text}}', '-m', 'openai:m', '--base-url', closed, '-o', out, '--offline'],
      env,
    );
    assert.equal(replay.code, 1, replay.stderr);
    const rows = await readRows(out);
    assert.equal(rows.length, 400);
    assert.ok(rows.every((r) => r['_status'] === 'failed' && r['_error'] === 'not in cache'));

    const online = await runCli(
      ['run', input, '-p', 'Never asked {{text}}', '-m', 'openai:m', '--base-url', `${sim.url}/v1`, '-o', out],
      env,
    );
    assert.equal(online.code, 0, online.stderr);
    assert.ok((await readRows(out)).every((r) => r['_status'] === 'ok'));
  });

  test('a second job whose prompt changed on half the rows pays only for that half', async () => {
    const halves = join(dir, 'halves.csv');
    const changed = join(dir, 'halves-changed.csv');
    const lines = (flip: boolean) =>
      ['id,instruction,text'].concat(
        Array.from({ length: 200 }, (_, i) => `${i},${flip && i % 2 === 1 ? 'Be terse' : 'Be kind'},Review ${i}`),
      );
    writeFileSync(halves, lines(false).join('\n') + '\n');
    writeFileSync(changed, lines(true).join('\n') + '\n');
    const job = (file: string, out: string) =>
      runCli(
        ['run', file, '-p', '{{instruction}}. Label: {{text}}', '-s', SCHEMA, '-m', 'openai:gpt-4o-mini'].concat([
          '--base-url',
          `${sim.url}/v1`,
          '-o',
          join(dir, out),
          '--id',
          'id',
        ]),
        env,
      );
    assert.equal((await job(halves, 'halves.parquet')).code, 0);
    sim.resetStats();
    const second = await job(changed, 'halves-changed.parquet');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(sim.stats().requests, 100);
    assert.match(second.stdout, /100 from the cache · 100 asked/);
  });

  test('a schema change the provider never receives re-checks cached answers instead of asking again', async () => {
    // OpenAI strict mode has no maxLength: the request sent is the same whatever the limit, so the cache answers it
    // and only the local check differs.
    const schema = (maxLength: number) =>
      JSON.stringify({
        type: 'object',
        properties: { label: { type: 'string', enum: ['good', 'bad'] }, note: { type: 'string', maxLength } },
        required: ['label', 'note'],
        additionalProperties: false,
      });
    const out = join(dir, 'recheck.parquet');
    const written = join(dir, 'recheck.partial.parquet'); // where a --limit run writes
    const job = (maxLength: number) =>
      runCli(
        ['run', input, '-p', 'Note on {{text}}', '-s', schema(maxLength), '-m', 'openai:gpt-4o-mini'].concat([
          '--base-url',
          `${sim.url}/v1`,
          '-o',
          out,
          '--limit',
          '50',
        ]),
        env,
      );
    assert.equal((await job(100_000)).code, 0);
    sim.resetStats();

    const looser = await job(200_000);
    assert.equal(looser.code, 0, looser.stderr);
    assert.match(looser.stderr, /the job changed since the last run \(schema\)/);
    assert.equal(sim.stats().requests, 0);
    assert.ok((await readRows(written)).every((r) => r['_status'] === 'ok' && r['_cached'] === true));

    // Too tight for every note: each row's cached answer fails the new check and gets one (paid) repair turn; the
    // first requests are not asked again.
    const tighter = await job(1);
    assert.equal(tighter.code, 1, tighter.stderr);
    assert.equal(sim.stats().requests, 50);
    assert.ok((await readRows(written)).every((r) => r['_status'] === 'invalid'));
  });

  test('rows added to the input are asked, rows removed are dropped, the rest are kept', async () => {
    const a = join(dir, 'grow.csv');
    const rows = (from: number, to: number) =>
      ['id,text'].concat(Array.from({ length: to - from }, (_, i) => `${from + i},Growing review ${from + i}`));
    writeFileSync(a, rows(0, 100).join('\n') + '\n');
    const out = join(dir, 'grow.parquet');
    const job = () =>
      runCli(['run', a, '-p', 'Label: {{text}}', '-m', 'openai:m', '--base-url', `${sim.url}/v1`, '-o', out], env);
    assert.equal((await job()).code, 0);
    writeFileSync(a, rows(50, 150).join('\n') + '\n');
    sim.resetStats();
    const second = await job();
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /the job changed since the last run \(input\)/);
    assert.equal(sim.stats().requests, 50);
    assert.deepEqual(
      (await readRows(out)).map((r) => Number(r['id'])),
      Array.from({ length: 100 }, (_, i) => 50 + i),
    );
  });

  test('identical requests in one run are sent once and fanned out to every row', async () => {
    const dupes = join(dir, 'dupes.csv');
    writeFileSync(dupes, ['n,text'].concat(Array.from({ length: 300 }, (_, i) => `${i},Same ${i % 10}`)).join('\n'));
    sim.resetStats();
    const out = join(dir, 'dupes.parquet');
    const result = await runCli(
      ['run', dupes, '-p', 'Label: {{text}}', '-m', 'openai:m', '--base-url', `${sim.url}/v1`, '-o', out],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(sim.stats().requests, 10);
    assert.equal(sim.stats().prompts.answeredMoreThanOnce, 0);
    const rows = await readRows(out);
    assert.equal(rows.length, 300);
    assert.equal(rows.filter((r) => r['_cached'] === false).length, 10);
    assert.equal(new Set(rows.map((r) => r['_request_key'])).size, 10);
  });

  test('--samples 3 asks three independent answers per row and writes them as rows with _sample', async () => {
    sim.resetStats();
    const out = join(dir, 'samples.parquet');
    const result = await run(out, '--samples', '3', '--limit', '20', '--temperature', '1');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(sim.stats().requests, 60);
    const rows = await readRows(join(dir, 'samples.partial.parquet')); // where a --limit run writes
    assert.deepEqual(
      rows.map((r) => [Number(r['id']), r['_sample']]),
      Array.from({ length: 60 }, (_, i) => [Math.floor(i / 3), i % 3]),
    );
    assert.equal(new Set(rows.map((r) => r['_request_key'])).size, 60);
  });

  test('--retry-failed asks again only the rows that ended failed or invalid', async () => {
    // One endpoint (the request key includes it), first failing 30% of calls, then restarted healthy on its port.
    const flaky = await startSim({ port: 0, errorRate: 0.3, seed: 7 });
    const url = `${flaky.url}/v1`;
    const out = join(dir, 'retry.parquet');
    const args = (...extra: string[]) =>
      ['run', input, '-p', 'Retry {{text}}', '-s', SCHEMA, '-m', 'openai:m', '--base-url', url, '-o', out].concat([
        '--max-attempts',
        '1',
        ...extra,
      ]);
    const first = await runCli(args(), env);
    await flaky.close();
    assert.equal(first.code, 1, first.stderr);
    const failed = (await readRows(out)).filter((r) => r['_status'] !== 'ok').length;
    assert.ok(failed > 50, `${failed} rows failed`);

    const healthy = await startSim({ port: flaky.port });
    try {
      const again = await runCli(args(), env);
      assert.equal(again.code, 1, 'failed rows stay failed on a plain re-run');
      assert.equal(healthy.stats().requests, 0);

      const retried = await runCli(args('--retry-failed'), env);
      assert.equal(retried.code, 0, retried.stderr);
      assert.equal(healthy.stats().requests, failed);
      const rows = await readRows(out);
      assert.equal(rows.length, 400);
      assert.ok(rows.every((r) => r['_status'] === 'ok'));
    } finally {
      await healthy.close();
    }
  });

  test('--id with repeated or empty values is an input error naming them, before any call', async () => {
    const bad = join(dir, 'bad-ids.csv');
    writeFileSync(bad, 'key,text\na,one\nb,two\na,three\nc,four\nb,five\n');
    sim.resetStats();
    const result = await runCli(
      ['run', bad, '-p', '{{text}}', '-m', 'openai:m', '--base-url', `${sim.url}/v1`, '--id', 'key'],
      env,
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--id key is not unique in .*bad-ids\.csv: "a" \(2 rows\), "b" \(2 rows\)/);
    const missing = await runCli(
      ['run', bad, '-p', '{{text}}', '-m', 'openai:m', '--base-url', `${sim.url}/v1`, '--id', 'nope'],
      env,
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--id nope: .* has no such column; its columns are key, text/);
    assert.equal(sim.stats().requests, 0);
  });

  test('a truncated ledger is refused with the way out, and --fresh starts over with the cache answering', async () => {
    const out = join(dir, 'corrupt.parquet');
    assert.equal((await run(out)).code, 0);
    const ledger = join(dir, '.llmap', 'corrupt.parquet', 'ledger.sqlite');
    truncateSync(ledger, Math.floor(statSync(ledger).size / 2));
    sim.resetStats();
    const refused = await run(out);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /ledger\.sqlite is unreadable .*--fresh/);
    const fresh = await run(out, '--fresh');
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /0 from the run state · 400 from the cache · 0 asked/);
    assert.equal(sim.stats().requests, 0);
  });

  test("another job's state directory is refused rather than mixed in", async () => {
    const state = join(dir, '.llmap', 'again.parquet');
    const result = await run(join(dir, 'other.parquet'), '--state', state);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /belongs to the job writing .*again\.parquet, not .*other\.parquet/);
  });

  test('llmap status reports a finished run: rows, cache hits, the command that resumes it', async () => {
    const result = await runCli(['status', join(dir, '.llmap', 'again.parquet')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /state: {5}finished/);
    assert.match(result.stdout, /rows: {6}400 of 400 recorded · ok 400 · failed 0 · invalid 0/);
    assert.match(result.stdout, /cache: {5}400 answered without a paid call/);
    assert.match(
      result.stdout,
      /tokens: {4}[\d,]+ in · [\d,]+ out \(paid calls, all runs\) · \$\d+\.\d{4} at the prices of 2025-10/,
    );
    assert.match(result.stdout, /resume: {4}cd .* && llmap run .*reviews\.csv -p 'Label this review: \{\{text\}\}'/);
    const json = await runCli(['status', join(dir, '.llmap'), '--json']);
    const statuses = JSON.parse(json.stdout) as { dir: string }[];
    assert.ok(statuses.length >= 5);
  });

  test('the API key is in no file of the state directory, the cache, the output or the quarantine', async () => {
    const key = 'sk-test-SECRET-7f3a9c1e5b';
    const keyed = await startSim({ port: 0, apiKey: key, malformedRate: 0.3, seed: 3 });
    const keyDir = tempDir('secret');
    try {
      const out = join(keyDir, 'out.jsonl');
      const result = await runCli(
        ['run', input, '-p', 'Secret {{text}}', '-s', SCHEMA, '-m', 'openai:m', '--base-url', `${keyed.url}/v1`].concat(
          ['-o', out, '--api-key-env', 'MY_KEY', '--cache-dir', join(keyDir, 'cache')],
        ),
        { MY_KEY: key },
      );
      assert.equal(result.code, 1, result.stderr);
      const files = listFiles(keyDir);
      assert.ok(files.some((f) => f.endsWith('.quarantine.jsonl')));
      assert.ok(files.some((f) => f.endsWith('ledger.sqlite')));
      assert.ok(files.some((f) => f.endsWith('responses.sqlite')));
      for (const file of files) assert.equal(readFileSync(file).includes(key), false, `${file} holds the key`);
      assert.equal(result.stderr.includes(key), false);
    } finally {
      await keyed.close();
    }
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
