// Bounded concurrency: at most `limit` rows in flight. The fast path (a free slot) allocates nothing; waiters
// are served first-come. The limit can change while running, so adaptive concurrency can drive it.

export class Slots {
  #limit: number;
  #active = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get limit(): number {
    return this.#limit;
  }

  set limit(value: number) {
    this.#limit = Math.max(1, Math.floor(value));
    this.#wake();
  }

  /** Resolves when a slot is held. Returns undefined (no promise) when one is free at once. */
  acquire(): Promise<void> | undefined {
    if (this.#active < this.#limit && this.#waiters.length === 0) {
      this.#active++;
      return undefined;
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    this.#active--;
    this.#wake();
  }

  #wake(): void {
    while (this.#active < this.#limit && this.#waiters.length > 0) {
      this.#active++;
      this.#waiters.shift()!();
    }
  }
}
