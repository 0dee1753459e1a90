// In-run dedupe: identical requests in flight at the same time are sent once and the answer fanned out. Once an
// answer is in, the cache serves later identical rows; this covers the window before it is. A fanned-out answer is
// a duplicate (another row of this run paid for it) unless that row had it from an earlier run's cache, as the
// cache marks a later identical row the same way, whichever comes first.

import type { RowOutcome } from './answer-row.js';

export class InFlightDedupe {
  readonly #pending = new Map<string, Promise<RowOutcome>>();

  /** Answers `key` with `ask`, unless the same key is already being asked: then shares that answer. */
  answer(key: string, ask: () => Promise<RowOutcome>): Promise<RowOutcome> {
    const pending = this.#pending.get(key);
    if (pending) {
      return pending.then((outcome) => ({
        ...outcome,
        cached: true,
        ...(outcome.cached && !outcome.duplicate ? {} : { duplicate: true }),
      }));
    }
    const asked = ask().finally(() => this.#pending.delete(key));
    this.#pending.set(key, asked);
    return asked;
  }

  get size(): number {
    return this.#pending.size;
  }
}
