// Issue 4's throughput benchmark: llmap against the script a TypeScript user would write (the openai SDK with
// p-limit, bench/baseline/openai-plimit.ts), the same job on the same table against `llmap sim`, in four
// scenarios. Each run gets a simulator process of its own (fresh rate-limit window, stats and fault sequence, so
// both tools meet the same faults) and a fresh temporary directory for its output and response cache (nothing is
// answered from an earlier run). Targets are reported, never asserted.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimStats } from '../src/sim/sim-stats.js';
import { CLI, measureNode, startSimProcess, type MeasuredRun } from './bench-helpers.js';
import {
  baselineAnswer,
  judgeOutput,
  llmapAnswer,
  longReviewsJsonl,
  reviewsJsonl,
  type AnswerOf,
  type Outcome,
} from './review-job.js';
import { REVIEW_PROMPT_PREFIX, REVIEW_SCHEMA } from './review-schema.js';

const ROWS = 5_000;
// Raw overhead and latency hiding are steady-state figures: with 5,000 rows half a second of process start-up
// (Node, DuckDB, SQLite) is a quarter of llmap's S1 run. More rows let the per-row cost show.
const S1_ROWS = 20_000;
const S2_ROWS = 20_000;
// At 100 requests/s a 5,000-row run takes 50 s, and S3 makes three of them; 3,000 rows (30 s) keep the start-up
// small against the whole while saving a minute and a half.
const S3_ROWS = 3_000;
// The token-bound S3: long reviews (about 800 words, some 1,100 tokens each) against a tokens-per-minute limit that
// admits about 18 of them a second, for some 35 s.
const S3T_ROWS = 600;
const S3T_WORDS = 800;
const S3T_TPM = 1_200_000;
// S6: S2's job (so S2's llmap run is the same job without the outage) with the provider down for 60 s from 8 s
// after its first request.
const S6_OUTAGE_S = 60;
/** llmap's default maximum of requests in flight: the ideal of S2 is computed from it (no --concurrency given). */
const LLMAP_DEFAULT_CONCURRENCY = 256;
const BASELINE_CONCURRENCY = 100;
const S2_MEAN_LATENCY_S = 0.3;
const S3_LIMIT_PER_S = 100;

type ScenarioId = 'S1' | 'S2' | 'S3' | 'S3t' | 'S4' | 'S6';

interface Scenario {
  readonly id: ScenarioId;
  readonly rows: number;
  readonly simArgs: readonly string[];
  /** The input table (default: short reviews). */
  readonly input?: () => string;
}

const SCENARIOS: readonly Scenario[] = [
  { id: 'S1', rows: S1_ROWS, simArgs: [] },
  { id: 'S2', rows: S2_ROWS, simArgs: ['--latency-ms', '300', '--jitter-ms', '100'] },
  // The simulator's documented model: quoted per minute, enforced per second, refused requests counted.
  { id: 'S3', rows: S3_ROWS, simArgs: ['--latency-ms', '50', '--rpm', String(S3_LIMIT_PER_S * 60)] },
  {
    id: 'S3t',
    rows: S3T_ROWS,
    simArgs: ['--latency-ms', '50', '--tpm', String(S3T_TPM)],
    input: () => longReviewsJsonl(S3T_ROWS, S3T_WORDS),
  },
  {
    id: 'S4',
    rows: ROWS,
    simArgs: ['--latency-ms', '20', '--error-rate', '0.05', '--malformed-rate', '0.02', '--seed', '1'],
  },
  {
    id: 'S6',
    rows: S2_ROWS,
    simArgs: ['--latency-ms', '300', '--jitter-ms', '100', '--outage', `8:${S6_OUTAGE_S}`],
  },
];

interface Tool {
  readonly name: string;
  readonly family: 'llmap' | 'baseline';
  readonly concurrency: number;
  readonly script: string;
  args(input: string, out: string, simUrl: string, workDir: string): string[];
  readonly answerOf: AnswerOf;
}

function llmapTool(name: string, extra: readonly string[] = []): Tool {
  return {
    name,
    family: 'llmap',
    concurrency: LLMAP_DEFAULT_CONCURRENCY,
    script: CLI,
    args: (input, out, simUrl, workDir) => [
      'run',
      input,
      '-p',
      `${REVIEW_PROMPT_PREFIX}{{text}}`,
      '-s',
      JSON.stringify(REVIEW_SCHEMA),
      '-m',
      'openai:gpt-4o-mini',
      '--base-url',
      `${simUrl}/v1`,
      '-o',
      out,
      '--fresh',
      '--cache-dir',
      join(workDir, 'cache'),
      ...extra,
    ],
    answerOf: llmapAnswer,
  };
}

const BASELINE: Tool = {
  name: 'openai+p-limit',
  family: 'baseline',
  concurrency: BASELINE_CONCURRENCY,
  script: join(import.meta.dirname, 'baseline/openai-plimit.js'),
  args: (input, out, simUrl) => [input, out, `${simUrl}/v1`, String(BASELINE_CONCURRENCY)],
  answerOf: baselineAnswer,
};

/** The tools each scenario runs; S3 runs llmap twice, with the limit given and left to learn from headers. */
function toolsFor(scenario: Scenario): Tool[] {
  if (scenario.id !== 'S3') return [llmapTool(scenario.id === 'S3t' ? 'llmap (learned)' : 'llmap'), BASELINE];
  return [llmapTool('llmap --rpm 6000', ['--rpm', '6000']), llmapTool('llmap (learned)'), BASELINE];
}

interface Result {
  readonly scenario: Scenario;
  readonly tool: Tool;
  readonly run: MeasuredRun;
  readonly stats: SimStats;
  readonly outcome: Outcome;
}

async function runTool(scenario: Scenario, tool: Tool): Promise<Result> {
  process.stderr.write(`throughput: ${scenario.id} ${tool.name} (${scenario.rows.toLocaleString('en-US')} rows)…\n`);
  const input = scenario.input?.() ?? reviewsJsonl(scenario.rows);
  const workDir = mkdtempSync(join(tmpdir(), 'llmap-bench-'));
  const sim = await startSimProcess(scenario.simArgs);
  try {
    const out = join(workDir, 'out.jsonl');
    const run = await measureNode(tool.script, tool.args(input, out, sim.url, workDir));
    const stats = (await (await fetch(`${sim.url}/stats`)).json()) as SimStats;
    return { scenario, tool, run, stats, outcome: judgeOutput(scenario.rows, out, tool.answerOf) };
  } finally {
    await sim.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

// Figures derived from a result. Rows/s counts answered rows only (a tool that fails rows fast is not fast), over
// the whole process, start-up included.

const answered = (r: Result) => r.scenario.rows - r.outcome.lost;
const rate = (r: Result) => answered(r) / r.run.seconds;
const cpuSecondsPerRow = (r: Result) => r.run.cpuSeconds / r.scenario.rows;
const status = (r: Result, code: string) => r.stats.byStatus[code] ?? 0;
/** Calls answered 200 beyond one per row: retries of a broken answer, repair turns, duplicates. */
const extraPaid = (r: Result) => status(r, '200') - r.scenario.rows;
/** A tool's exit codes for a finished run: llmap exits 1 when some rows failed, which S3 and S4 provoke. */
const finished = (r: Result) => r.run.code === 0 || r.run.code === 1;

const idealRate = (r: Result) => r.tool.concurrency / S2_MEAN_LATENCY_S;
/** 1 / CPU seconds per row of the same tool in S1: the rate one core allows. */
function cpuBoundRate(r: Result, all: readonly Result[]): number | undefined {
  const s1 = all.find((other) => other.scenario.id === 'S1' && other.tool.family === r.tool.family);
  return s1 && finished(s1) && s1.run.cpuSeconds > 0 ? 1 / cpuSecondsPerRow(s1) : undefined;
}

// The table: one line per run.

const HEADERS = [
  'scen',
  'tool',
  'rows',
  's',
  'rows/s',
  'CPU ms/row',
  'requests',
  '200s',
  '429s',
  'lost',
  'correct',
  'broken ok',
  'extra paid',
  'of ideal',
  'of CPU bd',
  'of limit',
  'incl start',
  'note',
];

/**
 * The share of the limit a run used: requests (S3) or tokens (S3t) per second, from the tool's first request to its
 * exit (its start-up, before anything can be rate-limited, left out), or with `process` over the whole process.
 */
function ofLimit(r: Result, process = false): number | undefined {
  const startUp = r.stats.firstRequestAtMs > 0 ? (r.stats.firstRequestAtMs - r.run.startedAtMs) / 1000 : 0;
  const seconds = process ? r.run.seconds : r.run.seconds - Math.max(0, startUp);
  if (r.scenario.id === 'S3') return answered(r) / seconds / S3_LIMIT_PER_S;
  if (r.scenario.id === 'S3t') return (r.stats.charged['tokens'] ?? 0) / seconds / (S3T_TPM / 60);
  return undefined;
}

function tableRow(r: Result, all: readonly Result[]): string[] {
  const s2 = r.scenario.id === 'S2';
  const cpuBound = s2 ? cpuBoundRate(r, all) : undefined;
  return [
    r.scenario.id,
    r.tool.name,
    count(r.scenario.rows),
    r.run.seconds.toFixed(1),
    count(Math.round(rate(r))),
    (cpuSecondsPerRow(r) * 1000).toFixed(3),
    count(r.stats.requests),
    count(status(r, '200')),
    count(status(r, '429')),
    count(r.outcome.lost),
    count(r.outcome.correct),
    count(r.outcome.brokenOk),
    count(extraPaid(r)),
    s2 ? fraction(rate(r) / idealRate(r)) : '',
    cpuBound === undefined ? '' : fraction(rate(r) / cpuBound),
    fraction(ofLimit(r) ?? Number.NaN).replace('—', ''),
    fraction(ofLimit(r, true) ?? Number.NaN).replace('—', ''),
    note(r),
  ];
}

function note(r: Result): string {
  if (!finished(r)) return `exit ${r.run.code}: ${lastLine(r.run.stderr)}`;
  if (r.scenario.id === 'S4') return `${count(r.stats.faults.malformed)} malformed, ${count(r.stats.faults.error)} 5xx`;
  return '';
}

function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths = HEADERS.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0)));
  // Text columns (scenario, tool, note) read left to right; figures line up on the right.
  const left = new Set([0, 1, HEADERS.length - 1]);
  return rows.map((row) =>
    row
      .map((cell, i) => (left.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

// The summary: llmap/baseline ratios and the targets, one line per scenario.

function summaries(all: readonly Result[]): string[] {
  const of = (id: ScenarioId) => all.filter((r) => r.scenario.id === id);
  return [
    ...summaryS1(of('S1')),
    ...summaryS2(of('S2'), all),
    ...summaryS3(of('S3'), 'S3 request limit   '),
    ...summaryS3(of('S3t'), 'S3t token limit    '),
    ...summaryS4(of('S4')),
    ...summaryS6(of('S6'), of('S2')),
  ];
}

function split(results: readonly Result[]): { llmap: Result[]; baseline: Result | undefined } {
  return {
    llmap: results.filter((r) => r.tool.family === 'llmap'),
    baseline: results.find((r) => r.tool.family === 'baseline'),
  };
}

function summaryS1(results: readonly Result[]): string[] {
  const { llmap, baseline } = split(results);
  const [first] = llmap;
  if (!first || !baseline) return [];
  const speedup = rate(first) / rate(baseline);
  return [
    `S1 raw overhead     llmap/baseline rows/s ${times(speedup)}, CPU per row ${times(cpuSecondsPerRow(first) / cpuSecondsPerRow(baseline))}` +
      `  target rows/s ≥ 3× baseline ${mark(finished(first) && speedup >= 3)}`,
  ];
}

function summaryS2(results: readonly Result[], all: readonly Result[]): string[] {
  const { llmap, baseline } = split(results);
  const [first] = llmap;
  if (!first || !baseline) return [];
  const fractions = (r: Result) => {
    const cpuBound = cpuBoundRate(r, all);
    const ofIdeal = rate(r) / idealRate(r);
    const ofCpu = cpuBound === undefined ? 0 : rate(r) / cpuBound;
    const text = `${fraction(ofIdeal)} of ideal (${count(Math.round(idealRate(r)))}/s), ${fraction(ofCpu)} of CPU bound (${cpuBound === undefined ? '?' : count(Math.round(cpuBound))}/s)`;
    return { best: Math.max(ofIdeal, ofCpu), text };
  };
  const mine = fractions(first);
  return [
    `S2 latency hiding   llmap ${mine.text}; baseline ${fractions(baseline).text}; llmap/baseline rows/s ${times(rate(first) / rate(baseline))}` +
      `  target ≥ 0.90 of ideal or CPU bound ${mark(finished(first) && mine.best >= 0.9)}`,
  ];
}

function summaryS3(results: readonly Result[], title: string): string[] {
  const { llmap, baseline } = split(results);
  if (!baseline) return [];
  const figures = (r: Result) => {
    const share429 = r.stats.requests === 0 ? 0 : status(r, '429') / r.stats.requests;
    const of = ofLimit(r) ?? 0;
    const met = finished(r) && of >= 0.97 && share429 <= 0.01 && r.outcome.lost === 0;
    const text =
      `${fraction(of)} of limit (${fraction(ofLimit(r, true) ?? 0)} with start-up), 429s ${percent(share429)} of ` +
      `requests, ${count(r.outcome.lost)} lost`;
    return { met, text };
  };
  const lines = [
    `${title} ${count(results[0]!.scenario.rows)} rows, limit quoted per minute and enforced per second, learned from headers unless given, measured from the first request to the exit; baseline ${figures(baseline).text}`,
  ];
  for (const r of llmap) {
    const mine = figures(r);
    const outcome = finished(r) ? mine.text : `did not finish (exit ${r.run.code}: ${lastLine(r.run.stderr)})`;
    lines.push(
      `${title.slice(0, 3).trimEnd().padEnd(5)}${r.tool.name.padEnd(18)}${outcome}; llmap/baseline rows/s ${times(rate(r) / rate(baseline))}` +
        `  target ≥ 0.97 of limit, 429s ≤ 1%, 0 lost ${mark(mine.met)}`,
    );
  }
  return lines;
}

/** S6: the time an outage cost beyond its own length, against S2 (the same job, no outage). */
function summaryS6(results: readonly Result[], clean: readonly Result[]): string[] {
  const { llmap, baseline } = split(results);
  const [first] = llmap;
  const [cleanRun] = split(clean).llmap;
  if (!first || !baseline) return [];
  const lost = cleanRun ? first.run.seconds - cleanRun.run.seconds - S6_OUTAGE_S : Number.NaN;
  return [
    `S6 outage           ${count(first.scenario.rows)} rows, provider down ${S6_OUTAGE_S} s mid-run: llmap ${count(first.outcome.lost)} failed/lost, ` +
      `${Number.isFinite(lost) ? lost.toFixed(1) : '?'} s lost beyond the outage (against S2's clean run); ` +
      `baseline ${count(baseline.outcome.lost)} failed/lost` +
      `  target 0 failed ${mark(finished(first) && first.outcome.lost === 0)}`,
  ];
}

function summaryS4(results: readonly Result[]): string[] {
  const { llmap, baseline } = split(results);
  const [first] = llmap;
  if (!first || !baseline) return [];
  const text = (r: Result) =>
    `${count(r.outcome.correct)} correct, ${count(r.outcome.lost)} failed/invalid, ${count(r.outcome.brokenOk)} broken marked ok, ` +
    `${count(extraPaid(r))} extra paid calls`;
  // llmap follows a malformed answer with a repair turn, a paid call the fault itself requires: extra paid calls
  // are read against the malformed count.
  const malformed = `${count(first.stats.faults.malformed)} malformed answers to llmap, ${count(baseline.stats.faults.malformed)} to the baseline`;
  return [
    `S4 faults           llmap ${text(first)}; baseline ${text(baseline)}; llmap/baseline correct ${times(first.outcome.correct / baseline.outcome.correct)} (${malformed})` +
      `  target no broken answer marked ok ${mark(finished(first) && first.outcome.brokenOk === 0)}`,
  ];
}

// Formatting.

const count = (n: number) => n.toLocaleString('en-US');
const fraction = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');
const times = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const mark = (met: boolean) => (met ? '✓' : '✗');
const lastLine = (text: string) => text.trim().split('\n').at(-1)?.slice(0, 80) ?? '';

/** Runs every scenario, or only those named (`S3`, `S3t`, …). */
export async function throughputBench(only: readonly string[] = []): Promise<string[]> {
  const results: Result[] = [];
  for (const scenario of SCENARIOS.filter((s) => only.length === 0 || only.includes(s.id))) {
    for (const tool of toolsFor(scenario)) results.push(await runTool(scenario, tool));
  }
  return [
    `throughput: llmap vs ${BASELINE.name} (concurrency ${BASELINE_CONCURRENCY}) against llmap sim; rows/s counts answered rows, start-up included`,
    ...formatTable([HEADERS, ...results.map((r) => tableRow(r, results))]),
    ...summaries(results),
  ];
}
