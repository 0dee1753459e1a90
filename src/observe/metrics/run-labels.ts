// The labels every metric of a run carries, one convention for all: OpenTelemetry's GenAI attribute names where one
// fits (dots as underscores, which Prometheus label names require), llmap's own under `llmap_`. Nothing secret goes
// into a label: no key, no base URL, no Postgres connection, only the output's file or table name.

import { basename } from 'node:path';
import type { Job } from '../../job/job.js';

export interface RunLabels {
  /** The job, by its output's name (`tickets.parquet`, or the Postgres table). */
  readonly llmap_job: string;
  /** `gen_ai.provider.name`: llmap's provider (`openai`, `anthropic`: OpenTelemetry's own values; `llama`). */
  readonly gen_ai_provider_name: string;
  /** `gen_ai.request.model`: the model asked for (a local model: its file name). */
  readonly gen_ai_request_model: string;
  /** `gen_ai.operation.name`: `chat`, or `embeddings` for `llmap embed`. */
  readonly gen_ai_operation_name: string;
}

export function runLabels(job: Job, name: string = jobName(job)): RunLabels {
  const { provider, modelId } = job.model;
  return {
    llmap_job: name,
    gen_ai_provider_name: provider,
    // A local model's path says where it lies on this machine, not which model it is.
    gen_ai_request_model: provider === 'llama' ? basename(modelId) : modelId,
    gen_ai_operation_name: job.task.kind === 'embed' ? 'embeddings' : 'chat',
  };
}

/** The job's name in metrics and on a Pushgateway: its output file's name, or the Postgres table written. */
export function jobName(job: Pick<Job, 'output'>): string {
  const table = job.output.postgres?.table;
  return table ?? basename(job.output.path);
}
