// `npm run soak [-- ROWS]`: a long job under everything that goes wrong at once, checked against a clean run. Not part
// of `npm test` or `npm run bench`.
//
// ROWS rows (default 1,000,000) with a schema that has a list column go to `llmap sim` with a rate limit as the
// providers document it, 1% server errors, cut-off bodies, requests that never answer, and two outages (one refusing
// connections, one answering 503). The run is killed with SIGKILL three times and started again with the same command
// until it finishes. A second simulator, without limits or faults, answers the same job once more from scratch. The
// two outputs must hold every row exactly once, in input order, with the same answers; the faulty simulator's count
// of prompts answered twice is what the kills cost (requests in flight when the process died, asked again).

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDuckDB, sqlString } from '../src/table/duckdb.js';
import type { SimStats } from '../src/sim/sim-stats.js';
import { CLI, startSimProcess, type SimProcess } from './bench-helpers.js';
import { RESULTS_DIR, reviewsJsonl } from './review-job.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const KILLS = 3;
const SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'neutral', 'negative'] },
    score: { type: 'integer', minimum: 1, maximum: 5 },
    tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
  },
  required: ['sentiment', 'score', 'tags'],
});
// 180,000 requests a minute: 3,000 a second, below what llmap and the simulator manage together on two cores, so the
// limit binds. Outages are counted from the simulator's first request.
const FAULTY_SIM = [
  '--latency-ms',
  '20',
  '--jitter-ms',
  '10',
  '--rpm',
  '180000',
  '--error-rate',
  '0.01',
  '--truncate-rate',
  '0.002',
  '--timeout-rate',
  '0.0005',
  '--seed',
  '7',
  '--outage',
  '40:20',
  '--outage',
  '150:30:503',
];

const dir = join(RESULTS_DIR, 'soak');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const input = reviewsJsonl(ROWS);
const log = (line: string) => process.stderr.write(`soak: ${line}\n`);

function runArgs(sim: SimProcess, out: string, cacheDir: string): string[] {
  return [
    'run',
    input,
    '-p',
    'Classify this review: {{text}}',
    '-s',
    SCHEMA,
    '-m',
    'openai:gpt-4o-mini',
    '--base-url',
    `${sim.url}/v1`,
    '-o',
    out,
    '--cache-dir',
    cacheDir,
    '--timeout',
    '5',
    '--json',
  ];
}

/** The simulator's stats; during an outage that refuses connections, /stats is down too, so it waits it out. */
async function stats(sim: SimProcess): Promise<SimStats> {
  for (;;) {
    try {
      return (await (await fetch(`${sim.url}/stats`)).json()) as SimStats;
    } catch {
      await sleep(500);
    }
  }
}

function start(args: readonly string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string }>;
} {
  const child = spawn(CLI, [...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const done = once(child, 'close').then(([code]) => ({ code: code as number | null, stdout }));
  return { child, done };
}

/** The faulty run: killed when the simulator has answered these shares of the rows, then run again to the end. */
async function faultyRun(sim: SimProcess, out: string): Promise<{ runs: number; seconds: number; summary: unknown }> {
  const started = performance.now();
  const killAt = Array.from({ length: KILLS }, (_, i) => Math.round((ROWS * (i + 1)) / (KILLS + 1)));
  let runs = 0;
  for (;;) {
    runs++;
    const run = start(runArgs(sim, out, join(dir, 'cache-faulty')));
    const target = killAt.shift();
    if (target !== undefined) {
      let ended = false;
      void run.done.then(() => (ended = true));
      while (!ended && ((await stats(sim)).byStatus['200'] ?? 0) < target) await sleep(200);
      if (!ended) {
        run.child.kill('SIGKILL');
        await run.done;
        log(`run ${runs} killed with SIGKILL after ${target.toLocaleString('en-US')} answers`);
        continue;
      }
    }
    const { code, stdout } = await run.done;
    if (code !== 0 && code !== 1) throw new Error(`run ${runs} exited ${code}`);
    return { runs, seconds: (performance.now() - started) / 1000, summary: JSON.parse(stdout) as unknown };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function compare(faulty: string, clean: string): Promise<Record<string, number>> {
  const db = await openDuckDB();
  try {
    const [a, b] = [sqlString(faulty), sqlString(clean)];
    const one = async (sql: string) => Number((await db.connection.runAndReadAll(sql)).getRows()[0]![0]);
    const numbered = (file: string) => `(SELECT row_number() OVER () AS position, * FROM ${file})`;
    return {
      faultyRows: await one(`SELECT count(*) FROM ${a}`),
      cleanRows: await one(`SELECT count(*) FROM ${b}`),
      faultyDistinctIds: await one(`SELECT count(DISTINCT _row_id) FROM ${a}`),
      notOk: await one(`SELECT count(*) FROM ${a} WHERE _status <> 'ok'`),
      // Same row at the same position, with the same answer.
      differing: await one(
        `SELECT count(*) FROM ${numbered(a)} f FULL JOIN ${numbered(b)} c USING (position)
         WHERE f._row_id IS DISTINCT FROM c._row_id OR f.sentiment IS DISTINCT FROM c.sentiment
            OR f.score IS DISTINCT FROM c.score OR f.tags IS DISTINCT FROM c.tags OR f._status IS DISTINCT FROM c._status`,
      ),
    };
  } finally {
    db.close();
  }
}

const faultySim = await startSimProcess(FAULTY_SIM);
let faulty;
let faultyStats;
try {
  log(`${ROWS.toLocaleString('en-US')} rows against a faulty simulator (${FAULTY_SIM.join(' ')}), ${KILLS} kills`);
  faulty = await faultyRun(faultySim, join(dir, 'faulty.parquet'));
  faultyStats = await stats(faultySim);
} finally {
  await faultySim.stop();
}
log(`faulty run done in ${faulty.seconds.toFixed(0)} s over ${faulty.runs} runs; now the clean run`);
const cleanSim = await startSimProcess(['--latency-ms', '5']);
const cleanStarted = performance.now();
try {
  const clean = start(runArgs(cleanSim, join(dir, 'clean.parquet'), join(dir, 'cache-clean')));
  const { code } = await clean.done;
  if (code !== 0) throw new Error(`clean run exited ${code}`);
} finally {
  await cleanSim.stop();
}
const cleanSeconds = (performance.now() - cleanStarted) / 1000;
const result = await compare(join(dir, 'faulty.parquet'), join(dir, 'clean.parquet'));
const every = result['faultyRows'] === ROWS && result['cleanRows'] === ROWS && result['faultyDistinctIds'] === ROWS;
const identical = every && result['differing'] === 0 && result['notOk'] === 0;
console.log(
  [
    `soak: ${ROWS.toLocaleString('en-US')} rows, ${KILLS} × SIGKILL, rate limit, 1% 5xx, cut bodies, timeouts, 2 outages`,
    `  faulty run: ${faulty.seconds.toFixed(0)} s in ${faulty.runs} runs; clean run ${cleanSeconds.toFixed(0)} s`,
    `  simulator: ${faultyStats.requests.toLocaleString('en-US')} requests · ` +
      Object.entries(faultyStats.byStatus)
        .map(([status, n]) => `${status} ${n.toLocaleString('en-US')}`)
        .join(' · '),
    `  rows: ${result['faultyRows']!.toLocaleString('en-US')} written, ${result['faultyDistinctIds']!.toLocaleString('en-US')} distinct, ` +
      `${result['notOk']!.toLocaleString('en-US')} not ok, ${result['differing']!.toLocaleString('en-US')} differ from the clean run`,
    `  paid duplicates (prompts answered 200 more than once): ${faultyStats.prompts.answeredMoreThanOnce.toLocaleString('en-US')}`,
    `  every row exactly once and identical to a clean run: ${identical ? '✓' : '✗'}`,
  ].join('\n'),
);
process.exit(identical ? 0 : 1);
