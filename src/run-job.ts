// runJob: the library's front door. Prepares everything that can fail before a request is sent (table, columns,
// prompt placeholders, schema, provider), then runs the row pipeline and publishes the output.

import { setTimeout as sleepTimer } from 'node:timers/promises';
import { answerRow, type RowOutcome } from './executor/answer-row.js';
import { runPipeline, type StopReason } from './executor/run-pipeline.js';
import { DEFAULT_RETRY_POLICY } from './executor/retry.js';
import { InputError } from './job/input-error.js';
import type { Job } from './job/job.js';
import { answerColumns, TEXT_ANSWER_COLUMN, type OutputColumn } from './output/answer-columns.js';
import { createQuarantine } from './output/quarantine.js';
import { RunStats } from './observe/run-stats.js';
import { checkTemplateColumns } from './prompt/template.js';
import { createProvider } from './providers/create-provider.js';
import type { HttpClient } from './providers/http/http-client.js';
import type { ChatProvider } from './providers/provider.js';
import { buildRequest, type RequestTemplate } from './request/build-request.js';
import { openDuckDB } from './table/duckdb.js';
import { openTable, type Column, type Row } from './table/read-table.js';
import { relationSql } from './table/table-input.js';
import { createTableWriter } from './table/write-table.js';

/** The audit columns after the answer, in order. */
export const META_COLUMNS: readonly OutputColumn[] = [
  { name: '_status', type: 'VARCHAR', nested: false },
  { name: '_error', type: 'VARCHAR', nested: false },
  { name: '_attempts', type: 'INTEGER', nested: false },
  { name: '_latency_ms', type: 'BIGINT', nested: false },
  { name: '_input_tokens', type: 'BIGINT', nested: false },
  { name: '_output_tokens', type: 'BIGINT', nested: false },
  { name: '_model', type: 'VARCHAR', nested: false },
];

export interface RunJobDeps {
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /** Abort to stop dispatching (Ctrl-C); what is done is written. */
  readonly stopSignal?: AbortSignal;
  /** Replaces the provider built from the job (tests, custom backends). */
  readonly provider?: ChatProvider;
  /** Replaces the HTTP transport of the job's provider. */
  readonly http?: HttpClient;
  /** Called once the job is checked and rows are about to flow. */
  readonly onStart?: (stats: RunStats, warnings: readonly string[]) => void;
}

export interface RunSummary {
  readonly output: string;
  readonly quarantine: string | undefined;
  readonly rows: { total: number; written: number; ok: number; failed: number; invalid: number };
  readonly tokens: { input: number; output: number };
  readonly retries: number;
  readonly elapsedMs: number;
  readonly stopped: StopReason | undefined;
  readonly warnings: readonly string[];
}

export async function runJob(job: Job, deps: RunJobDeps = {}): Promise<RunSummary> {
  const now = deps.now ?? Date.now;
  const db = await openDuckDB();
  let provider: ChatProvider | undefined;
  try {
    const input = job.limit === undefined ? job.input : { kind: 'sql' as const, sql: limitedSql(job) };
    const source = await openTable(db, input);
    const columnNames = source.columns.map((c) => c.name);
    checkTemplateColumns(job.prompt.user, columnNames, job.prompt.origin);
    if (job.prompt.system) checkTemplateColumns(job.prompt.system, columnNames, `${job.prompt.origin} (system)`);
    const answerCols = job.schema ? answerColumns(job.schema.jsonSchema) : [TEXT_ANSWER_COLUMN];
    const columns = outputColumns(source.columns, answerCols);

    provider =
      deps.provider ??
      createProvider(job.model, {
        timeoutMs: job.execution.timeoutMs,
        connections: job.execution.concurrency,
        ...(deps.http ? { http: deps.http } : {}),
      });
    const warnings = schemaWarnings(job, provider);

    const writer = createTableWriter({ path: job.output.path, format: job.output.format, columns });
    const quarantine = createQuarantine(job.output.path);
    const stats = new RunStats(source.rowCount, now());
    deps.onStart?.(stats, warnings);

    const template: RequestTemplate = {
      model: job.model.modelId,
      user: job.prompt.user,
      ...(job.prompt.system ? { system: job.prompt.system } : {}),
      ...(job.sampling.temperature === undefined ? {} : { temperature: job.sampling.temperature }),
      ...(job.sampling.maxTokens === undefined ? {} : { maxTokens: job.sampling.maxTokens }),
      ...(job.schema ? { schema: job.schema } : {}),
    };
    const answerDeps = {
      provider,
      schema: job.schema,
      retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: job.execution.maxAttempts },
      now,
      sleep: deps.sleep ?? ((ms: number, signal?: AbortSignal) => sleepTimer(ms, undefined, signal ? { signal } : {})),
      random: deps.random ?? Math.random,
      onRetry: () => stats.retries++,
    };
    const answerNames = answerCols.map((c) => c.name);

    let result;
    try {
      result = await runPipeline(
        {
          source,
          buildRequest: (row) => buildRequest(template, row),
          answer: (request, signal) => answerRow(request, { ...answerDeps, signal }),
          sink: (index, row, outcome) => {
            writer.append(outputRow(row, outcome, answerNames, job.schema !== undefined));
            if (outcome.status === 'invalid') {
              quarantine.add({ row: index, error: outcome.error ?? '', raw: outcome.raw ?? '', model: outcome.model });
            }
          },
        },
        {
          concurrency: job.execution.concurrency,
          maxWaiting: Math.max(10_000, job.execution.concurrency * 100),
          drainMs: job.execution.drainMs,
          stats,
          ...(deps.stopSignal ? { stopSignal: deps.stopSignal } : {}),
        },
      );
    } catch (error) {
      writer.abort();
      quarantine.abort();
      throw error;
    }
    const output = await writer.finish(db);
    return {
      output,
      quarantine: quarantine.finish(),
      rows: {
        total: source.rowCount,
        written: writer.rowsWritten,
        ok: stats.ok,
        failed: stats.failed,
        invalid: stats.invalid,
      },
      tokens: { input: stats.inputTokens, output: stats.outputTokens },
      retries: stats.retries,
      elapsedMs: now() - stats.startedAt,
      stopped: result.stopped,
      warnings,
    };
  } finally {
    await provider?.close();
    db.close();
  }
}

function limitedSql(job: Job): string {
  return `SELECT * FROM ${relationSql(job.input)} LIMIT ${job.limit}`;
}

/** Input columns, then the answer's, then the audit columns; a clash is an input error, never a silent overwrite. */
function outputColumns(input: readonly Column[], answer: readonly OutputColumn[]): OutputColumn[] {
  const inputCols: OutputColumn[] = input.map((c) => ({
    name: c.name,
    type: c.type,
    nested: /^(STRUCT|MAP|JSON|UNION)|\]$/.test(c.type),
  }));
  const taken = new Set(input.map((c) => c.name));
  for (const column of [...answer, ...META_COLUMNS]) {
    if (taken.has(column.name)) {
      throw new InputError(
        `output column "${column.name}" would overwrite the input column of the same name; rename it in the schema, or ` +
          `select the input columns with --sql "SELECT ... AS other_name FROM ..."`,
      );
    }
    taken.add(column.name);
  }
  return [...inputCols, ...answer, ...META_COLUMNS];
}

function outputRow(row: Row, outcome: RowOutcome, answerNames: readonly string[], structured: boolean): Row {
  const out: Record<string, unknown> = row;
  if (outcome.answer !== undefined) {
    if (structured) {
      const answer = outcome.answer as Record<string, unknown>;
      for (const name of answerNames) out[name] = answer[name];
    } else {
      out['answer'] = outcome.answer;
    }
  }
  out['_status'] = outcome.status;
  out['_error'] = outcome.error;
  out['_attempts'] = outcome.attempts;
  out['_latency_ms'] = Math.round(outcome.latencyMs);
  out['_input_tokens'] = outcome.inputTokens;
  out['_output_tokens'] = outcome.outputTokens;
  out['_model'] = outcome.model || undefined;
  return out as Row;
}

function schemaWarnings(job: Job, provider: ChatProvider): string[] {
  if (!job.schema) return [];
  const dropped = provider.unsupportedSchemaParts(job.schema);
  if (dropped.length === 0) return [];
  return [
    `${provider.provider} cannot enforce these parts of ${job.schema.origin} while decoding; they are dropped from the ` +
      `request and checked locally instead: ${dropped.join(', ')}`,
  ];
}
