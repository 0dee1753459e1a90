// The kill -9 drill: a job against `llmap sim` is killed with SIGKILL at random moments and re-run each time until
// it completes; the result must equal an uninterrupted run's, and every call paid twice must be one that was in
// flight (sent, not yet durably recorded) at a kill. Used by test/resume.e2e.test.ts and scripts/kill-drill.mjs.

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { startSim } from '../src/sim/index.js';
import { readRunStatus } from '../src/observe/run-status.js';
import { defaultStateDir } from '../src/job/load-job.js';
import { readRows, runCli, startCli, tempDir, writeReviewsCsv } from './helpers.js';

export interface DrillOptions {
  readonly rows: number;
  readonly kills: number;
  /** Seeds the kill moments, so a failing drill can be replayed. */
  readonly seed: number;
  readonly latencyMs?: number;
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}

export interface KillRecord {
  /** Calls the simulator answered during this attempt. */
  readonly paid: number;
  /** Of those, the ones not durably recorded when the process died: asked again later. */
  readonly inFlight: number;
  /** Rows recorded in the run state after the kill. */
  readonly recorded: number;
  /** What `llmap status` says of the run after the kill. */
  readonly activity: string;
}

export interface DrillReport {
  readonly rows: number;
  readonly kills: readonly KillRecord[];
  /** Rows in the final output, and whether they equal the uninterrupted run's (timing columns aside). */
  readonly outputRows: number;
  readonly differences: readonly string[];
  /** Calls the simulator answered across all attempts (the uninterrupted baseline not counted). */
  readonly paid: number;
  /** Distinct prompts answered more than once. */
  readonly paidTwice: number;
  readonly finalExitCode: number | null;
}

/** Columns that legitimately differ between an interrupted and an uninterrupted run. */
export const TIMING_COLUMNS = ['_latency_ms', '_finished_at', '_cached', '_provider_request_id'];

export async function killDrill(options: DrillOptions): Promise<DrillReport> {
  const log = options.log ?? (() => undefined);
  const random = mulberry32(options.seed);
  const dir = tempDir('kill-drill');
  const input = await writeReviewsCsv(join(dir, 'reviews.csv'), options.rows);
  const sim = await startSim({ port: 0, latencyMs: options.latencyMs ?? 10 });
  try {
    const args = (out: string, concurrency: number) => [
      'run',
      input,
      '-p',
      'Summarise in five words: {{text}}',
      '-s',
      '{"type":"object","properties":{"summary":{"type":"string","maxLength":60},"rating":{"type":"integer"}},"required":["summary","rating"],"additionalProperties":false}',
      '-m',
      'openai:gpt-4o-mini',
      '--base-url',
      `${sim.url}/v1`,
      '-o',
      out,
      '--concurrency',
      String(concurrency),
    ];
    const baselineOut = join(dir, 'baseline.parquet');
    const baseline = await runCli(args(baselineOut, 256), { LLMAP_CACHE_DIR: join(dir, 'baseline-cache') });
    if (baseline.code !== 0) throw new Error(`baseline run failed: ${baseline.stderr}`);
    log(`baseline: ${options.rows} rows, uninterrupted`);
    sim.resetStats();

    const out = join(dir, 'out.parquet');
    const cacheDir = join(dir, 'cache');
    const env = { LLMAP_CACHE_DIR: cacheDir };
    const runArgs = args(out, options.concurrency ?? 32);
    const kills: KillRecord[] = [];
    let durable = 0;
    let paidBefore = 0;
    let finalExitCode: number | null = null;
    while (finalExitCode === null) {
      const remaining = options.rows - durable;
      const running = startCli(runArgs, env);
      let exited = false;
      void running.done.then(() => (exited = true));
      if (kills.length < options.kills) {
        // A random moment: after a random share of what a fair split of the remaining rows would take.
        const target = paidBefore + Math.floor(random() * ((2 * remaining) / (options.kills - kills.length + 1)));
        while (!exited && paid(sim) < target) await sleep(2);
        if (!exited) {
          running.child.kill('SIGKILL');
          await running.done;
          // Requests sent before the kill are answered by the simulator (and counted) after their latency.
          await sleep((options.latencyMs ?? 10) + 50);
          const now = durableAnswers(cacheDir);
          const paidNow = paid(sim);
          const status = await readRunStatus(defaultStateDir(out));
          const record = {
            paid: paidNow - paidBefore,
            inFlight: paidNow - paidBefore - (now - durable),
            recorded: status.counts.entries,
            activity: status.activity,
          };
          kills.push(record);
          log(
            `kill ${kills.length}: ${record.paid} calls paid, ${record.inFlight} in flight, ${record.recorded} rows recorded`,
          );
          durable = now;
          paidBefore = paidNow;
          continue;
        }
      }
      const result = await running.done;
      finalExitCode = result.code;
      log(`final run: exit ${result.code}`);
    }

    const expected = await comparableRows(baselineOut);
    const actual = await comparableRows(out);
    const differences: string[] = [];
    if (actual.length !== expected.length) differences.push(`${actual.length} rows, expected ${expected.length}`);
    for (let i = 0; i < Math.min(actual.length, expected.length) && differences.length < 5; i++) {
      if (JSON.stringify(actual[i]) !== JSON.stringify(expected[i])) {
        differences.push(`row ${i}: ${JSON.stringify(actual[i])} != ${JSON.stringify(expected[i])}`);
      }
    }
    const stats = sim.stats();
    return {
      rows: options.rows,
      kills,
      outputRows: actual.length,
      differences,
      paid: paid(sim),
      paidTwice: stats.prompts.answeredMoreThanOnce,
      finalExitCode,
    };
  } finally {
    await sim.close();
  }
}

function paid(sim: { stats(): { byStatus: Readonly<Record<string, number>> } }): number {
  return sim.stats().byStatus['200'] ?? 0;
}

/** Answers durably in the response cache (each prompt of the drill is distinct, so one per paid row). */
function durableAnswers(cacheDir: string): number {
  const db = new Database(join(cacheDir, 'responses.sqlite'));
  try {
    return Number(db.prepare('SELECT count(*) FROM responses').pluck().get());
  } catch {
    return 0;
  } finally {
    db.close();
  }
}

async function comparableRows(path: string): Promise<Record<string, unknown>[]> {
  const rows = await readRows(path);
  for (const row of rows) for (const column of TIMING_COLUMNS) delete row[column];
  return rows;
}

/** A small seeded PRNG (Mulberry32): the same seed gives the same kill moments. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
