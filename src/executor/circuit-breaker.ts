// An outage is the provider's, not the rows': when calls fail for reasons that are the provider's (connections refused
// or reset, timeouts, 5xx, 529 overloaded) several at once, the breaker opens. Nothing more is dispatched; one call at a
// time probes, with pauses that double from half a second to 30 s; the first answer closes the breaker and every
// waiting call goes at once. Calls caught in the outage are asked again and cost their rows no attempt (`excuses`).
// An outage longer than `maxOutageMs` ends the run with the endpoint and its last error, leaving the unanswered rows
// for the next run; an endpoint that has never answered gets `startupMs` only, so a wrong `--base-url` stops the
// run in seconds instead of failing every row of the table.

import { ApiCallError } from '../providers/errors/api-call-error.js';
import type { ChatProvider } from '../providers/provider.js';
import { isRateLimited } from './retry.js';

export interface CircuitBreakerOptions {
  /** The endpoint, as the user gave it (for the message that ends the run). */
  readonly endpoint: string;
  /** How long an outage may last before the run stops (`--max-outage`). */
  readonly maxOutageMs: number;
  /** The same, while the provider has not answered once in this run. @default 10000 */
  readonly startupMs?: number;
  readonly now: () => number;
  /** Told when the breaker opens (with the error that opened it) and closes (with how long it was open). */
  readonly onChange?: (event: OutageEvent) => void;
}

export type OutageEvent =
  | { readonly kind: 'down'; readonly endpoint: string; readonly error: string }
  | { readonly kind: 'up'; readonly endpoint: string; readonly pausedMs: number };

/** The run stops: the provider has been unreachable for too long. */
export class ProviderOutageError extends ApiCallError {}

/** A call's admission: whether it is the probe, and the breaker's epoch when it went. */
export interface Ticket {
  readonly probe: boolean;
  readonly epoch: number;
}

/** Consecutive provider faults that open the breaker; or this share of the last `WINDOW` calls. */
const TRIP_CONSECUTIVE = 5;
const WINDOW = 20;
const TRIP_SHARE = 0.5;
const FIRST_PROBE_MS = 500;
const MAX_PROBE_MS = 30_000;
const STARTUP_MS = 10_000;

/** Failures that say the provider (or the way to it) is down, not that a request was wrong. */
export function isProviderFault(error: unknown): boolean {
  if (!ApiCallError.isInstance(error) || error.stopsRun || !error.isRetryable) return false;
  return error.statusCode === undefined || error.statusCode >= 500;
}

export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #open = false;
  /** When the current run of failures began (the first fault since the last answer). */
  #failingSince: number | undefined;
  #everAnswered = false;
  #consecutive = 0;
  readonly #recent: boolean[] = [];
  /** Errors already counted: rows that shared one call (embeddings pack many texts a request) share its error. */
  readonly #counted = new WeakSet<object>();
  #probeOut = false;
  #nextProbeAt = 0;
  #probeDelayMs = FIRST_PROBE_MS;
  #lastError: ApiCallError | undefined;
  #gaveUp: ProviderOutageError | undefined;
  #wake: { promise: Promise<void>; resolve: () => void } = deferred();
  #timer: NodeJS.Timeout | undefined;
  #openedAt = 0;
  /** Counts the times it opened: an answer to a call admitted before the last opening says nothing of now. */
  #epoch = 0;
  /** Outages seen, and the time spent in them (ms). */
  outages = 0;
  outageMs = 0;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
  }

  /** Time spent in outages, the one still going included (a run that stops during an outage was paused too). */
  get pausedMs(): number {
    return this.outageMs + (this.#open ? this.#options.now() - this.#openedAt : 0);
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /**
   * Resolves when a call may go: at once while closed; while open, when it is this call's turn to probe or the breaker
   * has closed. Rejects with `ProviderOutageError` once the outage has lasted too long. The ticket goes back with the
   * call's outcome.
   */
  async admit(signal?: AbortSignal): Promise<Ticket> {
    for (;;) {
      this.#checkGiveUp();
      if (this.#gaveUp) throw this.#gaveUp;
      if (!this.#open) return { probe: false, epoch: this.#epoch };
      if (!this.#probeOut && this.#options.now() >= this.#nextProbeAt) {
        this.#probeOut = true;
        return { probe: true, epoch: this.#epoch };
      }
      signal?.throwIfAborted();
      await this.#waitForChange(signal);
    }
  }

  /** The provider answered the call (any answer but a fault or a 429 says it is up). */
  answered(ticket: Ticket): void {
    this.#everAnswered = true;
    if (ticket.probe) this.#probeOut = false;
    // An answer to a call sent before the outage began (slow, or queued) does not say the provider is back.
    if (ticket.epoch < this.#epoch) return;
    this.#consecutive = 0;
    this.#failingSince = undefined;
    this.#record(false);
    if (this.#open) this.#close();
  }

  /** The call failed. */
  failed(error: unknown, ticket: Ticket): void {
    const { probe } = ticket;
    if (probe) this.#probeOut = false;
    if (!isProviderFault(error)) {
      // An HTTP answer other than a 429 says the provider is up. A 429 (busy: the limiter's business), a call cut
      // off, or a request refused before it was sent say nothing.
      const answeredBy = ApiCallError.isInstance(error) && error.statusCode !== undefined && !isRateLimited(error);
      if (answeredBy) this.answered(ticket);
      else if (probe) this.#changed();
      return;
    }
    // One failed call is one fault, however many rows were waiting on it.
    if (this.#counted.has(error as object)) return;
    this.#counted.add(error as object);
    const now = this.#options.now();
    this.#lastError = error as ApiCallError;
    this.#failingSince ??= now;
    this.#consecutive++;
    this.#record(true);
    if (this.#open) {
      if (probe) {
        this.#probeDelayMs = Math.min(MAX_PROBE_MS, this.#probeDelayMs * 2);
        this.#nextProbeAt = now + this.#probeDelayMs;
      }
      this.#checkGiveUp();
      this.#changed();
      return;
    }
    const faults = this.#recent.filter(Boolean).length;
    if (this.#consecutive >= TRIP_CONSECUTIVE || (faults >= TRIP_CONSECUTIVE && faults >= WINDOW * TRIP_SHARE)) {
      this.#trip(now);
    }
  }

  /** Whether a failed call costs its row no attempt: a 429, or a fault while the provider is down. */
  excuses(error: ApiCallError): boolean {
    return isRateLimited(error) || (this.#open && isProviderFault(error));
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #trip(now: number): void {
    this.#open = true;
    this.#epoch++;
    this.#openedAt = now;
    this.outages++;
    this.#probeDelayMs = FIRST_PROBE_MS;
    this.#nextProbeAt = now + FIRST_PROBE_MS;
    this.#changed();
    const error = this.#lastError?.message ?? 'no answer';
    this.#options.onChange?.({ kind: 'down', endpoint: this.#options.endpoint, error });
  }

  #close(): void {
    this.#open = false;
    const pausedMs = this.#options.now() - this.#openedAt;
    this.outageMs += pausedMs;
    this.#changed();
    this.#options.onChange?.({ kind: 'up', endpoint: this.#options.endpoint, pausedMs });
  }

  #checkGiveUp(): void {
    if (this.#gaveUp || !this.#open || this.#failingSince === undefined) return;
    const limit = this.#everAnswered
      ? this.#options.maxOutageMs
      : Math.min(this.#options.maxOutageMs, this.#options.startupMs ?? STARTUP_MS);
    const lasted = this.#options.now() - this.#failingSince;
    if (lasted < limit) return;
    const seconds = Math.round(lasted / 1000);
    const last = this.#lastError?.message ?? 'no answer';
    this.#gaveUp = new ProviderOutageError({
      message: this.#everAnswered
        ? `the provider at ${this.#options.endpoint} has not answered for ${seconds} s (--max-outage): ${last}. ` +
          'Rows not answered are left for the next run: run the same command again once it is back'
        : `the provider at ${this.#options.endpoint} did not answer in ${seconds} s: ${last}. Check --base-url, ` +
          'the network and the server; no row was recorded, so the same command starts over',
      isRetryable: false,
      stopsRun: true,
      cause: this.#lastError,
    });
    this.#changed();
  }

  #record(fault: boolean): void {
    this.#recent.push(fault);
    if (this.#recent.length > WINDOW) this.#recent.shift();
  }

  #changed(): void {
    // The next waiter arms a timer for the new state's next event.
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const { resolve } = this.#wake;
    this.#wake = deferred();
    resolve();
  }

  /** Waits for a state change, the next probe's turn, or the give-up time, whichever comes first. */
  async #waitForChange(signal: AbortSignal | undefined): Promise<void> {
    if (!this.#timer) {
      const now = this.#options.now();
      const giveUpAt =
        (this.#failingSince ?? now) +
        (this.#everAnswered ? this.#options.maxOutageMs : (this.#options.startupMs ?? STARTUP_MS));
      const at = Math.min(this.#probeOut ? Infinity : this.#nextProbeAt, giveUpAt);
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.#changed();
        },
        Math.max(1, Math.min(MAX_PROBE_MS, at - now)),
      );
    }
    const wake = this.#wake.promise;
    if (!signal) return wake;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      void wake.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The breaker in front of a provider: every call is admitted by it and reports to it. */
export function withCircuitBreaker(provider: ChatProvider, breaker: CircuitBreaker): ChatProvider {
  return {
    ...provider,
    unsupportedSchemaParts: (schema) => provider.unsupportedSchemaParts(schema),
    async doGenerate(request, options) {
      const ticket = await breaker.admit(options.signal);
      try {
        const result = await provider.doGenerate(request, options);
        breaker.answered(ticket);
        return result;
      } catch (error) {
        breaker.failed(error, ticket);
        throw error;
      }
    },
    close: () => provider.close(),
  };
}
