// `llmap run --dry-run [n]`: the first n rows' requests exactly as the provider would receive them (endpoint,
// headers, body; a local model's messages and grammar), their prompt tokens, and what the whole job would cost online
// and in batch: `llmap estimate`'s figures, from the same function. The table is read and checked as a run reads it
// (bad input exits 2); no connection is opened and nothing is sent.

import { estimateJob, type Estimate, type PreviewRequest } from '../cost/estimate-job.js';
import type { Job } from '../job/job.js';
import { formatCount } from '../observe/progress.js';
import { wireRequest, type WireRequest } from '../providers/create-provider.js';
import { wireSchema } from '../providers/wire-schema.js';
import { renderEstimate } from './estimate-command.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './run-command.js';

/** One shown request: the row, what a run does with it, and what would be sent. */
interface ShownRequest {
  readonly row: number;
  readonly rowId: string;
  readonly fate: PreviewRequest['fate'];
  readonly rule?: string;
  readonly promptTokens: number;
  /** Hosted providers: the HTTP request. */
  readonly http?: WireRequest;
  /** A local model: the chat its template renders, and the grammar's schema. */
  readonly local?: { readonly messages: readonly { role: string; content: string }[]; readonly grammar?: unknown };
}

export async function runDryRun(
  job: Job,
  rows: number,
  io: CliIo,
  show: { readonly json?: boolean } = {},
): Promise<number> {
  const estimate = await estimateJob(job, { checks: true, preview: rows });
  const requests = (estimate.preview ?? []).map((p) => shownRequest(job, p));
  const { preview: _preview, ...figures } = estimate;
  io.stdout.write(
    show.json ? JSON.stringify({ requests, estimate: figures }) + '\n' : renderDryRun(job, requests, estimate) + '\n',
  );
  return EXIT.ok;
}

function shownRequest(job: Job, preview: PreviewRequest): ShownRequest {
  const { request } = preview;
  const http = wireRequest(job.model, request);
  const common = {
    row: preview.row,
    rowId: preview.rowId,
    fate: preview.fate,
    ...(preview.rule === undefined ? {} : { rule: preview.rule }),
    promptTokens: preview.promptTokens,
  };
  if (http) return { ...common, http };
  const messages = [...(request.system === undefined ? [] : [{ role: 'system', content: request.system }])];
  messages.push(...request.messages);
  return {
    ...common,
    local: { messages, ...(request.schema ? { grammar: wireSchema('llama', request.schema) } : {}) },
  };
}

const FATE: Record<PreviewRequest['fate'], string> = {
  ask: 'would be sent',
  state: 'answered in the run state: not sent again',
  cache: 'answered by the response cache: not sent',
  duplicate: "the same request as an earlier row's: sent once",
  skipped: 'skipped by a data check: not sent',
};

export function renderDryRun(job: Job, requests: readonly ShownRequest[], estimate: Estimate): string {
  const model = `${job.model.provider}:${job.model.modelId}`;
  const lines = [
    `llmap run --dry-run: the first ${formatCount(requests.length)} of ${formatCount(estimate.rows)} rows' requests ` +
      `as ${model} would receive them; nothing is sent`,
  ];
  for (const shown of requests) lines.push('', ...requestLines(job, shown));
  if (job.samples > 1) {
    lines.push(
      '',
      `each row is asked ${job.samples} times with this body (the sample is part of the request key only)`,
    );
  }
  if (job.batch.mode !== 'online' && job.model.provider !== 'llama') {
    lines.push('', `--mode ${job.batch.mode}: a batch line carries the same body for the same endpoint`);
  }
  lines.push('', renderEstimate(estimate));
  return lines.join('\n');
}

function requestLines(job: Job, shown: ShownRequest): string[] {
  const id = job.identity.idColumn === undefined ? '' : ` (--id ${job.identity.idColumn} ${shown.rowId})`;
  const head = `row ${formatCount(shown.row)}${id} · ${formatCount(shown.promptTokens)} prompt tokens (o200k) · `;
  if (shown.fate === 'skipped') return [`${head}skipped by the data check ${shown.rule ?? ''}: not sent`];
  const lines = [head + FATE[shown.fate]];
  if (shown.http) {
    const [first, ...others] = shown.http.urls;
    lines.push(`${shown.http.method} ${first}${others.length > 0 ? ` (or ${others.join(', ')})` : ''}`);
    for (const [name, value] of Object.entries(shown.http.headers)) lines.push(`${name}: ${value}`);
    lines.push(JSON.stringify(shown.http.body, null, 2));
  } else if (shown.local) {
    lines.push("in-process model: these messages, through the model's chat template (a plain completion without one)");
    lines.push(JSON.stringify(shown.local, null, 2));
  }
  return lines;
}
