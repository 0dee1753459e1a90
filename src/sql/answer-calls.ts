// Between two runs of a query: the calls it recorded, answered by the engine. Each config (kind, model, schema,
// system, sampling) is one llmap job over a table of its distinct prompts, with its own run state under the query's
// state directory: the same dedupe, response cache, rate limits, retries, budget, batch mode and kill -9 resume as
// `llmap run`. Its output (JSONL) is read back into the call book, matched to calls by prompt, never by position.

import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Job } from '../job/job.js';
import { loadEmbedJob, loadJob, type Env, type LoadJobPurpose } from '../job/load-job.js';
import type { RunOptions } from '../job/run-options.js';
import { canonicalJson } from '../request/canonical-json.js';
import { sha256Hex } from '../request/request-key.js';
import { answerColumnsOf } from '../output/output-rows.js';
import type { RunSummary } from '../run/run-summary.js';
import type { CallBook, CallConfig, CallOutcome, PendingCalls } from './call-book.js';

/** The options every call's job shares: a run's, without what the query itself says. */
export type SqlRunOptions = Omit<
  RunOptions,
  'input' | 'sql' | 'prompt' | 'schema' | 'out' | 'state' | 'id' | 'samples' | 'limit' | 'temperature' | 'maxTokens'
>;

/** A yes/no answer, asked with constrained decoding like any schema. */
const FILTER_SCHEMA = JSON.stringify({
  type: 'object',
  properties: { answer: { type: 'boolean', description: 'true or false: the answer to the question asked' } },
  required: ['answer'],
  additionalProperties: false,
});

export interface CallJob {
  readonly pending: PendingCalls;
  /** Its input is the table of the calls' prompts. */
  readonly job: Job;
}

/** The calls table's one column (a name no schema property is likely to take). */
const PROMPT_COLUMN = '__prompt';

/**
 * The job of each config's calls, its table of prompts written, all built before any is sent: a bad model or schema
 * stops the query unpaid.
 */
export async function callJobs(
  pending: readonly PendingCalls[],
  book: CallBook,
  options: SqlRunOptions,
  stateDir: string,
  env: Env,
  purpose: LoadJobPurpose = {},
): Promise<CallJob[]> {
  const jobs: CallJob[] = [];
  for (const calls of pending) {
    const dir = join(stateDir, configDirName(calls.config));
    const callsFile = join(dir, 'calls.jsonl');
    mkdirSync(dir, { recursive: true });
    await book.writeAsked(calls.configId, callsFile, PROMPT_COLUMN);
    jobs.push({ pending: calls, job: configJob(calls.config, options, dir, callsFile, env, purpose) });
  }
  return jobs;
}

/** Runs each config's job and settles its calls in the book. */
export async function answerCalls(
  jobs: readonly CallJob[],
  book: CallBook,
  run: (job: Job) => Promise<RunSummary>,
): Promise<RunSummary[]> {
  const summaries: RunSummary[] = [];
  for (const { pending, job } of jobs) {
    const summary = await run(job);
    summaries.push(summary);
    // A run that stopped (budget, outage, Ctrl-C) wrote no complete output: its answers wait in its run state.
    if (summary.stopped || summary.output !== summary.outputPath) break;
    const names = answerColumnsOf(job).map((c) => c.name);
    await book.settle(pending.configId, outcomes(summary.output, pending.config.kind, names));
  }
  return summaries;
}

function configJob(
  config: CallConfig,
  options: SqlRunOptions,
  dir: string,
  callsFile: string,
  env: Env,
  purpose: LoadJobPurpose,
): Job {
  // A job of the query's calls is not a table a person reviews: no run report (the query's result is the output).
  const files = { input: callsFile, out: join(dir, 'answers.jsonl'), state: join(dir, 'state'), report: false };
  if (config.kind === 'embed') {
    return loadEmbedJob(
      { ...options, ...files, column: PROMPT_COLUMN, ...(config.model ? { model: config.model } : {}) },
      env,
    );
  }
  const job = loadJob(
    {
      ...options,
      ...files,
      prompt: `{{${PROMPT_COLUMN}}}`,
      ...(config.model === undefined ? {} : { model: config.model }),
      ...(config.kind === 'json'
        ? { schema: config.schema }
        : config.kind === 'filter'
          ? { schema: FILTER_SCHEMA }
          : {}),
      ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
      ...(config.maxTokens === undefined ? {} : { maxTokens: config.maxTokens }),
    },
    env,
    purpose,
  );
  // The system prompt is the query's text as written: literal, not a template over the calls table.
  return config.system === undefined
    ? job
    : { ...job, prompt: { ...job.prompt, system: { parts: [config.system], columns: [] } } };
}

/** One directory per config: its kind and a hash of its settings. */
function configDirName(config: CallConfig): string {
  return `${config.kind}-${sha256Hex(canonicalJson({ ...config })).slice(0, 12)}`;
}

/** Each answered row's prompt and value as DuckDB reads it, or its status and reason. */
async function* outcomes(
  path: string,
  kind: CallConfig['kind'],
  answerNames: readonly string[],
): AsyncGenerator<readonly [string, CallOutcome]> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const row = JSON.parse(line) as Record<string, unknown>;
    yield [row[PROMPT_COLUMN] as string, outcomeOf(kind, row, answerNames)];
  }
}

function outcomeOf(
  kind: CallConfig['kind'],
  row: Record<string, unknown>,
  answerNames: readonly string[],
): CallOutcome {
  if (row['_status'] !== 'ok')
    return { error: `${String(row['_status'])}: ${String((row['_error'] as string | null) ?? '')}` };
  switch (kind) {
    case 'text':
    case 'filter':
      return { value: String(row['answer']) };
    case 'embed':
      return { value: JSON.stringify(row['embedding']) };
    case 'json': {
      const answer: Record<string, unknown> = {};
      for (const name of answerNames) answer[name] = row[name] ?? null;
      return { value: JSON.stringify(answer) };
    }
  }
}
