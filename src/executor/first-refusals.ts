// The same refusal on the first rows of a run is the run's error, not theirs: a wrong model name or a server
// configured wrong answers every request with the same 4xx, and recording that as each row's failure would burn
// through the table. Until the provider has accepted one request, a row refused with a non-retryable 4xx is held
// back (not recorded, not written). The first accepted request releases them as the rows' own failures; a
// `threshold`-th identical refusal stops the run instead, and none of them is recorded, so the same command asks them
// again once the cause is fixed.

import type { RowOutcome } from './answer-row.js';

export type Verdict =
  | { readonly kind: 'pass' }
  | { readonly kind: 'hold' }
  /** The held rows and this one are not rows' failures: the run stops with `message`. */
  | { readonly kind: 'stop'; readonly message: string }
  /** After a stop: one more of the same refusal, to drop as well. */
  | { readonly kind: 'drop' };

export class FirstRefusals<T> {
  readonly #threshold: number;
  #accepted = false;
  #held: { readonly item: T; readonly signature: string }[] = [];
  #stoppedOn: string | undefined;

  constructor(threshold: number) {
    this.#threshold = threshold;
  }

  /** Decides what becomes of an outcome; the caller releases the held items first when told `pass` after holding. */
  offer(item: T, outcome: RowOutcome): Verdict {
    const signature = refusalSignature(outcome);
    if (this.#stoppedOn !== undefined) return signature === this.#stoppedOn ? { kind: 'drop' } : { kind: 'pass' };
    if (signature === undefined) {
      if (outcome.status !== 'failed') this.#accepted = true;
      return { kind: 'pass' };
    }
    if (this.#accepted) return { kind: 'pass' };
    this.#held.push({ item, signature });
    const same = this.#held.filter((held) => held.signature === signature).length;
    if (same < this.#threshold) return { kind: 'hold' };
    this.#stoppedOn = signature;
    return {
      kind: 'stop',
      message:
        `the first ${same} requests were all refused the same way, so the fault is the run's, not the rows' (none ` +
        `was recorded): ${outcome.error ?? `HTTP ${outcome.statusCode}`}`,
    };
  }

  /** Whether anything waits to be released. */
  get holding(): boolean {
    return this.#held.length > 0;
  }

  /** The held items, once the provider has accepted a request (or the run ends): they are the rows' own failures. */
  release(): T[] {
    const items = this.#held.map((held) => held.item);
    this.#held = [];
    return items;
  }

  /** The held items, when the run stops on their refusal: dropped. */
  drop(): T[] {
    return this.release();
  }
}

/** A non-retryable refusal the provider answered with a 4xx (not a 429), with its numbers blanked (a row's token
 * counts must not make two equal refusals differ); undefined for any other outcome. */
function refusalSignature(outcome: RowOutcome): string | undefined {
  const status = outcome.statusCode;
  if (outcome.status !== 'failed' || status === undefined || status < 400 || status >= 500 || status === 429) {
    return undefined;
  }
  if (outcome.stopsRun || outcome.deferred) return undefined;
  return `${status} ${(outcome.error ?? '').replace(/\d+/g, '#')}`;
}
