// `llmap sql` (issue 16). Two parts, each measured against a baseline in the same invocation:
// - overhead: on a 1,000,000-row table, the same query without an LLM function (DuckDB alone, the baseline), with
//   `llm()` re-run (every call answered by the run state: what the call book and the runs of the query cost), and
//   the first, paying run; beside `llmap run` over the same rows. Two shapes: 1,000 distinct prompts (a flat label
//   job) and 100,000 distinct prompts through `llm_json` with a nested schema (lists, objects), which overflows the
//   call book's memory cache into its SQLite file.
// - postgres: 1,000,000 rows read from a real PostgreSQL table and 1,000,000 answers written to one, killed with -9
//   mid-COPY and resumed (the target must hold exactly 1,000,000 rows), beside the same query over Parquet.
// `LLMAP_BENCH_SQL_ROWS` changes the table size; `LLMAP_BENCH_SQL_ONLY=overhead|postgres` runs one part.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startPostgres } from '../src/store/postgres/pg-server.test.util.js';
import { duckdbRows, duckdbRun } from '../test/helpers.js';
import { CLI, measureNode, startSimProcess, type MeasuredRun } from './bench-helpers.js';

const SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    category: { type: 'string', enum: ['billing', 'bug', 'account', 'other'] },
    tags: { type: 'array', items: { type: 'string' } },
    contact: {
      type: 'object',
      properties: { name: { type: 'string' }, emails: { type: 'array', items: { type: 'string' } } },
      required: ['name', 'emails'],
    },
  },
  required: ['category', 'tags', 'contact'],
  additionalProperties: false,
});

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function sqlBench(): Promise<string[]> {
  const rows = Number(process.env['LLMAP_BENCH_SQL_ROWS'] ?? 1_000_000);
  const only = process.env['LLMAP_BENCH_SQL_ONLY'];
  const dir = resolve(import.meta.dirname, '../../bench/results/sql');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  if (only === undefined || only === 'overhead') lines.push(...(await overhead(dir, rows)));
  if (only === undefined || only === 'postgres') lines.push(...(await postgres(dir, rows)));
  return lines;
}

/** A Parquet table of `rows` tickets whose bodies take `distinct` values (long, non-ASCII, some empty). */
async function tickets(path: string, rows: number, distinct: number): Promise<string> {
  await duckdbRun(
    `COPY (SELECT i AS id, CASE WHEN i % 97 = 0 THEN '' ELSE 'Ticket ' || (i % ${distinct}) || ' — la facture de ' || ` +
      `'Zoë est fausse, contact zoe@example.com ✓ ' || repeat('détail ', (i % ${distinct}) % 40) END AS body ` +
      `FROM range(${rows}) r(i)) TO '${path}' (FORMAT parquet)`,
  );
  return path;
}

async function overhead(dir: string, rows: number): Promise<string[]> {
  const sim = await startSimProcess();
  const lines: string[] = [];
  const model = ['-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`, '--cache-dir', join(dir, 'cache')];
  try {
    for (const [shape, distinct, call] of [
      ['flat', 1_000, `llm('Label: ' || body)`],
      ['nested', 100_000, `llm_json(body, schema := '${SCHEMA}')`],
    ] as const) {
      const input = await tickets(join(dir, `${shape}.parquet`), rows, distinct);
      const sql = (expression: string) => [
        'sql',
        `SELECT id, body, ${expression} AS a FROM '${input}'`,
        ...model,
        '-o',
        join(dir, `${shape}-out.parquet`),
        '--state',
        join(dir, `${shape}-state`),
      ];
      const label = (text: string) => `sql  ${shape.padEnd(6)} ${text.padEnd(58)}`;
      const report = (text: string, run: MeasuredRun, baseline?: MeasuredRun) => {
        if (run.code !== 0 && run.code !== 1) throw new Error(`${text} failed (${run.code}): ${run.stderr}`);
        lines.push(
          `${label(text)} ${run.seconds.toFixed(2).padStart(6)} s  ${fmt(rows / run.seconds).padStart(9)} rows/s  ` +
            `CPU ${((run.cpuSeconds * 1e6) / rows).toFixed(1).padStart(5)} µs/row  peak RSS ${fmt(run.peakRssMiB)} MiB` +
            (baseline ? `  ${(run.seconds / baseline.seconds).toFixed(2)}× the baseline` : ''),
        );
      };
      const plain = await measureNode(CLI, sql('upper(body)'));
      report(`no LLM function, upper(body) (baseline)`, plain);
      const first = await measureNode(CLI, sql(call));
      report(`${call.slice(0, 24)}…: first run, ${fmt(distinct)} distinct calls asked`, first, plain);
      const again = await measureNode(CLI, sql(call));
      report('the same query again (every call from the run state)', again, plain);
      lines.push(
        `${label('overhead of the LLM function on a re-run')} ${(again.seconds - plain.seconds).toFixed(2).padStart(6)} s  ` +
          `${(((again.seconds - plain.seconds) * 1e6) / rows).toFixed(2)} µs/row`,
      );
      // The same job row by row through `llmap run` (its prompt renders the same text), re-run from its state.
      const runArgs = ['run', input, '-p', shape === 'flat' ? 'Label: {{body}}' : '{{body}}', ...model];
      const runOut = ['-o', join(dir, `${shape}-run.parquet`), ...(shape === 'nested' ? ['-s', SCHEMA] : [])];
      const runFirst = await measureNode(CLI, [...runArgs, ...runOut]);
      report('llmap run, the same rows and prompts: first run', runFirst, plain);
      const runAgain = await measureNode(CLI, [...runArgs, ...runOut]);
      report('llmap run again (every row from the run state)', runAgain, plain);
      lines.push(
        `${label('llmap sql re-run vs llmap run re-run')} ${(runAgain.seconds / again.seconds).toFixed(1)}× faster`,
      );
    }
  } finally {
    await sim.stop();
  }
  return lines;
}

async function postgres(dir: string, rows: number): Promise<string[]> {
  const [pg, sim] = await Promise.all([startPostgres(), startSimProcess()]);
  const lines: string[] = [];
  try {
    await pg.query(
      `CREATE TABLE tickets AS SELECT i AS id, CASE WHEN i % 97 = 0 THEN '' ELSE 'Ticket ' || (i % 1000) || ` +
        `' — la facture de Zoë est fausse ✓' END AS body, (i % 3 = 0) AS vip, now() AS created ` +
        `FROM generate_series(1, ${rows}) i`,
    );
    const parquet = join(dir, 'pg-tickets.parquet');
    await duckdbRun(
      `COPY (SELECT range + 1 AS id, CASE WHEN (range + 1) % 97 = 0 THEN '' ELSE 'Ticket ' || ((range + 1) % 1000) || ` +
        `' — la facture de Zoë est fausse ✓' END AS body, ((range + 1) % 3 = 0) AS vip, now() AS created ` +
        `FROM range(${rows})) TO '${parquet}' (FORMAT parquet)`,
    );
    const model = ['-m', 'openai:gpt-4o-mini', '--base-url', `${sim.url}/v1`, '--cache-dir', join(dir, 'pg-cache')];
    const select = (from: string) => `SELECT id, body, vip, created, llm('Label: ' || body) AS label FROM ${from}`;
    const viaPg = [
      'sql',
      select('tickets'),
      '--attach',
      `tickets=${pg.url}`,
      ...model,
      '-o',
      `${pg.url}?table=labels`,
      '--state',
      join(dir, 'pg-state'),
    ];
    const viaParquet = [
      'sql',
      select(`'${parquet}'`),
      ...model,
      '-o',
      join(dir, 'pg-labels.parquet'),
      '--state',
      join(dir, 'parquet-state'),
    ];
    const report = (text: string, run: MeasuredRun, baseline?: MeasuredRun) => {
      if (run.code !== 0) throw new Error(`${text} failed (${run.code}): ${run.stderr}`);
      lines.push(
        `sql  postgres ${text.padEnd(62)} ${run.seconds.toFixed(2).padStart(6)} s  ${fmt(rows / run.seconds).padStart(9)} rows/s` +
          `  peak RSS ${fmt(run.peakRssMiB)} MiB${baseline ? `  ${(run.seconds / baseline.seconds).toFixed(2)}× the Parquet path` : ''}`,
      );
    };
    // Answers cached first, so both paths measure reading and writing, not the 1,000 requests.
    const parquetFirst = await measureNode(CLI, viaParquet);
    report('Parquet → Parquet, first run (1,000 requests)', parquetFirst);
    const parquetAgain = await measureNode(CLI, viaParquet);
    report('Parquet → Parquet, again (baseline)', parquetAgain);
    const pgRun = await measureNode(CLI, viaPg);
    report(`Postgres table → Postgres table (${fmt(rows)} rows read and written)`, pgRun, parquetAgain);

    // kill -9 while COPY writes the staging table, then the same command.
    const child = spawn(CLI, viaPg, { stdio: 'ignore' });
    let exited = false;
    const closed = once(child, 'close').then(() => (exited = true));
    let copied = 0;
    while (copied < rows * 0.3 && !exited) {
      const progress = await pg.query<{ n: string }>(
        `SELECT coalesce(max(tuples_processed), 0) AS n FROM pg_stat_progress_copy WHERE command = 'COPY FROM'`,
      );
      copied = Number(progress[0]!.n);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await closed;
    const [during] = await pg.query<{ n: string }>('SELECT count(*) AS n FROM labels');
    lines.push(
      copied >= rows * 0.3
        ? `sql  postgres kill -9 at ${fmt(copied)} rows copied: the target holds ${fmt(Number(during!.n))} rows (the earlier complete write)`
        : `sql  postgres the write ended before the kill could land (${fmt(rows)} rows copy too fast to catch)`,
    );
    const resumed = await measureNode(CLI, viaPg);
    report('the same command after the kill', resumed, parquetAgain);
    const [target] = await pg.query<{ n: string; ids: string; labelled: string }>(
      'SELECT count(*) AS n, count(DISTINCT id) AS ids, count(label) AS labelled FROM labels',
    );
    lines.push(
      `sql  postgres after the resume: ${fmt(Number(target!.n))} rows, ${fmt(Number(target!.ids))} distinct ids, ` +
        `${fmt(Number(target!.labelled))} labelled (expected ${fmt(rows)} each)`,
    );
    const same = await duckdbRows(
      `SELECT count(*) AS n FROM '${join(dir, 'pg-labels.parquet')}' p JOIN ` +
        `'${join(dir, 'pg-state', 'result.parquet')}' q USING (id) WHERE p.label = q.label AND p.body = q.body`,
    );
    lines.push(`sql  postgres rows identical on both paths: ${fmt(Number(same[0]!['n']))} of ${fmt(rows)}`);
  } finally {
    await Promise.all([pg.close(), sim.stop()]);
  }
  return lines;
}
