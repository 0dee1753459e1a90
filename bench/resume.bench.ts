// Re-runs: a completed 100,000-row job run again (answered from the run state), started over with --fresh
// (answered from the response cache), and replayed with --replay while the simulator is down (no connection can
// succeed). Rows/s is over the whole process, start-up included; the first, paying run is the baseline.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, measureNode, reviewsTable, startSimProcess, type MeasuredRun } from './bench-helpers.js';
import { readRows } from '../test/helpers.js';

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { sentiment: { type: 'string', enum: ['positive', 'negative'] }, score: { type: 'number' } },
  required: ['sentiment', 'score'],
});

export async function resumeBench(rows = 100_000): Promise<string[]> {
  const results = join(import.meta.dirname, '../../bench/results');
  const input = await reviewsTable(rows);
  const out = join(results, `resume-${rows}.parquet`);
  const cacheDir = join(results, 'cache-resume');
  rmSync(cacheDir, { recursive: true, force: true });
  const sim = await startSimProcess();
  const args = (...extra: string[]) =>
    ['run', input, '-p', 'Review: {{text}}', '-s', SCHEMA, '-m', 'openai:m', '--base-url', `${sim.url}/v1`].concat([
      '-o',
      out,
      '--cache-dir',
      cacheDir,
      ...extra,
    ]);
  const lines: string[] = [];
  const line = (label: string, run: MeasuredRun, baseline?: MeasuredRun) => {
    if (run.code !== 0) throw new Error(`${label} failed (${run.code}): ${run.stderr}`);
    const rate = rows / run.seconds;
    lines.push(
      `resume  ${label.padEnd(40)} ${run.seconds.toFixed(2).padStart(6)} s  ${Math.round(rate).toLocaleString('en-US').padStart(7)} rows/s` +
        `  CPU ${((run.cpuSeconds * 1e6) / rows).toFixed(0).padStart(3)} µs/row` +
        (baseline ? `  ${(baseline.seconds / run.seconds).toFixed(1)}× the paying run` : ''),
    );
  };
  let first: MeasuredRun;
  try {
    first = await measureNode(CLI, args('--fresh'));
    line(`first run, ${rows.toLocaleString('en-US')} rows asked`, first);
    line('same command again (run state)', await measureNode(CLI, args()), first);
    line('--fresh (response cache)', await measureNode(CLI, args('--fresh')), first);
  } finally {
    await sim.stop();
  }
  const replay = await measureNode(CLI, args('--replay'));
  line('--replay with the simulator down', replay, first);
  const replayed = await readRows(out);
  const ok = replayed.filter((row) => row['_status'] === 'ok' && row['_cached'] === true).length;
  lines.push(
    `resume  --replay wrote ${ok.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} rows ok from the cache, with no server to connect to`,
  );
  return lines;
}
