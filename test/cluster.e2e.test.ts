// A job spread over workers on a real Redis, as users run it: `llmap worker` processes and `llmap run --cluster`
// against the simulator. What must hold is what holds on one machine: the same output, nothing paid twice, a kill -9
// (of a worker, of the coordinator) or a Redis restart losing nothing, a shard that cannot be answered ending as
// failed rows, and bad input refused before anything is queued.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRedis, type TestRedis } from '../src/distributed/redis-server.test.util.js';
import { startSim, type SimServer } from '../src/sim/index.js';
import { exampleRoot, readRows, runCli, startCli, tempDir, writeTicketsCsv, type RunningCli } from './helpers.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');
const JOB = ['-p', join(EXAMPLES, 'triage.md'), '-s', join(EXAMPLES, 'triage.schema.json'), '-m', 'openai:gpt-4o-mini'];
/** The columns that do not depend on when or where a row was answered. */
const STABLE = ['ticket_id', 'category', 'urgency', 'pii', 'tags', '_status', '_error', '_row_id', '_request_key'];

function stable(rows: Record<string, unknown>[]): string[] {
  return rows.map((row) => JSON.stringify(STABLE.map((name) => row[name])));
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('llmap run --cluster with llmap workers on Redis', () => {
  let redis: TestRedis;
  let sim: SimServer;
  let env: Record<string, string>;
  const dir = tempDir('cluster');
  const workers: RunningCli[] = [];
  const worker = (extra: Record<string, string> = {}) => {
    const w = startCli(['worker', redis.url, '--lock-timeout', '3'], {
      ...env,
      LLMAP_CACHE_DIR: tempDir('wcache'),
      ...extra,
    });
    workers.push(w);
    return w;
  };
  const stopWorkers = async () => {
    for (const w of workers.splice(0)) {
      w.child.kill('SIGTERM');
      await w.done;
    }
  };

  before(async () => {
    redis = await startRedis({ appendOnly: true });
    sim = await startSim({ port: 0, latencyMs: 20 });
    env = { OPENAI_BASE_URL: `${sim.url}/v1`, OPENAI_API_KEY: 'sk-test' };
  });
  after(async () => {
    await stopWorkers();
    await sim.close();
    await redis.close();
  });

  test('two local workers (--workers 2) write what one machine writes, and the same command again asks nothing', async () => {
    const input = await writeTicketsCsv(join(dir, 'same.csv'), 3_000);
    const alone = join(dir, 'alone.csv');
    assert.equal((await runCli(['run', input, ...JOB, '-o', alone], env)).code, 0);
    sim.resetStats();
    const out = join(dir, 'spread.csv');
    const args = ['run', input, ...JOB, '-o', out, '--cluster', redis.url, '--workers', '2', '--shard-rows', '400'];
    const run = await runCli(args, env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /wrote .*spread\.csv: 3,000 rows — 3,000 ok, 0 failed, 0 invalid/);
    assert.match(run.stdout, /8 shard\(s\) on 2 worker\(s\)/);
    assert.deepEqual(stable(await readRows(out)), stable(await readRows(alone)));
    assert.equal(sim.stats().prompts.answeredMoreThanOnce, 0);
    const asked = sim.stats().requests;

    const again = await runCli(args, env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /re-attached to job/);
    assert.equal(sim.stats().requests, asked, 'nothing asked again');
    const status = await runCli(['status', '--cluster', redis.url], env);
    assert.match(status.stdout, /spread\.csv: published/);
    assert.match(status.stdout, /shards: 8 done, 0 running/);
    // The key was in every process's environment; nothing in Redis holds it.
    assert.doesNotMatch(await everythingIn(redis), /sk-test/);
  });

  test('kill -9 of a worker and of the coordinator, and a Redis restart: every row once, as one machine writes it', async () => {
    const input = await writeTicketsCsv(join(dir, 'kill.csv'), 6_000);
    const alone = join(dir, 'kill-alone.jsonl');
    assert.equal((await runCli(['run', input, ...JOB, '-o', alone], env)).code, 0);
    sim.resetStats();
    const out = join(dir, 'kill.jsonl');
    const args = [
      'run',
      input,
      ...JOB,
      '-o',
      out,
      '--cluster',
      redis.url,
      '--shard-rows',
      '500',
      '--max-concurrency',
      '32',
    ];
    const doomed = worker();
    const stopped = worker();
    const first = startCli(args, env);
    await until('a third of the rows', () => sim.stats().requests >= 2_000);
    doomed.child.kill('SIGKILL');
    first.child.kill('SIGKILL');
    await Promise.all([doomed.done, first.done]);
    // The other worker is stopped as a service manager stops it: it hands its shard back and exits 0.
    stopped.child.kill('SIGTERM');
    const handedBack = await stopped.done;
    assert.equal(handedBack.code, 0, handedBack.stderr);
    assert.match(handedBack.stderr, /stopping: no new shards/);
    await redis.restart();
    worker();
    const second = await runCli(args, env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /re-attached to job/);
    const rows = await readRows(out);
    assert.equal(rows.length, 6_000);
    assert.equal(new Set(rows.map((r) => r['_row_id'])).size, 6_000);
    assert.deepEqual(stable(rows), stable(await readRows(alone)));
    // Paid twice: at most the requests the dead worker had in flight (its --max-concurrency).
    assert.ok(sim.stats().prompts.answeredMoreThanOnce <= 32, JSON.stringify(sim.stats().prompts));
    await stopWorkers();
  });

  test('a shard no worker can answer ends as failed rows with the reason; the job ends (exit 1)', async () => {
    const input = await writeTicketsCsv(join(dir, 'nokey.csv'), 600);
    const out = join(dir, 'nokey.parquet');
    // The key is in a variable the coordinator's machine has and the workers' has not: every attempt fails.
    worker();
    const job = ['run', input, ...JOB, '-o', out, '--api-key-env', 'TRIAGE_KEY', '--cluster', redis.url];
    const run = await runCli([...job, '--shard-rows', '300'], { ...env, TRIAGE_KEY: 'sk-test' });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /shard 0 \(rows 1–300\) failed on every attempt: .*TRIAGE_KEY/);
    const rows = await readRows(out);
    assert.equal(rows.length, 600);
    assert.ok(rows.every((r) => r['_status'] === 'failed' && /TRIAGE_KEY/.test(String(r['_error']))));
    await stopWorkers();
  });

  test('--detach queues and exits 5; the same command waits for the job; a dataset is parts with a manifest', async () => {
    const input = await writeTicketsCsv(join(dir, 'dataset.csv'), 900);
    const out = join(dir, 'dataset.parquet');
    const args = ['run', input, ...JOB, '-o', out, '--cluster', redis.url, '--shard-rows', '300'];
    args.push('--output-layout', 'dataset');
    const detached = await runCli([...args, '--detach'], env);
    assert.equal(detached.code, 5, detached.stderr);
    assert.match(detached.stdout, /queued on .*900 rows, 3 shards/);
    worker();
    const waited = await runCli(args, env);
    assert.equal(waited.code, 0, waited.stderr);
    assert.match(waited.stdout, /a Parquet dataset; see _manifest\.json/);
    const manifest = JSON.parse(readFileSync(join(out, '_manifest.json'), 'utf8')) as {
      rows: number;
      parts: { file: string; rows: number }[];
    };
    assert.equal(manifest.rows, 900);
    assert.deepEqual(
      manifest.parts.map((p) => p.rows),
      [300, 300, 300],
    );
    const rows = await readRows(join(out, '*.parquet'));
    assert.equal(rows.length, 900);
    assert.ok(rows.every((r) => r['_status'] === 'ok'));
    await stopWorkers();
  });

  test('bad input exits 2 before anything is queued', async () => {
    const run = await runCli(
      [
        'run',
        join(EXAMPLES, 'tickets.csv'),
        '-p',
        'Sort {{no_such_column}}',
        '-o',
        join(dir, 'bad.parquet'),
        '--cluster',
        redis.url,
      ],
      env,
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /no_such_column/);
    assert.doesNotMatch(await everythingIn(redis), /bad\.parquet/, 'no job of it in Redis');
    // A Redis that is not there: each command says so and exits 2, rather than waiting for it.
    for (const args of [
      ['status', '--cluster', 'redis://127.0.0.1:1'],
      ['worker', 'redis://127.0.0.1:1'],
    ]) {
      const unreachable = await runCli(args, env);
      assert.equal(unreachable.code, 2, unreachable.stderr);
      assert.match(unreachable.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/?: .*ECONNREFUSED/);
    }
  });
});

/** Every value in a Redis, as text: strings, hashes, lists, sets, sorted sets and streams. */
async function everythingIn(redis: TestRedis): Promise<string> {
  const client = redis.client();
  const parts: string[] = [];
  for (const key of await client.keys('*')) {
    const type = await client.type(key);
    if (type === 'string') parts.push((await client.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await client.hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await client.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await client.smembers(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await client.zrange(key, 0, -1)));
    else if (type === 'stream') parts.push(JSON.stringify(await client.xrange(key, '-', '+')));
  }
  assert.ok(parts.length > 0);
  return parts.join('\n');
}

describe('llmap worker --help', () => {
  test('its examples run as written, from the repository root', async () => {
    const redis = await startRedis();
    const sim = await startSim({ port: 0 });
    const { root, bin } = exampleRoot('worker-examples');
    const port = new URL(redis.url).port;
    const env = {
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
      LLMAP_CACHE_DIR: join(root, 'cache'),
      OPENAI_API_KEY: 'sk-test',
    };
    const help = (await runCli(['worker', '--help'])).stdout;
    const commands = help
      .slice(help.indexOf('\nExamples'))
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^(\w+=\S+ )*llmap /.test(line))
      .map((line) => line.replaceAll(':6390', `:${port}`).replaceAll(':8787', `:${sim.port}`));
    assert.ok(commands.length >= 3, help);
    const background = [];
    try {
      for (const command of commands) {
        if (command.includes('llmap sim')) continue; // the test's simulator stands in for it
        // `exec`: a signal to the shell reaches the worker itself.
        const line = command.replace(/ &$/, '').replace(/^((?:\w+=\S+ )*)/, '$1exec ');
        const child = spawn('sh', ['-c', line], {
          cwd: root,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        if (command.endsWith('&')) {
          background.push(child);
          await until('the worker', () => /waiting for shards/.test(stderr), 20_000);
          continue;
        }
        const [code] = (await once(child, 'close')) as [number | null];
        assert.equal(code, 0, `${command}\n${stdout}\n${stderr}`);
        assert.doesNotMatch(stderr, /error/i, command);
        assert.notEqual(stdout.trim(), '', command);
      }
      assert.equal((await readRows(join(root, 'out/cluster-tickets.parquet'))).length, 300);
    } finally {
      for (const child of background) {
        child.kill('SIGTERM');
        await once(child, 'close');
      }
      await sim.close();
      await redis.close();
    }
  });
});
