// The last step of a run: the report of the file it wrote (`<out>.report.html`, `.report.json`, `.sample.parquet`)
// and the drift check against the baseline. A report that cannot be written costs the run nothing but a warning:
// the answers are written already.

import type { Job } from '../job/job.js';
import type { JobFingerprint } from '../job/job-fingerprint.js';
import type { LatencyHistogram } from '../observe/latency-histogram.js';
import type { RunStats } from '../observe/run-stats.js';
import { readRunRecord, type Quantiles, type RunRecord } from '../observe/report/run-record.js';
import { writeRunReport, type RecordDraft, type ReportInput } from '../observe/report/run-report.js';
import type { TimelinePoint } from '../observe/report/timeline.js';
import { describeInput } from '../table/table-input.js';
import type { DuckDB } from '../table/duckdb.js';
import { templateText } from '../prompt/template.js';
import type { ReportSummary, RunSummary } from './run-summary.js';

export interface ReportStepInput {
  readonly db: DuckDB;
  readonly job: Job;
  readonly fingerprint: JobFingerprint;
  readonly summary: RunSummary;
  readonly stats: RunStats;
  readonly timeline: readonly TimelinePoint[];
  /** The answer columns' names. */
  readonly answers: readonly string[];
  /** The previous run's record of this output, read before the run could replace it. */
  readonly previous: RunRecord | undefined;
  readonly now: () => number;
}

export async function reportStep(input: ReportStepInput): Promise<ReportSummary> {
  const { job, summary } = input;
  try {
    const report = await writeRunReport(input.db, {
      output: summary.output,
      draft: draftOf(input),
      schema: job.schema?.jsonSchema,
      baseline: baselineOf(job, input.previous),
      driftSigma: job.report.driftSigma,
    });
    return {
      html: report.html,
      sample: report.sample,
      ...(report.drift && report.baseline !== undefined
        ? {
            drift: {
              baseline: report.baseline,
              sigma: report.drift.sigma,
              statistics: report.drift.statistics.length,
              flagged: report.drift.flagged.map((s) => ({
                name: s.name,
                kind: s.kind,
                baseline: s.baseline,
                current: s.current,
                z: s.z,
              })),
            },
          }
        : {}),
    };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** --baseline (a report's record, or an output to profile), else the output's previous report, if any. */
function baselineOf(job: Job, previous: RunRecord | undefined): ReportInput['baseline'] {
  const given = job.report.baseline;
  if (given === undefined) return previous ? { record: previous } : undefined;
  return given.endsWith('.report.json') ? { record: readRunRecord(given) } : { file: given };
}

function draftOf(input: ReportStepInput): RecordDraft {
  const { job, summary, stats } = input;
  return {
    version: 1,
    createdAt: new Date(input.now()).toISOString(),
    job: {
      model: `${job.model.provider}:${job.model.modelId}`,
      input: describeInput(job.input),
      prompt: {
        origin: job.prompt.origin,
        ...(job.prompt.system ? { system: templateText(job.prompt.system) } : {}),
        user: templateText(job.prompt.user),
      },
      ...(job.schema ? { schema: { origin: job.schema.origin, jsonSchema: job.schema.jsonSchema } } : {}),
      fingerprint: input.fingerprint,
      answers: input.answers,
    },
    run: {
      state: summary.stopped ? 'stopped' : 'finished',
      ...(summary.stopped
        ? { stopReason: 'message' in summary.stopped ? summary.stopped.message : summary.stopped.kind }
        : {}),
      rows: { ...summary.rows },
      tokens: { input: summary.tokens.input, output: summary.tokens.output },
      ...(summary.cost ? { costUsd: summary.cost.runUsd } : {}),
      elapsedMs: summary.elapsedMs,
      retries: summary.retries,
      requests: stats.requests.calls,
      latency: {
        requests: quantiles(stats.requests.latency),
        timeToAnswer: quantiles(stats.timeToAnswer),
      },
    },
    timeline: input.timeline,
  };
}

function quantiles(histogram: LatencyHistogram): Quantiles | undefined {
  if (histogram.count === 0) return undefined;
  return {
    count: histogram.count,
    mean: histogram.sumSeconds / histogram.count,
    p50: histogram.quantile(0.5)!,
    p90: histogram.quantile(0.9)!,
    p99: histogram.quantile(0.99)!,
  };
}
