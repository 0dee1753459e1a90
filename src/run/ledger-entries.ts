// A row's outcome as the run state records it, and back: what makes a resumed row the same as an answered one.

import type { AnsweredOutcome, RowOutcome } from '../executor/answer-row.js';
import type { RowTask } from '../executor/run-pipeline.js';
import type { LedgerEntry } from '../store/ledger-store.js';

/** Only an answered row is recorded: a skipped one is asked by the first run whose data passes its checks. */
export function ledgerEntry(task: RowTask, outcome: AnsweredOutcome, checkedWith: string): LedgerEntry {
  return {
    rowId: task.rowId,
    sample: task.sample,
    status: outcome.status,
    requestKey: task.key,
    promptHash: task.promptHash,
    checkedWith,
    ...(outcome.answer === undefined ? {} : { answer: outcome.answer }),
    ...(outcome.error === undefined ? {} : { error: outcome.error }),
    ...(outcome.status === 'invalid' && outcome.raw !== undefined ? { raw: outcome.raw } : {}),
    attempts: outcome.attempts,
    latencyMs: outcome.latencyMs,
    inputTokens: outcome.inputTokens,
    outputTokens: outcome.outputTokens,
    ...(outcome.batchInputTokens ? { batchInputTokens: outcome.batchInputTokens } : {}),
    ...(outcome.batchOutputTokens ? { batchOutputTokens: outcome.batchOutputTokens } : {}),
    model: outcome.model,
    ...(outcome.providerRequestId === undefined ? {} : { providerRequestId: outcome.providerRequestId }),
    cached: outcome.cached,
    finishedAt: outcome.finishedAt,
  };
}

export function outcomeFromEntry(entry: LedgerEntry): RowOutcome {
  return {
    status: entry.status,
    ...(entry.answer === undefined ? {} : { answer: entry.answer as Record<string, unknown> | string }),
    ...(entry.error === undefined ? {} : { error: entry.error }),
    ...(entry.raw === undefined ? {} : { raw: entry.raw }),
    attempts: entry.attempts,
    latencyMs: entry.latencyMs,
    inputTokens: entry.inputTokens,
    outputTokens: entry.outputTokens,
    model: entry.model,
    ...(entry.providerRequestId === undefined ? {} : { providerRequestId: entry.providerRequestId }),
    cached: entry.cached,
    finishedAt: entry.finishedAt,
    resumed: true,
  };
}
