// The run report's cost, and the drift check's false alarms through the whole pipeline (issue 17).
//
// Cost: a job is run once (every row asked of the simulator), then re-run from its run state with and without the
// report (alternating, so both see the same machine state); the difference is what the report costs (the profile of
// every answer column, the review sample, the charts). A re-run is the cheapest run there is, so it shows the report
// at its largest share. Two shapes: the README's triage job (enums, a boolean, a list, free text) and a flat one
// (free-text answers), at LLMAP_BENCH_REPORT_ROWS rows (default 1,000,000).
//
// Drift: 21 days of 5,000 rows of one distribution through `llmap run` against the simulator (its oracle answers each
// row with its label), each day's report compared with the day before; the flagged statistics are counted against the
// 4.55% a 2σ test implies. LLMAP_BENCH_REPORT_ONLY=cost|drift runs one part.

import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeReviewsCsv, writeRiskDay, writeTicketsCsv } from '../test/helpers.js';
import { CLI, measureNode, startSimProcess, type MeasuredRun } from './bench-helpers.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function reportBench(): Promise<string[]> {
  const rows = Number(process.env['LLMAP_BENCH_REPORT_ROWS'] ?? 1_000_000);
  const only = process.env['LLMAP_BENCH_REPORT_ONLY'];
  const dir = resolve(import.meta.dirname, '../../bench/results/report');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const sim = await startSimProcess();
  try {
    const lines: string[] = [];
    // Each part's figures are printed as soon as it ends.
    if (only === undefined || only === 'cost') for (const line of await cost(dir, rows, sim.url)) console.log(line);
    if (only === undefined || only === 'drift') lines.push(...(await drift(dir, sim.url)));
    return lines;
  } finally {
    await sim.stop();
  }
}

async function cost(dir: string, rows: number, url: string): Promise<string[]> {
  const lines: string[] = [];
  const model = ['-m', 'openai:gpt-4o-mini', '--base-url', `${url}/v1`, '--cache-dir', join(dir, 'cache')];
  const root = resolve(import.meta.dirname, '../..');
  const shapes = [
    {
      name: 'triage',
      input: await writeTicketsCsv(join(dir, 'tickets.csv'), rows),
      job: ['-p', join(root, 'examples/triage.md'), '-s', join(root, 'examples/triage.schema.json')],
    },
    {
      name: 'flat',
      input: await writeReviewsCsv(join(dir, 'reviews.csv'), rows),
      job: ['-p', 'Summarise this review in one sentence: {{text}}'],
    },
  ];
  for (const shape of shapes) {
    const args = ['run', shape.input, ...shape.job, ...model, '-o', join(dir, `${shape.name}.parquet`)];
    const check = (run: MeasuredRun, what: string) => {
      if (run.code !== 0) throw new Error(`${shape.name} ${what} failed (${run.code}): ${run.stderr}`);
      return run;
    };
    check(await measureNode(CLI, [...args, '--no-report', '--concurrency', '256']), 'first run');
    const without: number[] = [];
    const withReport: number[] = [];
    for (let rep = 0; rep < 2; rep++) {
      without.push(check(await measureNode(CLI, [...args, '--no-report']), 're-run').seconds);
      withReport.push(check(await measureNode(CLI, args), 're-run with report').seconds);
    }
    const a = Math.min(...without);
    const b = Math.min(...withReport);
    // The report alone, as `llmap report` builds it again from the output (process start included).
    const alone = [];
    for (let rep = 0; rep < 2; rep++) {
      alone.push(check(await measureNode(CLI, ['report', join(dir, `${shape.name}.parquet`)]), 'report').seconds);
    }
    const label = `report ${shape.name.padEnd(6)} ${fmt(rows)} rows`;
    lines.push(
      `${label}: re-run from the run state ${a.toFixed(2)} s without the report, ${b.toFixed(2)} s with it ` +
        `(best of 2): the report costs ${(b - a).toFixed(2)} s, ${(b / a).toFixed(2)}× the run without it`,
      `${label}: llmap report alone ${Math.min(...alone).toFixed(2)} s (best of 2), ` +
        `${((Math.min(...alone) / a) * 100).toFixed(1)}% of the re-run`,
    );
  }
  return lines;
}

async function drift(dir: string, url: string): Promise<string[]> {
  const out = join(dir, 'risk.parquet');
  const model = ['-m', 'openai:gpt-4o-mini', '--base-url', `${url}/v1`, '--cache-dir', join(dir, 'drift-cache')];
  let tested = 0;
  let flagged = 0;
  let daysFlagged = 0;
  for (let day = 0; day <= 20; day++) {
    const { path: input, job } = await writeRiskDay(dir, day + 1000, 0.3);
    // --json: the summary's text (and its drift lines) on stderr, which the measurement keeps.
    const run = await measureNode(CLI, ['run', input, ...job, '-o', out, ...model, '--concurrency', '64', '--json']);
    if (run.code !== 0) throw new Error(`day ${day} failed (${run.code}): ${run.stderr}`);
    if (day === 0) continue;
    const none = /drift: none \((\d+) statistics/.exec(run.stderr);
    const some = /drift: (\d+) of (\d+) statistics moved/.exec(run.stderr);
    if (!none && !some) throw new Error(`day ${day}: no drift check in ${run.stderr}`);
    tested += Number(none?.[1] ?? some![2]);
    flagged += Number(some?.[1] ?? 0);
    if (some) daysFlagged++;
  }
  const expected = tested * 0.0455;
  return [
    `drift  20 reruns of one distribution (5,000 rows each, through llmap run and the simulator): ` +
      `${flagged} of ${tested} statistics flagged (${((flagged / tested) * 100).toFixed(1)}%; 2σ implies 4.55%, ` +
      `${expected.toFixed(1)} expected), ${daysFlagged} of 20 days with an alarm`,
  ];
}
