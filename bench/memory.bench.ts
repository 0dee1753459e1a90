// S5 memory: peak RSS of `llmap run` at 100,000 and 1,000,000 rows against `llmap sim` (latency 0). Memory must
// not grow with the table: the 1,000,000-row peak should stay within 1.5× of the 100,000-row peak. Two jobs:
// short reviews with a two-field answer, and the README's triage job (tickets, an answer with a `tags` list) to
// Parquet, whose final write ran out of DuckDB's memory before its size was taken from the rows' widths.
// `npm run bench -- memory-shapes` measures two more shapes: an array of objects, and 1,536-float vectors.

import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLI, measureNode, reviewsTable, startSimProcess, ticketsTable, type SimProcess } from './bench-helpers.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples');

const REVIEW_SCHEMA = JSON.stringify({
  type: 'object',
  properties: { sentiment: { type: 'string', enum: ['positive', 'negative'] }, score: { type: 'number' } },
  required: ['sentiment', 'score'],
});

const ENTITY_SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    entities: {
      type: 'array',
      maxItems: 6,
      items: {
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 40 },
          kind: { type: 'string', enum: ['person', 'product', 'place', 'company'] },
          start: { type: 'integer' },
          end: { type: 'integer' },
        },
        required: ['name', 'kind', 'start', 'end'],
        additionalProperties: false,
      },
    },
    language: { type: 'string', enum: ['en', 'de', 'fr', 'es'] },
  },
  required: ['entities', 'language'],
  additionalProperties: false,
});

/** One job measured at several sizes: the table, and the command's arguments after the input. */
interface MemoryJob {
  readonly name: string;
  readonly table: (rows: number) => Promise<string>;
  readonly command?: 'run' | 'embed';
  readonly args: readonly string[];
  readonly model: string;
  /** The output's format. @default 'parquet' */
  readonly extension?: 'parquet' | 'jsonl' | 'csv';
}

const JOBS: Record<string, MemoryJob> = {
  reviews: {
    name: 'reviews',
    table: reviewsTable,
    args: ['-p', 'Review: {{text}}', '-s', REVIEW_SCHEMA],
    model: 'openai:m',
  },
  triage: {
    name: 'triage Parquet',
    table: ticketsTable,
    args: ['-p', join(EXAMPLES, 'triage.md'), '-s', join(EXAMPLES, 'triage.schema.json')],
    model: 'openai:gpt-4o-mini',
  },
  triageJsonl: {
    name: 'triage JSONL',
    table: ticketsTable,
    args: ['-p', join(EXAMPLES, 'triage.md'), '-s', join(EXAMPLES, 'triage.schema.json')],
    model: 'openai:gpt-4o-mini',
    extension: 'jsonl',
  },
  triageCsv: {
    name: 'triage CSV',
    table: ticketsTable,
    args: ['-p', join(EXAMPLES, 'triage.md'), '-s', join(EXAMPLES, 'triage.schema.json')],
    model: 'openai:gpt-4o-mini',
    extension: 'csv',
  },
  entities: {
    name: 'entities Parquet',
    table: ticketsTable,
    args: ['-p', 'Name the entities of this ticket: {{body}}', '-s', ENTITY_SCHEMA],
    model: 'openai:gpt-4o-mini',
  },
  vectors: {
    name: '1,536-float vectors',
    table: ticketsTable,
    command: 'embed',
    args: ['--column', 'body'],
    model: 'openai:text-embedding-3-small',
  },
};

export async function memoryBench(sizes: readonly number[] = [100_000, 1_000_000]): Promise<string[]> {
  return measureJobs([JOBS['reviews']!, JOBS['triage']!], sizes);
}

/**
 * The other shapes: an array of objects at 100,000 and 1,000,000 rows; 1,536-float vectors at 100,000 and 300,000
 * (1,000,000 vectors take about 55 GB of disk while the output is written: 31 GB of staged JSON, 16 GB of run state
 * and cache, 6 GB of Parquet).
 */
export async function memoryShapesBench(): Promise<string[]> {
  return [
    ...(await measureJobs([JOBS['entities']!], [100_000, 1_000_000])),
    ...(await measureJobs([JOBS['vectors']!], [100_000, 300_000])),
  ];
}

/** The README's triage job (its `tags` list) to JSONL and to CSV (the list as JSON text), at 100,000 and 1,000,000
 * rows: the writer's plan and retry are the same as Parquet's, its memory is per chunk rather than per row group. */
export async function memoryFormatsBench(): Promise<string[]> {
  return measureJobs([JOBS['triageJsonl']!, JOBS['triageCsv']!], [100_000, 1_000_000]);
}

async function measureJobs(jobs: readonly MemoryJob[], sizes: readonly number[]): Promise<string[]> {
  const lines: string[] = [];
  const sim = await startSimProcess();
  try {
    for (const job of jobs) {
      const peaks: number[] = [];
      for (const rows of sizes) {
        const run = await measureRun(sim, job, rows);
        peaks.push(run.peakRssMiB);
        lines.push(
          `S5 memory  ${job.name} ${rows.toLocaleString('en-US').padStart(9)} rows: peak RSS ${run.peakRssMiB.toFixed(0)} MiB, ` +
            `${run.seconds.toFixed(1)} s (${Math.round(rows / run.seconds).toLocaleString('en-US')} rows/s), ` +
            `llmap CPU ${((run.cpuSeconds * 1000) / rows).toFixed(3)} ms/row`,
        );
      }
      if (sizes.length === 2) {
        lines.push(
          `S5 memory  ${job.name} peak RSS ratio ${sizes[1]!.toLocaleString('en-US')} / ` +
            `${sizes[0]!.toLocaleString('en-US')} rows: ${(peaks[1]! / peaks[0]!).toFixed(2)}× (target ≤ 1.5×)`,
        );
      }
    }
  } finally {
    await sim.stop();
  }
  return lines;
}

async function measureRun(sim: SimProcess, job: MemoryJob, rows: number) {
  const input = await job.table(rows);
  const results = join(import.meta.dirname, '../../bench/results');
  const file = `memory-${job.name.replace(/\W+/g, '-')}-${rows}.${job.extension ?? 'parquet'}`;
  const out = join(results, file);
  // Every request is asked: no run state, no cached answers from an earlier invocation.
  const cacheDir = join(results, 'cache-memory');
  rmSync(cacheDir, { recursive: true, force: true });
  const run = await measureNode(CLI, [
    job.command ?? 'run',
    input,
    ...job.args,
    '-m',
    job.model,
    '--base-url',
    `${sim.url}/v1`,
    '-o',
    out,
    '--fresh',
    '--cache-dir',
    cacheDir,
  ]);
  if (run.code !== 0) throw new Error(`llmap ${job.command ?? 'run'} failed (${run.code}): ${run.stderr}`);
  // What a run leaves is gigabytes at these sizes: the figures are kept, the files are not.
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(join(results, '.llmap', file), {
    recursive: true,
    force: true,
  });
  rmSync(out, { force: true });
  return run;
}
