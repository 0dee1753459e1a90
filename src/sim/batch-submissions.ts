// What the two simulated batch APIs share: counting what was submitted, so a test can see a request sent in two
// batches, and how much of an expiring batch gets done.
import type { DialectReply } from './provider-dialect.js';

/** Share of an expiring batch's items that are done when it expires. */
export const DONE_BEFORE_EXPIRY = 0.7;

export interface BatchStats {
  /** Batches created (OpenAI's validation failures included). */
  readonly created: number;
  /** Requests in the batches created. */
  readonly requests: number;
  /** custom_ids that appeared in more than one batch: a request submitted twice. */
  readonly resubmitted: number;
}

export interface SubmissionCounter {
  /** Counts one created batch holding these custom_ids. */
  record(customIds: readonly string[]): void;
  stats(): BatchStats;
  reset(): void;
}

export function createSubmissionCounter(): SubmissionCounter {
  const seen = new Map<string, number>();
  let counts = { created: 0, requests: 0, resubmitted: 0 };
  return {
    record(customIds) {
      counts.created++;
      counts.requests += customIds.length;
      for (const id of customIds) {
        const times = (seen.get(id) ?? 0) + 1;
        seen.set(id, times);
        if (times === 2) counts.resubmitted++;
      }
    },
    stats: () => ({ ...counts }),
    reset() {
      counts = { created: 0, requests: 0, resubmitted: 0 };
      seen.clear();
    },
  };
}

/** A 200 reply with `value` as its JSON body. */
export function jsonReply(value: unknown): DialectReply {
  return { status: 200, body: JSON.stringify(value) };
}
