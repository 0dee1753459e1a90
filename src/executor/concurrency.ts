// Self-tuning concurrency: how many requests to keep in flight. With a known rate limit, Little's law sizes it
// (in flight = allowed rate × observed latency, plus headroom). It starts at 32; once answers come back with no
// limit in their headers and the slots are full, it goes to `max`. A 429 halves it, and from then on it grows back
// by an eighth per tick (AIMD). The latency is a moving
// average, so the size follows the provider when it slows down or speeds up.

import type { Limiter } from './rate-limiter.js';
import type { Slots } from './slots.js';

export interface ConcurrencyOptions {
  /** A fixed size (the user's `--concurrency N`); undefined: tune it. */
  readonly fixed: number | undefined;
  /** The ceiling when tuning (`--max-concurrency`). */
  readonly max: number;
}

const START = 32;
/** Above Little's law's figure, to absorb latency jitter. */
const HEADROOM = 1.5;
const TICK_MS = 100;

export class ConcurrencyController {
  readonly #slots: Slots;
  readonly #limiter: Limiter;
  readonly #options: ConcurrencyOptions;
  #latencyMs: number | undefined;
  #refusedSinceTick = false;
  /** After a refusal, growth is additive (probing back up), never a jump to the ceiling. */
  #everRefused = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(slots: Slots, limiter: Limiter, options: ConcurrencyOptions) {
    this.#slots = slots;
    this.#limiter = limiter;
    this.#options = options;
    slots.limit = options.fixed ?? Math.min(START, options.max);
    if (options.fixed === undefined) {
      this.#timer = setInterval(() => this.tick(), TICK_MS);
      this.#timer.unref();
    }
  }

  get limit(): number {
    return this.#slots.limit;
  }

  /** One call finished after `latencyMs`; `refused` when it was a 429. */
  completed(latencyMs: number, refused: boolean): void {
    const first = this.#latencyMs === undefined;
    this.#latencyMs = first ? latencyMs : this.#latencyMs! * 0.9 + latencyMs * 0.1;
    if (refused) {
      this.#refusedSinceTick = true;
      this.#everRefused = true;
    }
    // The first answer says whether the provider has limits: act on it now rather than at the next tick.
    if (first && !refused && this.#options.fixed === undefined) this.tick();
  }

  tick(): void {
    if (this.#options.fixed !== undefined) return;
    const current = this.#slots.limit;
    const rate = this.#limiter.allowedRequestRate();
    let next = current;
    if (this.#refusedSinceTick) {
      next = Math.floor(current / 2);
    } else if (rate !== undefined && this.#latencyMs !== undefined) {
      next = Math.ceil((rate * this.#latencyMs * HEADROOM) / 1000) + 1;
    } else if (this.#latencyMs !== undefined && this.#slots.active >= current) {
      // Answers came back without any limit in their headers (a self-hosted server, the simulator unlimited) and
      // the slots are full: nothing says to hold back, so go to the ceiling; after a refusal, probe back up by an
      // eighth per tick instead. Before the first answer, wait: its headers may carry the limits.
      next = this.#everRefused ? current + Math.max(1, Math.floor(current / 8)) : this.#options.max;
    }
    this.#slots.limit = Math.max(1, Math.min(this.#options.max, next));
    this.#refusedSinceTick = false;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
