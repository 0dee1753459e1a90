// The run report: once the output is written, its profile, the drift check against the baseline (the previous run of
// the output, or --baseline), the review sample, and one self-contained HTML page. `llmap report` builds the same
// page again from `<out>.report.json` and the output.

import { renameSync, writeFileSync } from 'node:fs';
import { describeRelation, type DuckDB } from '../../table/duckdb.js';
import { fileInput, relationSql } from '../../table/table-input.js';
import { compareProfiles, type DriftCheck } from './drift.js';
import { profileOutput, type OutputProfile } from './profile-output.js';
import { renderReportHtml } from './render-report.js';
import { writeReviewSample } from './review-sample.js';
import { readRunRecord, reportPaths, type RunRecord } from './run-record.js';

export interface RunReport {
  readonly html: string;
  readonly json: string;
  readonly sample: string;
  /** Undefined without a baseline (the first run of an output). */
  readonly drift: DriftCheck | undefined;
  readonly baseline: string | undefined;
}

/** The seed of the review sample: the same output gives the same rows. */
export const SAMPLE_SEED = 17;

export type RecordDraft = Omit<RunRecord, 'profile' | 'errors' | 'sample' | 'output' | 'baseline'>;

export interface ReportInput {
  /** The file written (the output, or its partial file). */
  readonly output: string;
  readonly draft: RecordDraft;
  readonly schema: Readonly<Record<string, unknown>> | undefined;
  /** The baseline: an earlier run's record, an output file to profile, or the one a record kept; undefined: none. */
  readonly baseline:
    | { readonly record: RunRecord }
    | { readonly file: string }
    | { readonly kept: NonNullable<RunRecord['baseline']> }
    | undefined;
  readonly driftSigma: number;
}

export async function writeRunReport(db: DuckDB, input: ReportInput): Promise<RunReport> {
  const paths = reportPaths(input.output);
  const relation = relationSql(fileInput(input.output));
  const baseline = await baselineOf(db, input);
  const profile = await profileRelation(db, relation, input.draft.job.answers, input.schema, baseline?.profile);
  const sample = await writeReviewSample(db, {
    relation,
    rows: profile.rows,
    path: paths.sample,
    seed: SAMPLE_SEED,
    promptVersion: input.draft.job.fingerprint.prompt,
  });
  const record: RunRecord = {
    ...input.draft,
    output: input.output,
    profile,
    errors: await errorsByReason(db, relation),
    ...(baseline ? { baseline } : {}),
    sample: { path: sample.path, seed: sample.seed, rows: sample.rows.length },
  };
  const drift = baseline ? compareProfiles(baseline.profile, profile, input.driftSigma) : undefined;
  writeAtomically(paths.json, JSON.stringify(record, null, 1));
  writeAtomically(paths.html, await renderReportHtml(record, drift, sample));
  return { html: paths.html, json: paths.json, sample: paths.sample, drift, baseline: baseline?.source };
}

/** `llmap report`: the page again, from the record and the output as they are now. */
export async function rebuildRunReport(db: DuckDB, recordPath: string, driftSigma: number): Promise<RunReport> {
  const record = readRunRecord(recordPath);
  const schema = record.job.schema?.jsonSchema as Record<string, unknown> | undefined;
  const { profile: _profile, errors: _errors, sample: _sample, output, baseline, ...draft } = record;
  return writeRunReport(db, {
    output,
    draft,
    schema,
    baseline: baseline ? { kept: baseline } : undefined,
    driftSigma,
  });
}

async function profileRelation(
  db: DuckDB,
  relation: string,
  answers: readonly string[],
  schema: Readonly<Record<string, unknown>> | undefined,
  baseline?: OutputProfile,
): Promise<OutputProfile> {
  const columns = await describeRelation(db, relation);
  return profileOutput(db, { relation, columns, answers, schema, baseline });
}

async function baselineOf(db: DuckDB, input: ReportInput): Promise<RunRecord['baseline']> {
  const given = input.baseline;
  if (!given) return undefined;
  if ('kept' in given) return given.kept;
  if ('record' in given) {
    const { record } = given;
    return {
      source: record.output,
      createdAt: record.createdAt,
      fingerprint: record.job.fingerprint,
      profile: record.profile,
    };
  }
  const relation = relationSql(fileInput(given.file));
  return {
    source: given.file,
    profile: await profileRelation(db, relation, input.draft.job.answers, input.schema),
  };
}

/** Rows that did not end ok, by status and reason (the first 160 characters of `_error`), most first. */
async function errorsByReason(db: DuckDB, relation: string): Promise<RunRecord['errors']> {
  const reader = await db.connection.runAndReadAll(
    `SELECT _status, left(coalesce(_error, ''), 160) AS reason, count(*) AS n FROM ${relation} ` +
      `WHERE _status <> 'ok' GROUP BY ALL ORDER BY n DESC, reason LIMIT 20`,
  );
  return (reader.getRowsJson() as [string, string, string | number][]).map(([status, reason, n]) => ({
    status,
    reason,
    rows: Number(n),
  }));
}

function writeAtomically(path: string, text: string): void {
  const temp = `${path}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}
