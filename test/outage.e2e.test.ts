// A provider that goes down, never answers, or refuses every request the same way: an outage pauses the run instead
// of failing its rows, a dead endpoint stops the run in seconds with nothing recorded, an outage longer than
// --max-outage stops it with the rows not answered left for the next run, and the same refusal on the first rows is
// the run's error, not theirs.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { freePort } from '../src/store/free-port.test.util.js';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { startSim, type SimServer } from '../src/sim/index.js';
import { readRows, runCli, startCli, tempDir, writeReviewsCsv } from './helpers.js';

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative'] },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['sentiment', 'tags'],
});

/** A loopback port nothing listens on. */
const closedPort = freePort;

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await sleep(20);
  }
}

interface Summary {
  rows: { total: number; written: number; ok: number; failed: number; invalid: number; resumed: number };
  stopped?: { kind: string; message?: string };
  outages?: { count: number; pausedMs: number };
}

describe('a provider that is down', () => {
  const dir = tempDir('outage');
  let input: string;
  before(async () => (input = await writeReviewsCsv(join(dir, 'reviews.csv'), 2000)));

  const job = (baseUrl: string, out: string, ...extra: string[]) => [
    'run',
    input,
    '-p',
    'Review: {{text}}',
    '-s',
    SCHEMA,
    '-m',
    'openai:gpt-4o-mini',
    '--base-url',
    baseUrl,
    '-o',
    join(dir, out),
    '--json',
    ...extra,
  ];

  describe('mid-run', () => {
    let sim: SimServer;
    before(async () => (sim = await startSim({ latencyMs: 5 })));
    after(() => sim.close());

    for (const kind of ['refuse', '503'] as const) {
      test(`an outage (${kind}) pauses the run: every row ends ok, none failed, none paid twice`, async () => {
        sim.resetStats();
        const run = startCli(job(`${sim.url}/v1`, `mid-${kind}.parquet`, '--concurrency', '16'));
        await waitFor(() => sim.stats().requests >= 300);
        sim.down(3000, kind);
        const result = await run.done;
        assert.equal(result.code, 0, result.stderr);
        const summary = JSON.parse(result.stdout) as Summary;
        assert.deepEqual(
          { ok: summary.rows.ok, failed: summary.rows.failed, written: summary.rows.written },
          { ok: 2000, failed: 0, written: 2000 },
        );
        assert.equal(summary.outages?.count, 1);
        assert.ok(summary.outages.pausedMs >= 2000, `paused ${summary.outages.pausedMs} ms`);
        assert.match(result.stderr, /provider unreachable|outage/);
        // An outage that drops connections cuts off answers the provider had already sent on their way: those (at most
        // the 16 in flight) are asked again. One that answers 503 loses none.
        const twice = sim.stats().prompts.answeredMoreThanOnce;
        assert.ok(kind === 'refuse' ? twice <= 16 : twice === 0, `${twice} prompts answered twice`);
        const rows = await readRows(join(dir, `mid-${kind}.parquet`));
        assert.equal(rows.filter((row) => row['_status'] !== 'ok').length, 0);
      });
    }

    test('an outage longer than --max-outage stops the run (exit 3) naming the endpoint; the same command finishes it', async () => {
      sim.resetStats();
      const out = 'long-outage.parquet';
      const run = startCli(job(`${sim.url}/v1`, out, '--concurrency', '16', '--max-outage', '1s'));
      await waitFor(() => sim.stats().requests >= 300);
      // 503s, so that no answer already on its way is cut off (see above): whatever was answered is not asked again.
      sim.down(4000, '503');
      const downAt = Date.now();
      const stopped = await run.done;
      assert.equal(stopped.code, 3, stopped.stderr);
      const first = JSON.parse(stopped.stdout) as Summary;
      assert.equal(first.stopped?.kind, 'outage');
      assert.match(
        first.stopped.message ?? '',
        new RegExp(`the provider at ${sim.url}/v1 has not answered for \\d+ s \\(--max-outage\\)`),
      );
      assert.equal(first.rows.failed, 0);
      assert.ok(first.rows.ok >= 200 && first.rows.ok < 2000, `${first.rows.ok} ok`);
      assert.ok(!existsSync(join(dir, out)), 'a stopped run does not publish the output');

      await sleep(Math.max(0, downAt + 4200 - Date.now()));
      const resumed = await runCli(job(`${sim.url}/v1`, out));
      assert.equal(resumed.code, 0, resumed.stderr);
      const second = JSON.parse(resumed.stdout) as Summary;
      assert.deepEqual({ ok: second.rows.ok, resumed: second.rows.resumed }, { ok: 2000, resumed: first.rows.ok });
      assert.equal(sim.stats().prompts.answeredMoreThanOnce, 0, 'nothing answered was paid again');
    });
  });

  test('an endpoint that never answers stops the run within seconds (exit 3), with nothing recorded', async () => {
    const port = await closedPort();
    const started = Date.now();
    const result = await runCli(job(`http://127.0.0.1:${port}/v1`, 'dead.parquet'));
    const seconds = (Date.now() - started) / 1000;
    assert.equal(result.code, 3, result.stderr);
    assert.ok(seconds < 30, `${seconds} s`);
    assert.match(
      result.stderr,
      new RegExp(`the provider at http://127.0.0.1:${port}/v1 did not answer in \\d+ s: ECONNREFUSED`),
    );
    const summary = JSON.parse(result.stdout) as Summary;
    assert.deepEqual({ ok: summary.rows.ok, failed: summary.rows.failed }, { ok: 0, failed: 0 });
    const status = await runCli(['status', join(dir, '.llmap', 'dead.parquet'), '--json']);
    assert.equal((JSON.parse(status.stdout) as { counts: { entries: number } }).counts.entries, 0);
  });
});

describe('the same refusal on the first rows', () => {
  const dir = tempDir('refusal');
  let sim: SimServer;
  let input: string;
  before(async () => {
    // A model with a 200-token context, as a vLLM server started with --max-model-len 200 has.
    sim = await startSim({ contextTokens: 200 });
    input = await writeReviewsCsv(join(dir, 'reviews.csv'), 500);
  });
  after(() => sim.close());

  const job = (out: string, ...extra: string[]) => [
    'run',
    input,
    '-p',
    'Review: {{text}}',
    '-m',
    'openai:m',
    '--base-url',
    `${sim.url}/v1`,
    '-o',
    join(dir, out),
    '--json',
    ...extra,
  ];

  test("is the run's error: exit 3 with the provider's message, no row recorded as failed", async () => {
    sim.resetStats();
    const result = await runCli(job('refused.parquet', '--max-tokens', '500'));
    assert.equal(result.code, 3, result.stderr);
    assert.match(
      result.stderr,
      /the first 10 requests were all refused the same way.*maximum context length is 200 tokens/,
    );
    assert.ok(sim.stats().requests < 100, `${sim.stats().requests} requests`);
    const summary = JSON.parse(result.stdout) as Summary;
    assert.deepEqual({ ok: summary.rows.ok, failed: summary.rows.failed }, { ok: 0, failed: 0 });
  });

  test('a refusal of one row among answered ones stays that row’s failure', async () => {
    // Row 0 asks for more than the context holds, the others fit.
    const sql = `SELECT id, CASE WHEN id = 0 THEN repeat(text, 30) ELSE text END AS text FROM '${input}'`;
    const result = await runCli(['run', '--sql', sql, ...job('one-refused.parquet', '--max-tokens', '20').slice(2)]);
    assert.equal(result.code, 1, result.stderr);
    const rows = await readRows(join(dir, 'one-refused.parquet'));
    assert.equal(rows.length, 500);
    assert.equal(rows[0]!['_status'], 'failed');
    assert.match(String(rows[0]!['_error']), /HTTP 400: This model's maximum context length is 200 tokens/);
    assert.equal(rows.filter((row) => row['_status'] === 'ok').length, 499);
  });
});
