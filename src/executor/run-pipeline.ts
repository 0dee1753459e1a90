// The row flow, top to bottom: rows stream from the source; each is known by its id and rendered into one request
// per sample; an outcome from an earlier run that still holds is reused, otherwise the request is answered with
// bounded concurrency (identical requests in flight are sent once), recorded in the run state as soon as it is
// reached, put back in input order and handed to the sink. Stopping (Ctrl-C, a run-level provider error) ends
// dispatch, lets in-flight rows finish for a grace period, then cuts them off; what is done is still written. A row
// whose answer is in a provider batch not yet collected (batch mode) is deferred: left out, for a later pass.

import { setMaxListeners } from 'node:events';
import type { RunStats } from '../observe/run-stats.js';
import type { ChatRequest } from '../providers/provider.js';
import { entryKey, type LedgerEntry } from '../store/ledger-store.js';
import type { Row, TableSource } from '../table/read-table.js';
import type { RowOutcome } from './answer-row.js';
import { InFlightDedupe } from './dedupe.js';
import { FirstRefusals } from './first-refusals.js';
import { InOrder } from './in-order.js';
import { Slots } from './slots.js';

/** One answer of the output: a row (one of its samples) and the key of the request that answers it. */
export interface RowRef {
  /** Position in the output. */
  readonly index: number;
  readonly row: Row;
  readonly rowId: string;
  readonly sample: number;
  readonly key: string;
  /** A short hash of the rendered prompt alone (`_prompt_hash`). */
  readonly promptHash: string;
}

/** An answer to ask for: the row and its request. */
export interface RowTask extends RowRef {
  readonly request: ChatRequest;
}

/** An earlier run's outcome that still answers a row, with the address of the request it answered. */
export interface Reused {
  readonly outcome: RowOutcome;
  readonly key: string;
  readonly promptHash: string;
}

export interface PipelineStages {
  readonly source: TableSource;
  readonly samples: number;
  readonly identify: (row: Row) => string;
  readonly buildRequest: (row: Row, sample: number) => ChatRequest;
  readonly address: (request: ChatRequest) => { readonly key: string; readonly promptHash: string };
  /** What earlier runs recorded for these rows, keyed by `entryKey(rowId, sample)`. */
  readonly lookup: (rowIds: readonly string[]) => Promise<ReadonlyMap<string, LedgerEntry>>;
  /** A hint that these request keys are about to be asked (the cache loads them in one go). */
  readonly prefetch: (keys: readonly string[]) => Promise<void>;
  /** The recorded outcome if it still answers this row (same request), else undefined: ask. */
  readonly reuse: (recorded: LedgerEntry, row: Row, sample: number) => Reused | undefined;
  /**
   * The outcome of a row left unasked (it failed a data check), by its position in the input (from 0); undefined:
   * the row is asked. It is neither reused from an earlier run nor recorded.
   */
  readonly skipped?: (position: number) => RowOutcome | undefined;
  /** Answers one task; never rejects (a failure is an outcome). The signal cuts it off at the end of a drain. */
  readonly answer: (task: RowTask, earlier: LedgerEntry | undefined, signal: AbortSignal) => Promise<RowOutcome>;
  /** Records a new outcome in the run state, as soon as it is reached (in any order). */
  readonly record: (task: RowTask, outcome: RowOutcome) => void;
  /** Receives finished rows in output order. */
  readonly sink: (ref: RowRef, outcome: RowOutcome) => void;
}

export interface PipelineControl {
  /** Bounds the requests in flight; its limit may be tuned while the run goes on. */
  readonly slots: Slots;
  /** Finished rows allowed to wait for a slow earlier row before dispatch pauses. */
  readonly maxWaiting: number;
  /** Aborted by the user (Ctrl-C): stop dispatching. */
  readonly stopSignal?: AbortSignal;
  /** How long in-flight rows may run on after a stop. */
  readonly drainMs: number;
  readonly stats: RunStats;
}

export type StopReason =
  | { readonly kind: 'interrupted' }
  | { readonly kind: 'provider'; readonly message: string }
  /** The provider was down for longer than the run may wait (`--max-outage`), or never answered. */
  | { readonly kind: 'outage'; readonly message: string }
  | { readonly kind: 'budget'; readonly message: string };

export interface PipelineResult {
  readonly stopped: StopReason | undefined;
}

interface Answered {
  readonly task: RowTask;
  readonly outcome: RowOutcome;
}

/** Identical refusals on the first rows, before any request was accepted, that make them the run's error. */
const RUN_REFUSAL_THRESHOLD = 10;

export async function runPipeline(stages: PipelineStages, control: PipelineControl): Promise<PipelineResult> {
  const { stats } = control;
  const { slots } = control;
  const dedupe = new InFlightDedupe();
  const cutOff = new AbortController();
  // Every in-flight request listens on this one signal.
  setMaxListeners(0, cutOff.signal);
  let stopped: StopReason | undefined;
  let stoppedAt = 0;
  const stop = (reason: StopReason) => {
    if (stopped) return;
    stopped = reason;
    stoppedAt = Date.now();
  };
  const onUserStop = () => stop({ kind: 'interrupted' });
  control.stopSignal?.addEventListener('abort', onUserStop, { once: true });
  if (control.stopSignal?.aborted) onUserStop();

  const refusals = new FirstRefusals<Answered>(RUN_REFUSAL_THRESHOLD);
  const inOrder = new InOrder<{ ref: RowRef; outcome: RowOutcome }>(
    (_, { ref, outcome }) => stages.sink(ref, outcome),
    control.maxWaiting,
  );

  const settle = ({ task, outcome }: Answered) => {
    stages.record(task, outcome);
    stats.count(outcome);
    inOrder.put(task.index, { ref: task, outcome });
  };
  const dispatch = (task: RowTask, earlier: LedgerEntry | undefined) => {
    stats.inFlight++;
    const dispatchedAt = performance.now();
    void dedupe
      .answer(task.key, () => stages.answer(task, earlier, cutOff.signal))
      .then((outcome) => {
        stats.inFlight--;
        stats.timeToAnswer.observe(performance.now() - dispatchedAt);
        slots.release();
        if (outcome.stopsRun) {
          const message = outcome.error ?? 'provider error';
          stop({ kind: outcome.stopKind ?? 'provider', message });
        }
        // A row cut off by the stop, or failed for a reason that is the run's, is not done: it is left out, and
        // not recorded, so the next run asks it again.
        if ((cutOff.signal.aborted && outcome.status === 'failed') || outcome.stopsRun) {
          inOrder.skip(task.index);
          return;
        }
        // Its answer is in a provider batch: a later pass (or run) takes it from there.
        if (outcome.deferred) {
          stats.deferred++;
          inOrder.skip(task.index);
          return;
        }
        const verdict = refusals.offer({ task, outcome }, outcome);
        switch (verdict.kind) {
          case 'hold':
            return;
          case 'drop':
            return inOrder.skip(task.index);
          case 'stop':
            stop({ kind: 'provider', message: verdict.message });
            for (const held of refusals.drop()) inOrder.skip(held.task.index);
            return;
          case 'pass':
            for (const held of refusals.release()) settle(held);
            settle({ task, outcome });
        }
      });
  };

  // Waits for in-flight rows; once stopped, only for the grace period, then cuts off whatever still runs.
  const drain = async () => {
    while (slots.active > 0) {
      if (stopped && Date.now() >= stoppedAt + control.drainMs) cutOff.abort();
      await new Promise<void>((resolve) => setTimeout(resolve, 10));
    }
  };

  try {
    let index = 0;
    let position = 0;
    outer: for await (const batch of stages.source.batches()) {
      // Plan the batch: what earlier runs answered is reused; the rest become tasks, whose keys the cache loads at once.
      const rowIds = batch.map(stages.identify);
      const earlier = await stages.lookup([...new Set(rowIds)]);
      const planned: ({ ref: RowRef; outcome: RowOutcome } | { task: RowTask; recorded: LedgerEntry | undefined })[] =
        [];
      const keys: string[] = [];
      for (let i = 0; i < batch.length; i++) {
        const row = batch[i]!;
        const rowId = rowIds[i]!;
        const skipped = stages.skipped?.(position++);
        for (let sample = 0; sample < stages.samples; sample++) {
          if (skipped) {
            const { key, promptHash } = stages.address(stages.buildRequest(row, sample));
            planned.push({ ref: { index: index++, row, rowId, sample, key, promptHash }, outcome: skipped });
            continue;
          }
          const recorded = earlier.get(entryKey(rowId, sample));
          const reused = recorded && stages.reuse(recorded, row, sample);
          if (reused) {
            const ref = { index: index++, row, rowId, sample, key: reused.key, promptHash: reused.promptHash };
            planned.push({ ref, outcome: reused.outcome });
            continue;
          }
          const request = stages.buildRequest(row, sample);
          const { key, promptHash } = stages.address(request);
          planned.push({ task: { index: index++, row, rowId, sample, request, key, promptHash }, recorded });
          keys.push(key);
        }
      }
      if (keys.length > 0) await stages.prefetch(keys);

      for (const item of planned) {
        if (stopped) break outer;
        const waitForRoom = inOrder.room();
        if (waitForRoom) await waitForRoom;
        if ('outcome' in item) {
          stats.count(item.outcome);
          inOrder.put(item.ref.index, item);
          continue;
        }
        const waitForSlot = slots.acquire();
        if (waitForSlot) await waitForSlot;
        if (stopped) {
          slots.release();
          break outer;
        }
        dispatch(item.task, item.recorded);
      }
    }
    await drain();
    // Refusals held back while nothing had been accepted yet (a small table, all refused): the rows' own failures,
    // unless the run stopped, in which case the next run asks them again.
    for (const held of refusals.release()) {
      if (stopped) inOrder.skip(held.task.index);
      else settle(held);
    }
  } catch (error) {
    // The source failed mid-stream: nothing more can be written in order, so in-flight rows are cut off.
    cutOff.abort();
    await drain();
    throw error;
  } finally {
    control.stopSignal?.removeEventListener('abort', onUserStop);
  }
  return { stopped };
}
