// One pass of the row pipeline over a table: each row's answer is taken from the run state when it is still good,
// else asked through the provider stack, then recorded and staged for the output (and the quarantine). A
// one-machine run passes over the whole table; batch mode passes again until every row is answered.

import { answerRow, isAnswered, skippedOutcome, type AnswerRowDeps } from '../executor/answer-row.js';
import { startCheckpoints } from '../executor/checkpoints.js';
import { DEFAULT_RETRY_POLICY } from '../executor/retry.js';
import { runPipeline, type PipelineResult, type RowRef, type RowTask } from '../executor/run-pipeline.js';
import type { Slots } from '../executor/slots.js';
import { requestTemplate } from '../job/job-source.js';
import type { Job } from '../job/job.js';
import type { RunStats } from '../observe/run-stats.js';
import type { OutputColumn } from '../output/answer-columns.js';
import { outputRow, promptText, type vectorOutput } from '../output/output-rows.js';
import { ANSWER_CHECK_VERSION } from '../output/parse-answer.js';
import { createQuarantine, type Quarantine } from '../output/quarantine.js';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import { buildRequest } from '../request/build-request.js';
import { canonicalJson } from '../request/canonical-json.js';
import { promptHash, sha256Hex, type RequestKeyer } from '../request/request-key.js';
import type { CacheStore } from '../store/cache-store.js';
import type { LedgerEntry, LedgerStore } from '../store/ledger-store.js';
import type { SkippedRows } from '../table/expectations.js';
import type { TableSource } from '../table/read-table.js';
import { rowIdentity } from '../table/row-identity.js';
import { createTableWriter, type TableWriter } from '../table/write-table.js';
import { ledgerEntry, outcomeFromEntry } from './ledger-entries.js';
import type { ProviderStack } from './provider-stack.js';

/** Answers are committed on the turn that receives them; the run's metadata is refreshed at least this often. */
const CHECKPOINT_MS = 1000;

export interface PassInput {
  readonly job: Job;
  readonly source: TableSource;
  /** Every output column, in order. */
  readonly columns: readonly OutputColumn[];
  /** Of those, the answer's (one per schema property, or the one text or vector column). */
  readonly answerNames: readonly string[];
  readonly stats: RunStats;
  readonly slots: Slots;
  readonly ledger: LedgerStore;
  readonly cache: CacheStore;
  readonly stack: ProviderStack;
  readonly keyOf: RequestKeyer;
  /** What answering a row needs besides its provider: retries, time, randomness, the retry counter. */
  readonly answering: Pick<AnswerRowDeps, 'now' | 'sleep' | 'random'>;
  readonly runStartedAt: number;
  /** Entries found by content-hash row id under unchanged requests are reused without re-keying the row. */
  readonly trustRowIds: boolean;
  readonly vectors: ReturnType<typeof vectorOutput>;
  /** Rows that failed a data check (`--expect-action skip`): left unasked, with the rule as their error. */
  readonly skipped?: SkippedRows;
  /** Commits the run state and the cache (the metadata says the run is running). */
  readonly checkpoint: () => Promise<void>;
  readonly stopSignal?: AbortSignal | undefined;
}

export interface Pass {
  readonly result: PipelineResult;
  /** Undefined when the pass ended in a way that writes nothing. */
  readonly writer: TableWriter | undefined;
  readonly quarantine: Quarantine | undefined;
}

/** A pass over the table with these parts; each call of the function returned makes one. */
export function rowPass(input: PassInput): () => Promise<Pass> {
  const { job, stats, ledger, cache, stack, keyOf, vectors } = input;
  const template = requestTemplate(job);
  const answerDeps: Omit<AnswerRowDeps, 'provider'> = {
    schema: job.schema,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: job.execution.maxAttempts },
    ...input.answering,
    onRetry: () => stats.retries++,
    ...(stack.breaker ? { excused: (error: ApiCallError) => stack.breaker!.excuses(error) } : {}),
    ...(stack.repair ? { repairProvider: stack.repair } : {}),
  };
  const { answerNames } = input;
  const embedding = job.task.kind === 'embed';
  // Only outcomes of earlier runs: a later pass of this run (batch mode) keeps what an earlier pass recorded.
  const retrying = (earlier: LedgerEntry | undefined) =>
    job.state.retryFailed &&
    earlier !== undefined &&
    earlier.status !== 'ok' &&
    earlier.finishedAt < input.runStartedAt;
  // Answers checked with another schema (or other rules) are checked again; the cache answers their requests.
  const checkedWith = sha256Hex(
    canonicalJson({ schema: job.schema?.jsonSchema ?? null, rules: ANSWER_CHECK_VERSION }),
  ).slice(0, 16);
  const stale = (recorded: LedgerEntry) => recorded.status !== 'failed' && recorded.checkedWith !== checkedWith;
  const { skipped } = input;
  const skip =
    skipped && skipped.count > 0
      ? (position: number) => {
          const rule = skipped.ruleAt(position);
          return rule === undefined ? undefined : skippedOutcome(rule, input.answering.now());
        }
      : undefined;
  // --keep-prompts: an asked row's request is at hand; a reused or skipped one's is rendered again.
  const keptPrompt = job.output.keepPrompts
    ? (ref: RowRef) => promptText((ref as Partial<RowTask>).request ?? buildRequest(template, ref.row, ref.sample))
    : undefined;

  return async () => {
    // Row groups and DuckDB's memory for the final write are sized from the rows staged (see planWrite).
    const writer = createTableWriter({ path: job.output.path, format: job.output.format, columns: input.columns });
    const quarantine = createQuarantine(job.output.path);
    const checkpoints = startCheckpoints(input.checkpoint, CHECKPOINT_MS);
    let result;
    try {
      result = await runPipeline(
        {
          source: input.source,
          samples: job.samples,
          identify: rowIdentity(job.identity.idColumn),
          buildRequest: (row, sample) => buildRequest(template, row, sample),
          address: (request) => ({ key: keyOf(request), promptHash: promptHash(request) }),
          lookup: (rowIds) => ledger.getMany(rowIds),
          ...(skip ? { skipped: skip } : {}),
          prefetch: (keys) => cache.warm(keys),
          reuse: (recorded, row, sample) => {
            // A replay re-reads every answer from the cache (re-parsed and re-validated with today's schema).
            if (job.cache.replay || retrying(recorded) || stale(recorded)) return undefined;
            const outcome = outcomeFromEntry(recorded);
            if (input.trustRowIds) return { outcome, key: recorded.requestKey, promptHash: recorded.promptHash };
            const request = buildRequest(template, row, sample);
            const key = keyOf(request);
            return key === recorded.requestKey ? { outcome, key, promptHash: promptHash(request) } : undefined;
          },
          answer: (task, earlier, signal) =>
            answerRow(task.request, {
              ...answerDeps,
              provider: earlier && retrying(earlier) ? stack.uncached : stack.cached,
              signal,
            }),
          record: (task, outcome) => {
            // `not in cache` is not an answer: the next online run must ask it. (A skipped row is never asked.)
            if (!isAnswered(outcome) || (job.cache.replay && outcome.status === 'failed')) return;
            ledger.record(ledgerEntry(task, outcome, checkedWith));
            checkpoints.soon();
          },
          sink: (task, outcome) => {
            const written = embedding && typeof outcome.answer === 'string' ? vectors.output(outcome) : outcome;
            const prompt = keptPrompt?.(task);
            writer.append(outputRow(task, written, answerNames, job.schema !== undefined, job.samples > 1, prompt));
            if (outcome.status === 'invalid') {
              quarantine.add({
                row: task.index,
                rowId: task.rowId,
                error: outcome.error ?? '',
                raw: outcome.raw ?? '',
                model: outcome.model,
              });
            }
          },
        },
        {
          slots: input.slots,
          maxWaiting: Math.max(10_000, job.execution.maxConcurrency * 100),
          drainMs: job.execution.drainMs,
          stats,
          ...(input.stopSignal ? { stopSignal: input.stopSignal } : {}),
        },
      );
      // The batch being filled is submitted; a batch API that refuses the run stops it like a provider would.
      await stack.batchMode?.flush(input.stopSignal);
    } catch (error) {
      await checkpoints.stop().catch(() => undefined);
      writer.abort();
      quarantine.abort();
      // A batch the provider would not take stops the run like a provider refusing it (exit 3); what is done is kept.
      if (ApiCallError.isInstance(error) && result) {
        return {
          result: { stopped: { kind: 'provider', message: error.message } },
          writer: undefined,
          quarantine: undefined,
        };
      }
      throw error;
    }
    await checkpoints.stop();
    return { result, writer, quarantine };
  };
}
