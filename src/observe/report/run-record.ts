// What a run's report is made of, as JSON (`<out>.report.json`): the job, its counts, throughput over time, the
// output's profile and the baseline's. `llmap report` renders the HTML again from it and the output, and the next run
// of the job reads its profile as the baseline for the drift check.

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { JobFingerprint } from '../../job/job-fingerprint.js';
import { InputError } from '../../job/input-error.js';
import type { OutputProfile } from './profile-output.js';
import type { TimelinePoint } from './timeline.js';

export const RECORD_VERSION = 1;

export interface RunRecord {
  readonly version: typeof RECORD_VERSION;
  readonly createdAt: string;
  /** The file profiled: the output, or its partial file. */
  readonly output: string;
  readonly job: {
    readonly model: string;
    readonly input: string;
    readonly prompt: { readonly origin: string; readonly system?: string; readonly user: string };
    readonly schema?: { readonly origin: string; readonly jsonSchema: unknown };
    readonly fingerprint: JobFingerprint;
    readonly answers: readonly string[];
  };
  readonly run: {
    readonly state: string;
    readonly stopReason?: string;
    readonly rows: Readonly<Record<string, number>>;
    readonly tokens: { readonly input: number; readonly output: number };
    readonly costUsd?: number;
    readonly elapsedMs: number;
    readonly retries: number;
    readonly requests: number;
    readonly latency: LatencySummary;
  };
  readonly errors: readonly { readonly status: string; readonly reason: string; readonly rows: number }[];
  readonly timeline: readonly TimelinePoint[];
  readonly profile: OutputProfile;
  readonly baseline?: {
    readonly source: string;
    readonly createdAt?: string;
    readonly fingerprint?: JobFingerprint;
    readonly profile: OutputProfile;
  };
  readonly sample: { readonly path: string; readonly seed: number; readonly rows: number };
}

/** Seconds at the quantiles of each call (`requests`) and of each row from dispatch to answer (`timeToAnswer`). */
export interface LatencySummary {
  readonly requests: Quantiles | undefined;
  readonly timeToAnswer: Quantiles | undefined;
}

export interface Quantiles {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** The report's files beside an output: `out/tickets.parquet` → `out/tickets.report.html`, … */
export function reportPaths(output: string): { html: string; json: string; sample: string } {
  const stem = join(dirname(output), basename(output, extname(output)));
  return { html: `${stem}.report.html`, json: `${stem}.report.json`, sample: `${stem}.sample.parquet` };
}

export function readRunRecord(path: string): RunRecord {
  let record: unknown;
  try {
    record = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read the run report ${path}: ${(error as Error).message}`);
  }
  if (typeof record !== 'object' || record === null || (record as { version?: unknown }).version !== RECORD_VERSION) {
    throw new InputError(`${path} is not an llmap run report (.report.json, version ${RECORD_VERSION})`);
  }
  return record as RunRecord;
}

/** The previous run's record of this output, when there is one. */
export function previousRecord(output: string): RunRecord | undefined {
  const { json } = reportPaths(output);
  if (!existsSync(json)) return undefined;
  try {
    return readRunRecord(json);
  } catch {
    return undefined;
  }
}
