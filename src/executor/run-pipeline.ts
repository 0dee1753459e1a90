// The row flow, top to bottom: rows stream from the source, each is rendered into a request, answered with
// bounded concurrency, put back in input order and handed to the sink. Stopping (Ctrl-C, a run-level provider
// error) ends dispatch, lets in-flight rows finish for a grace period, then cuts them off; what is done is
// still written, in order.

import { setMaxListeners } from 'node:events';
import type { RunStats } from '../observe/run-stats.js';
import type { ChatRequest } from '../providers/provider.js';
import type { Row, TableSource } from '../table/read-table.js';
import type { RowOutcome } from './answer-row.js';
import { InOrder } from './in-order.js';
import { Slots } from './slots.js';

export interface PipelineStages {
  readonly source: TableSource;
  readonly buildRequest: (row: Row) => ChatRequest;
  /** Answers one request; never rejects (a failure is an outcome). The signal cuts it off at the end of a drain. */
  readonly answer: (request: ChatRequest, signal: AbortSignal) => Promise<RowOutcome>;
  /** Receives finished rows in input order. */
  readonly sink: (index: number, row: Row, outcome: RowOutcome) => void;
}

export interface PipelineControl {
  readonly concurrency: number;
  /** Finished rows allowed to wait for a slow earlier row before dispatch pauses. */
  readonly maxWaiting: number;
  /** Aborted by the user (Ctrl-C): stop dispatching. */
  readonly stopSignal?: AbortSignal;
  /** How long in-flight rows may run on after a stop. */
  readonly drainMs: number;
  readonly stats: RunStats;
}

export type StopReason = { readonly kind: 'interrupted' } | { readonly kind: 'provider'; readonly message: string };

export interface PipelineResult {
  readonly stopped: StopReason | undefined;
}

export async function runPipeline(stages: PipelineStages, control: PipelineControl): Promise<PipelineResult> {
  const { stats } = control;
  const slots = new Slots(control.concurrency);
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

  const inOrder = new InOrder<{ row: Row; outcome: RowOutcome }>(
    (index, { row, outcome }) => stages.sink(index, row, outcome),
    control.maxWaiting,
  );

  const dispatch = (index: number, row: Row) => {
    stats.inFlight++;
    void stages.answer(stages.buildRequest(row), cutOff.signal).then((outcome) => {
      stats.inFlight--;
      slots.release();
      if (outcome.stopsRun) stop({ kind: 'provider', message: outcome.error ?? 'provider error' });
      // A row cut off by the stop, or failed for a reason that is the run's, is not done: it is left out.
      if ((cutOff.signal.aborted && outcome.status === 'failed') || outcome.stopsRun) {
        inOrder.skip(index);
        return;
      }
      stats.count(outcome.status, outcome.inputTokens, outcome.outputTokens);
      inOrder.put(index, { row, outcome });
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
    outer: for await (const batch of stages.source.batches()) {
      for (const row of batch) {
        if (stopped) break outer;
        const waitForSlot = slots.acquire();
        if (waitForSlot) await waitForSlot;
        const waitForRoom = inOrder.room();
        if (waitForRoom) await waitForRoom;
        if (stopped) {
          slots.release();
          break outer;
        }
        dispatch(index++, row);
      }
    }
    await drain();
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
