// The spending cap (--budget): a call may start only while the money already spent, plus the worst case of every
// call in flight, plus its own worst case (prompt tokens counted, and max_tokens of output) stays within the budget.
// When one may not, dispatch stops, in-flight calls finish, and what is done is written.

import { countPromptTokens } from './count-tokens.js';
import { costOf, type ModelPrice } from './prices.js';
import type { ChatRequest } from '../providers/provider.js';

/** Output tokens assumed for a call without max_tokens: its worst case cannot be known, so a high bound is used. */
export const UNBOUNDED_OUTPUT_TOKENS = 4096;

export class BudgetExceededError extends Error {
  override readonly name = 'BudgetExceededError';
}

export interface BudgetReservation {
  readonly worstCase: number;
}

export class Budget {
  readonly #limit: number;
  readonly #price: ModelPrice;
  #spent: number;
  #reserved = 0;

  /** `spent`: what earlier runs of this job already spent. */
  constructor(limitUsd: number, price: ModelPrice, spent: number) {
    this.#limit = limitUsd;
    this.#price = price;
    this.#spent = spent;
  }

  get spent(): number {
    return this.#spent;
  }

  /** Reserves the call's worst case, or throws BudgetExceededError when it would not fit. */
  /** `batch`: the call goes to a Batch API, priced at its discount. */
  reserve(request: ChatRequest, batch = false): BudgetReservation {
    const worstCase = costOf(
      this.#price,
      countPromptTokens(request),
      request.maxTokens ?? UNBOUNDED_OUTPUT_TOKENS,
      batch,
    );
    if (this.#spent + this.#reserved + worstCase > this.#limit) {
      throw new BudgetExceededError(
        `budget of $${this.#limit.toFixed(2)} reached: $${this.#spent.toFixed(4)} spent, ` +
          `$${this.#reserved.toFixed(4)} at most in flight; run again with a larger --budget to go on`,
      );
    }
    this.#reserved += worstCase;
    return { worstCase };
  }

  /** The call is over: its reservation is released and what it used (if anything) is spent. */
  settle(reservation: BudgetReservation, inputTokens: number, outputTokens: number): void {
    this.#reserved -= reservation.worstCase;
    this.#spent += costOf(this.#price, inputTokens, outputTokens);
  }
}
