// One row's request, asked until it yields a valid answer or a recorded reason: call (with retries), parse and
// validate, one repair turn showing the model its answer and the error, then accept, or mark `invalid`.

import { BudgetExceededError } from '../cost/budget.js';
import type { CompiledSchema } from '../output/answer-schema.js';
import { parseAnswer } from '../output/parse-answer.js';
import { truncationError } from '../output/truncated-answer.js';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { ChatProvider, ChatRequest, ChatResult } from '../providers/provider.js';
import { BatchDeferred } from './batch-mode.js';
import { ProviderOutageError } from './circuit-breaker.js';
import { withRetry, type RetryDeps, type RetryEvent, type RetryPolicy } from './retry.js';

/** An answered row's status: what the run state records. */
export type RowStatus = 'ok' | 'failed' | 'invalid';
/** A row's outcome in a run: answered, or `skipped` (it failed a data check: left unasked, and never recorded, so a
 * run whose data passes asks it). */
export type OutcomeStatus = RowStatus | 'skipped';

export interface RowOutcome {
  readonly status: OutcomeStatus;
  /** The validated answer object (with a schema) or text (without). */
  readonly answer?: Record<string, unknown> | string;
  readonly error?: string;
  /** The last raw answer text, kept for `invalid` rows (quarantine). */
  readonly raw?: string;
  readonly attempts: number;
  readonly latencyMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Of those tokens, the ones a Batch API answered (paid at its discount). */
  readonly batchInputTokens?: number;
  readonly batchOutputTokens?: number;
  readonly model: string;
  readonly providerRequestId?: string;
  /** True when the row caused no paid call: every answer came from the cache, or from an identical request. */
  readonly cached: boolean;
  /**
   * Set with `cached` when another row of this run paid for the answers (an identical request in flight, or cached
   * during this run); unset when they came from answers cached before the run.
   */
  readonly duplicate?: boolean;
  /** When the outcome was reached (ms since the epoch). */
  readonly finishedAt: number;
  /** Taken from the run state of an earlier run, not answered in this one. */
  readonly resumed?: boolean;
  /** Set when the failure is the run's, not the row's (bad key, unknown model): the run stops. */
  readonly stopsRun?: boolean;
  /** Why the run stops: the provider refused it, was down too long, or the budget is spent. */
  readonly stopKind?: 'provider' | 'outage' | 'budget';
  /** The row's answer is in a provider batch not yet collected: it is left for a later pass, not recorded. */
  readonly deferred?: boolean;
  /** A failure the provider answered with an HTTP status (a refusal such as 400), for telling the run's errors from
   * the row's. */
  readonly statusCode?: number;
  /**
   * The answer was cut off at max_tokens (finish reason `length`): `error` says so. With a schema the row is
   * `invalid`; a free-text answer stays `ok` with the text it has.
   */
  readonly truncated?: boolean;
}

export interface AnswerRowDeps extends RetryDeps {
  readonly provider: ChatProvider;
  /** Asked for the repair turn instead of `provider` (batch mode repairs online). */
  readonly repairProvider?: ChatProvider;
  readonly schema: CompiledSchema | undefined;
  readonly retry: RetryPolicy;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  readonly onRetry?: (event: RetryEvent) => void;
  /** Failures that cost no attempt (default: 429s; with a circuit breaker, faults during an outage too). */
  readonly excused?: (error: ApiCallError) => boolean;
}

/** An outcome of a row that was asked (not skipped): one the run state records. */
export type AnsweredOutcome = RowOutcome & { readonly status: RowStatus };

export function isAnswered(outcome: RowOutcome): outcome is AnsweredOutcome {
  return outcome.status !== 'skipped';
}

/** A row left unasked because it failed a data check (`--expect-action skip`): the rule is its error. */
export function skippedOutcome(rule: string, finishedAt: number): RowOutcome {
  return {
    status: 'skipped',
    error: rule,
    attempts: 0,
    latencyMs: 0,
    inputTokens: 0,
    outputTokens: 0,
    model: '',
    cached: false,
    finishedAt,
  };
}

export async function answerRow(request: ChatRequest, deps: AnswerRowDeps): Promise<RowOutcome> {
  const started = deps.now();
  const tally = { attempts: 0, inputTokens: 0, outputTokens: 0, model: '', cached: true };
  const batchTokens = { batchInputTokens: 0, batchOutputTokens: 0 };
  let duplicate = true;
  const call = async (req: ChatRequest, provider: ChatProvider = deps.provider) => {
    const attempted = await withRetry(() => provider.doGenerate(req, signalOption(deps.signal)), deps.retry, deps, {
      ...signalOption(deps.signal),
      ...(deps.onRetry ? { onRetry: deps.onRetry } : {}),
      ...(deps.excused ? { excused: deps.excused } : {}),
    });
    tally.attempts += attempted.attempts;
    if (attempted.ok) {
      tally.inputTokens += attempted.value.usage.inputTokens;
      tally.outputTokens += attempted.value.usage.outputTokens;
      if (attempted.value.batch) {
        batchTokens.batchInputTokens += attempted.value.usage.inputTokens;
        batchTokens.batchOutputTokens += attempted.value.usage.outputTokens;
      }
      tally.model = attempted.value.model || tally.model;
      tally.cached &&= attempted.value.cached === true;
      duplicate &&= attempted.value.duplicate === true;
    } else {
      tally.cached = false;
    }
    return attempted;
  };
  const finish = (
    fields: Omit<RowOutcome, keyof typeof tally | 'latencyMs' | 'finishedAt'>,
    result?: ChatResult,
  ): RowOutcome => ({
    ...tally,
    ...(batchTokens.batchInputTokens + batchTokens.batchOutputTokens > 0 ? batchTokens : {}),
    ...(tally.cached && duplicate ? { duplicate: true } : {}),
    finishedAt: deps.now(),
    latencyMs: deps.now() - started,
    ...(result?.providerRequestId === undefined ? {} : { providerRequestId: result.providerRequestId }),
    ...fields,
  });

  const first = await call(request);
  if (!first.ok) return finish(failure(first.error));
  if (!deps.schema) {
    const note = truncationError(request, first.value, true);
    return finish({ status: 'ok', answer: first.value.text, ...truncated(note) }, first.value);
  }

  const parsed = parseAnswer(first.value.text, deps.schema);
  if (parsed.ok) return finish({ status: 'ok', answer: parsed.value }, first.value);
  // Cut off by max_tokens: a repair turn has the same limit, and would be cut off again.
  const cut = truncationError(request, first.value);
  if (cut) return finish({ status: 'invalid', raw: first.value.text, ...truncated(cut) }, first.value);

  const second = await call(repairRequest(request, first.value.text, parsed.error), deps.repairProvider);
  if (!second.ok) return finish({ ...failure(second.error), raw: first.value.text });
  const repaired = parseAnswer(second.value.text, deps.schema);
  if (repaired.ok) return finish({ status: 'ok', answer: repaired.value }, second.value);
  const cutAgain = truncationError(request, second.value);
  return finish(
    {
      status: 'invalid',
      raw: second.value.text,
      ...(cutAgain ? truncated(`${cutAgain} (in the repair turn)`) : { error: `${repaired.error} (after one repair)` }),
    },
    second.value,
  );
}

function truncated(error: string | undefined): { error?: string; truncated?: true } {
  return error === undefined ? {} : { error, truncated: true };
}

/** The conversation continued: the model sees its own answer and what was wrong with it. */
export function repairRequest(request: ChatRequest, answer: string, error: string): ChatRequest {
  return {
    ...request,
    messages: [
      ...request.messages,
      { role: 'assistant', content: answer },
      {
        role: 'user',
        content: `Your answer was rejected: ${error}. Reply again with only a JSON document that satisfies the schema.`,
      },
    ],
  };
}

function failure(error: unknown): {
  status: 'failed';
  error: string;
  stopsRun?: boolean;
  stopKind?: 'budget' | 'outage';
  deferred?: boolean;
  statusCode?: number;
} {
  if (BatchDeferred.isInstance(error)) return { status: 'failed', error: error.message, deferred: true };
  if (error instanceof BudgetExceededError) {
    return { status: 'failed', error: error.message, stopsRun: true, stopKind: 'budget' };
  }
  if (error instanceof ProviderOutageError) {
    return { status: 'failed', error: error.message, stopsRun: true, stopKind: 'outage' };
  }
  if (ApiCallError.isInstance(error)) {
    return {
      status: 'failed',
      error: error.message,
      ...(error.stopsRun ? { stopsRun: true } : {}),
      ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    };
  }
  return { status: 'failed', error: error instanceof Error ? error.message : String(error) };
}

function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}
