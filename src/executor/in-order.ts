// Answers arrive out of order; the output keeps input order. Completed rows wait here until every earlier row
// is done, then leave in sequence. Dispatch waits while too many rows are waiting, which bounds memory when one
// row is slow (a long backoff) and the rest race ahead.

export class InOrder<T> {
  readonly #waiting = new Map<number, T>();
  /** Indexes that will never come (interrupted rows): later rows may leave past them. */
  readonly #skipped = new Set<number>();
  readonly #emit: (index: number, value: T) => void;
  readonly #maxWaiting: number;
  #next = 0;
  #roomWaiter: (() => void) | undefined;

  constructor(emit: (index: number, value: T) => void, maxWaiting: number) {
    this.#emit = emit;
    this.#maxWaiting = maxWaiting;
  }

  /** The index of the next row to leave. */
  get next(): number {
    return this.#next;
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  put(index: number, value: T): void {
    if (index === this.#next) {
      this.#emit(index, value);
      this.#next++;
    } else {
      this.#waiting.set(index, value);
    }
    this.#advance();
  }

  skip(index: number): void {
    if (index >= this.#next) this.#skipped.add(index);
    this.#advance();
  }

  /** Resolves when there is room for more rows to be dispatched; undefined when there is room now. */
  room(): Promise<void> | undefined {
    if (this.#waiting.size < this.#maxWaiting) return undefined;
    return new Promise((resolve) => (this.#roomWaiter = resolve));
  }

  #advance(): void {
    for (;;) {
      if (this.#skipped.delete(this.#next)) {
        this.#next++;
        continue;
      }
      const queued = this.#waiting.get(this.#next);
      if (queued === undefined) break;
      this.#waiting.delete(this.#next);
      this.#emit(this.#next, queued);
      this.#next++;
    }
    if (this.#roomWaiter && this.#waiting.size < this.#maxWaiting) {
      const wake = this.#roomWaiter;
      this.#roomWaiter = undefined;
      wake();
    }
  }
}
