// In-run dedupe: identical requests in flight at the same time are sent once and the answer fanned out. Once an
// answer is in, the cache serves later identical rows; this covers the window before it is.

import type { RowOutcome } from './answer-row.js';

export class InFlightDedupe {
  readonly #pending = new Map<string, Promise<RowOutcome>>();

  /** Answers `key` with `ask`, unless the same key is already being asked: then shares that answer. */
  answer(key: string, ask: () => Promise<RowOutcome>): Promise<RowOutcome> {
    const pending = this.#pending.get(key);
    if (pending) return pending.then((outcome) => ({ ...outcome, cached: true }));
    const asked = ask().finally(() => this.#pending.delete(key));
    this.#pending.set(key, asked);
    return asked;
  }

  get size(): number {
    return this.#pending.size;
  }
}
