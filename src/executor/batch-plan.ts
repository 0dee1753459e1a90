// Choosing between online calls and a Batch API (`--mode auto --deadline`), and when a batch run must give up on its
// batches so that what is left can still be done online before the deadline.

import type { BatchSettings } from '../job/job.js';

/** The providers' completion window: a batch is only promised to end within 24 hours. */
export const BATCH_WINDOW_MS = 24 * 3600 * 1000;

export interface BatchPlan {
  readonly batch: boolean;
  /** When live batches are cancelled and what they did not finish goes online (ms since the epoch). */
  readonly cutoffAt: number | undefined;
  /** One line for the run's notes: what was chosen, and why. */
  readonly note: string;
}

export interface PlanInput {
  readonly settings: BatchSettings;
  readonly now: number;
  /** Requests the job may still have to ask. */
  readonly requests: number;
  /** Requests per minute online, when known (--rpm). */
  readonly rpm: number | undefined;
  /** When the job's oldest batch still in flight was submitted: the deadline counts from there. */
  readonly firstBatchAt: number | undefined;
}

export function planBatch({ settings, now, requests, rpm, firstBatchAt }: PlanInput): BatchPlan {
  if (settings.mode === 'online') return { batch: false, cutoffAt: undefined, note: '' };
  if (settings.deadlineMs === undefined) {
    return {
      batch: true,
      cutoffAt: undefined,
      note:
        settings.mode === 'auto'
          ? 'mode auto without --deadline: batch (half price, within 24 h)'
          : 'mode batch: half price, within 24 h',
    };
  }
  const deadlineAt = (firstBatchAt ?? now) + settings.deadlineMs;
  // Time to do everything online at the known rate, or (unknown) half of what is left.
  const left = Math.max(0, deadlineAt - now);
  const onlineMs = rpm === undefined ? left / 2 : (requests / rpm) * 60_000;
  const cutoffAt = deadlineAt - onlineMs;
  const at = new Date(cutoffAt).toISOString();
  if (settings.mode === 'batch') {
    return {
      batch: true,
      cutoffAt,
      note: `mode batch with a deadline: batches still running at ${at} are cancelled and finished online`,
    };
  }
  if (left >= BATCH_WINDOW_MS + onlineMs) {
    return { batch: true, cutoffAt, note: 'mode auto: the deadline allows the 24 h batch window: batch (half price)' };
  }
  if (cutoffAt <= now) {
    return { batch: false, cutoffAt: undefined, note: 'mode auto: the deadline leaves no time for a batch: online' };
  }
  return {
    batch: true,
    cutoffAt,
    note:
      `mode auto: the deadline is inside the 24 h batch window: batch until ${at}, then what is not done goes online` +
      (rpm === undefined ? ' (half the time is kept for it; give --rpm to size it)' : ` (at ${rpm} requests/min)`),
  };
}
