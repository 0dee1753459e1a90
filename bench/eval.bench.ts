// `llmap eval` and `llmap compare` at table scale: two 1,000,000-row "runs" of free-text answers against a
// reference (answers drop or swap words at random, so F1 and ROUGE-L take many values and the row-by-row bootstrap
// is exercised), scored with exact_match, f1 and rouge_l, by a 4-value segment, 2,000 resamples. The whole command
// is timed as a user runs it (start-up, Parquet reading, scoring, every bootstrap, tests, printing). The baseline in
// the same invocation is what a user would write for the overall figures alone: the rows read into JS, exact match
// and a token F1 per row, and a Math.random bootstrap per score (100 resamples timed, ×20). Figures only.

import { performance } from 'node:perf_hooks';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { CLI, measureNode } from './bench-helpers.js';
import { userBootstrap } from './bootstrap.bench.js';
import { openDuckDB } from '../src/table/duckdb.js';

const ROWS = 1_000_000;
const RESAMPLES = 2000;

async function runTable(name: string, dropShare: number): Promise<string> {
  const dir = resolve(import.meta.dirname, '../../bench/results');
  mkdirSync(dir, { recursive: true });
  const path = resolve(dir, `eval-${name}-${ROWS}.parquet`);
  if (existsSync(path)) return path;
  const db = await openDuckDB({ memoryLimit: '1GB' });
  // The reference is six words; the answer keeps each word unless a hash of (row, word, run) drops it.
  const words = [0, 1, 2, 3, 4, 5]
    .map(
      (w) =>
        `CASE WHEN hash(i, ${w}, '${name}') % 1000 < ${dropShare * 1000} THEN '' ELSE 'w' || ((i + ${w} * 7) % 50) || ' ' END`,
    )
    .join(' || ');
  const reference = [0, 1, 2, 3, 4, 5].map((w) => `'w' || ((i + ${w} * 7) % 50)`).join(` || ' ' || `);
  await db.connection.run(
    `COPY (SELECT 'r' || i AS _row_id, trim(${words}) AS answer, ${reference} AS label, ` +
      `['en','de','fr','es'][1 + (i % 4)::INTEGER] AS lang FROM range(${ROWS}) t(i)) TO '${path}' (FORMAT parquet)`,
  );
  db.close();
  return path;
}

function tokenF1(answer: string, reference: string): number {
  const a = answer.toLowerCase().split(/\s+/).filter(Boolean);
  const r = reference.toLowerCase().split(/\s+/).filter(Boolean);
  if (a.length === 0 || r.length === 0) return a.length === r.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of r) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of a) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  if (same === 0) return 0;
  const p = same / a.length;
  const q = same / r.length;
  return (2 * p * q) / (p + q);
}

/** The user's script: read, score, bootstrap each score overall (100 resamples timed, extrapolated to 2,000). */
async function userScript(path: string): Promise<number> {
  const started = performance.now();
  const db = await openDuckDB({ memoryLimit: '1GB' });
  const rows = (await db.connection.runAndReadAll(`SELECT answer, label FROM '${path}'`)).getRowObjectsJson();
  db.close();
  const exact = rows.map((r) => (r['answer'] === r['label'] ? 1 : 0));
  const f1 = rows.map((r) => tokenF1(r['answer'] as string, r['label'] as string));
  const fixed = (performance.now() - started) / 1000;
  const bootStarted = performance.now();
  for (const scores of [exact, f1]) userBootstrap(scores, 100);
  return fixed + ((performance.now() - bootStarted) / 1000) * (RESAMPLES / 100);
}

export async function evalBench(): Promise<string[]> {
  const a = await runTable('a', 0.1);
  const b = await runTable('b', 0.12);
  const baseline = await userScript(a);
  const line = (label: string, seconds: number, rss?: number) =>
    `eval  ${label.padEnd(62)} ${seconds.toFixed(1).padStart(6)} s` +
    (rss === undefined
      ? '  1.00× (baseline)'
      : `  ${(baseline / seconds).toFixed(1)}× faster · peak RSS ${rss.toFixed(0)} MiB`);
  const report = [line('user script: exact match + F1, Math.random bootstrap, overall only', baseline)];
  const metrics = ['--metric', 'exact_match', '--metric', 'f1', '--metric', 'rouge_l', '--by', 'lang'];
  const evaluated = await measureNode(CLI, ['eval', a, '--reference', 'label', ...metrics]);
  if (evaluated.code !== 0) throw new Error(evaluated.stderr);
  report.push(
    line('llmap eval: exact_match, f1, rouge_l × (all + 4 segments)', evaluated.seconds, evaluated.peakRssMiB),
  );
  const compared = await measureNode(CLI, ['compare', a, b, '--reference', 'label', ...metrics]);
  if (compared.code !== 0) throw new Error(compared.stderr);
  report.push(line('llmap compare: the same, both runs, paired tests, Holm', compared.seconds, compared.peakRssMiB));
  report.push(`eval  ${ROWS.toLocaleString('en-US')} rows per run × ${RESAMPLES.toLocaleString('en-US')} resamples`);
  return report;
}
