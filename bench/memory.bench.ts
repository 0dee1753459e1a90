// S5 memory: peak RSS of `llmap run` at 100,000 and 1,000,000 rows against `llmap sim` (latency 0). Memory must
// not grow with the table: the 1,000,000-row peak should stay within 1.5× of the 100,000-row peak.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, measureNode, reviewsTable, startSimProcess } from './bench-helpers.js';

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: { sentiment: { type: 'string', enum: ['positive', 'negative'] }, score: { type: 'number' } },
  required: ['sentiment', 'score'],
});

export async function memoryBench(sizes: readonly number[] = [100_000, 1_000_000]): Promise<string[]> {
  const lines: string[] = [];
  const sim = await startSimProcess();
  try {
    const results: { rows: number; peak: number; seconds: number; cpu: number }[] = [];
    for (const rows of sizes) {
      const input = await reviewsTable(rows);
      const out = join(import.meta.dirname, `../../bench/results/memory-${rows}.parquet`);
      // Every request is asked: no run state, no cached answers from an earlier invocation.
      const cacheDir = join(import.meta.dirname, `../../bench/results/cache-memory`);
      rmSync(cacheDir, { recursive: true, force: true });
      const run = await measureNode(CLI, [
        'run',
        input,
        '-p',
        'Review: {{text}}',
        '-s',
        SCHEMA,
        '-m',
        'openai:m',
        '--base-url',
        `${sim.url}/v1`,
        '-o',
        out,
        '--fresh',
        '--cache-dir',
        cacheDir,
      ]);
      if (run.code !== 0) throw new Error(`llmap run failed (${run.code}): ${run.stderr}`);
      results.push({ rows, peak: run.peakRssMiB, seconds: run.seconds, cpu: run.cpuSeconds });
      lines.push(
        `S5 memory  ${rows.toLocaleString('en-US').padStart(9)} rows: peak RSS ${run.peakRssMiB.toFixed(0)} MiB, ` +
          `${run.seconds.toFixed(1)} s (${Math.round(rows / run.seconds).toLocaleString('en-US')} rows/s), ` +
          `llmap CPU ${((run.cpuSeconds * 1000) / rows).toFixed(3)} ms/row`,
      );
    }
    if (results.length === 2) {
      const ratio = results[1]!.peak / results[0]!.peak;
      lines.push(
        `S5 memory  peak RSS ratio ${results[1]!.rows.toLocaleString('en-US')} / ${results[0]!.rows.toLocaleString('en-US')} rows: ${ratio.toFixed(2)}× (target ≤ 1.5×)`,
      );
    }
  } finally {
    await sim.stop();
  }
  return lines;
}
