// The review sample: a seeded 1% of the output's rows (at least 50, at most 2,000, every row of a smaller table),
// input beside answer with the model and the prompt version, written as `<out>.sample.parquet` for a review tool and
// shown in the report. The same output and seed give the same rows.

import { renameSync, rmSync } from 'node:fs';
import { sqlString, type DuckDB } from '../../table/duckdb.js';

export const SAMPLE_SHARE = 0.01;
export const SAMPLE_MIN = 50;
export const SAMPLE_MAX = 2000;

export function sampleSize(rows: number): number {
  return Math.min(rows, Math.max(SAMPLE_MIN, Math.min(SAMPLE_MAX, Math.round(rows * SAMPLE_SHARE))));
}

export interface ReviewSample {
  readonly path: string;
  readonly seed: number;
  /** The sample's rows, in output order, with `_row` (their 1-based position in the output). */
  readonly rows: readonly Record<string, unknown>[];
  readonly columns: readonly string[];
}

export async function writeReviewSample(
  db: DuckDB,
  input: { relation: string; rows: number; path: string; seed: number; promptVersion: string },
): Promise<ReviewSample> {
  const n = sampleSize(input.rows);
  const temp = `${input.path}.tmp`;
  const sample =
    `SELECT * FROM (SELECT row_number() OVER () AS _row, *, ${sqlString(input.promptVersion)} AS _prompt_version ` +
    `FROM ${input.relation}) USING SAMPLE reservoir(${n} ROWS) REPEATABLE (${input.seed}) ORDER BY _row`;
  await db.connection.run(`COPY (${sample}) TO ${sqlString(temp)} (FORMAT parquet)`);
  try {
    renameSync(temp, input.path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  const reader = await db.connection.runAndReadAll(`SELECT * FROM read_parquet(${sqlString(input.path)})`);
  return { path: input.path, seed: input.seed, rows: reader.getRowObjectsJson(), columns: reader.columnNames() };
}
