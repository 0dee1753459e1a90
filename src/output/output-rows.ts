// An answered row as the output has it: the input columns, then the answer's, then the status and audit columns.

import type { RowOutcome } from '../executor/answer-row.js';
import type { RowRef } from '../executor/run-pipeline.js';
import { InputError } from '../job/input-error.js';
import type { ChatRequest } from '../providers/provider.js';
import type { Column, Row } from '../table/read-table.js';
import type { Job } from '../job/job.js';
import {
  answerColumns,
  EMBEDDING_COLUMN,
  isNestedType,
  TEXT_ANSWER_COLUMN,
  type OutputColumn,
} from './answer-columns.js';
import { fromBase64 } from './vector-text.js';

/** The answer's columns: one per schema property, or the one text or vector column. */
export function answerColumnsOf(job: Job): OutputColumn[] {
  if (job.task.kind === 'embed') return [EMBEDDING_COLUMN];
  return job.schema ? answerColumns(job.schema.jsonSchema) : [TEXT_ANSWER_COLUMN];
}

/** The status and audit columns after the answer, in order (`_sample` only when several samples are asked,
 * `_prompt` only with --keep-prompts). */
export function metaColumns(samples: number, keepPrompts = false): OutputColumn[] {
  const column = (name: string, type: string): OutputColumn => ({ name, type, nested: false });
  return [
    column('_status', 'VARCHAR'),
    column('_error', 'VARCHAR'),
    column('_row_id', 'VARCHAR'),
    ...(samples > 1 ? [column('_sample', 'INTEGER')] : []),
    column('_attempts', 'INTEGER'),
    column('_latency_ms', 'BIGINT'),
    column('_input_tokens', 'BIGINT'),
    column('_output_tokens', 'BIGINT'),
    column('_model', 'VARCHAR'),
    column('_cached', 'BOOLEAN'),
    column('_request_key', 'VARCHAR'),
    column('_prompt_hash', 'VARCHAR'),
    ...(keepPrompts ? [column('_prompt', 'VARCHAR')] : []),
    column('_provider_request_id', 'VARCHAR'),
    column('_finished_at', 'TIMESTAMP'),
  ];
}

/** Input columns, then the answer's, then the status and audit columns; a clash is an input error, never a silent
 * overwrite. */
export function outputColumns(
  input: readonly Column[],
  answer: readonly OutputColumn[],
  meta: readonly OutputColumn[],
): OutputColumn[] {
  const inputCols: OutputColumn[] = input.map((c) => ({
    name: c.name,
    type: c.type,
    nested: isNestedType(c.type),
  }));
  const taken = new Set(input.map((c) => c.name));
  for (const column of [...answer, ...meta]) {
    if (taken.has(column.name)) {
      throw new InputError(
        `output column "${column.name}" would overwrite the input column of the same name; rename it in the schema, or ` +
          `select the input columns with --sql "SELECT ... AS other_name FROM ..."`,
      );
    }
    taken.add(column.name);
  }
  return [...inputCols, ...answer, ...meta];
}

/** The output row of a task's outcome (the input row object itself, when each input row has one task). */
export function outputRow(
  task: RowRef,
  outcome: RowOutcome,
  answerNames: readonly string[],
  structured: boolean,
  withSample: boolean,
  /** `_prompt` (--keep-prompts). */
  prompt?: string,
): Row {
  // With several samples, one input row object is shared by its tasks: each gets a copy.
  const out: Record<string, unknown> = withSample ? { ...task.row } : task.row;
  if (outcome.answer !== undefined) {
    if (structured) {
      const answer = outcome.answer as Record<string, unknown>;
      for (const name of answerNames) out[name] = answer[name];
    } else {
      out[answerNames[0]!] = outcome.answer;
    }
  }
  out['_status'] = outcome.status;
  out['_error'] = outcome.error;
  out['_row_id'] = task.rowId;
  if (withSample) out['_sample'] = task.sample;
  out['_attempts'] = outcome.attempts;
  out['_latency_ms'] = Math.round(outcome.latencyMs);
  out['_input_tokens'] = outcome.inputTokens;
  out['_output_tokens'] = outcome.outputTokens;
  out['_model'] = outcome.model || undefined;
  out['_cached'] = outcome.cached;
  out['_request_key'] = task.key;
  out['_prompt_hash'] = task.promptHash;
  if (prompt !== undefined) out['_prompt'] = prompt;
  out['_provider_request_id'] = outcome.providerRequestId;
  out['_finished_at'] = new Date(outcome.finishedAt).toISOString();
  return out as Row;
}

/**
 * A request's prompt as `_prompt` keeps it: the user message as rendered, or with a system prompt both, labelled
 * (`system:\n…\n\nuser:\n…`).
 */
export function promptText(request: ChatRequest): string {
  const user = request.messages.map((m) => m.content).join('\n\n');
  return request.system === undefined ? user : `system:\n${request.system}\n\nuser:\n${user}`;
}

/** Embeddings arrive as base64 float32 text (cache, ledger) and are written as a FLOAT[] column. */
export function vectorOutput(normalize: boolean) {
  const dimensions = new Map<number, number>();
  return {
    output(outcome: RowOutcome): RowOutcome {
      const vector = fromBase64(outcome.answer as string);
      dimensions.set(vector.length, (dimensions.get(vector.length) ?? 0) + 1);
      if (normalize) normalizeVector(vector);
      return { ...outcome, answer: Array.from(vector) as unknown as string };
    },
    notes(): string[] {
      if (dimensions.size === 0) return [];
      const sizes = [...dimensions.keys()];
      return [
        sizes.length === 1
          ? `embedding dimension ${sizes[0]}${normalize ? ' (normalized to length 1)' : ''}`
          : `embedding dimensions differ between rows: ${sizes.join(', ')}`,
      ];
    },
  };
}

function normalizeVector(vector: Float32Array): void {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! / norm;
}
