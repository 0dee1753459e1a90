import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatRequest } from '../providers/provider.js';
import { Budget, BudgetExceededError, UNBOUNDED_OUTPUT_TOKENS } from './budget.js';
import { countPromptTokens } from './count-tokens.js';
import type { ModelPrice } from './prices.js';

// A dollar per input token and two per output token, so costs are whole numbers of dollars.
const price: ModelPrice = { input: 1_000_000, output: 2_000_000, batchDiscount: 0.5 };

const request = (maxTokens?: number): ChatRequest => ({
  model: 'm',
  system: 'Answer yes or no.',
  messages: [{ role: 'user', content: 'Is the sky blue on a clear day?' }],
  ...(maxTokens === undefined ? {} : { maxTokens }),
});

const promptTokens = countPromptTokens(request());

/** Whether `reserve` throws BudgetExceededError. */
function refuses(budget: Budget, maxTokens: number): boolean {
  try {
    budget.reserve(request(maxTokens));
    return false;
  } catch (error) {
    if (error instanceof BudgetExceededError) return true;
    throw error;
  }
}

describe('budget', () => {
  test('the prompt is counted as more than nothing', () => {
    assert.ok(promptTokens > 0);
    assert.ok(promptTokens > countPromptTokens({ model: 'm', messages: [{ role: 'user', content: 'Is it?' }] }));
  });

  test('a reservation is the prompt tokens plus max_tokens at the price', () => {
    const budget = new Budget(1_000_000, price, 0);
    assert.deepEqual(budget.reserve(request(10)), { worstCase: promptTokens + 2 * 10 });
  });

  test('without max_tokens the output is reserved at the unbounded bound', () => {
    const budget = new Budget(1_000_000, price, 0);
    assert.deepEqual(budget.reserve(request()), { worstCase: promptTokens + 2 * UNBOUNDED_OUTPUT_TOKENS });
  });

  test('reservations add up, and the one that would pass the limit is refused', () => {
    const worstCase = promptTokens + 2 * 10;
    const budget = new Budget(2 * worstCase, price, 0);
    assert.deepEqual([refuses(budget, 10), refuses(budget, 10), refuses(budget, 10)], [false, false, true]);
  });

  test('the refusal is a BudgetExceededError that names the budget and what is spent and in flight', () => {
    const worstCase = promptTokens + 2 * 10;
    const budget = new Budget(worstCase + 5, price, 0);
    budget.reserve(request(10));
    assert.throws(
      () => budget.reserve(request(10)),
      (error: unknown) => {
        assert.ok(error instanceof BudgetExceededError);
        assert.equal(error.name, 'BudgetExceededError');
        assert.equal(
          error.message,
          `budget of $${(worstCase + 5).toFixed(2)} reached: $0.0000 spent, $${worstCase.toFixed(4)} at most in flight; ` +
            'run again with a larger --budget to go on',
        );
        return true;
      },
    );
  });

  test('a refused reservation reserves nothing', () => {
    const worstCase = promptTokens + 2 * 10;
    const budget = new Budget(worstCase, price, 0);
    assert.deepEqual([refuses(budget, 1000), refuses(budget, 10)], [true, false]);
  });

  test('settling releases the reservation and spends the actual cost', () => {
    const worstCase = promptTokens + 2 * 10;
    const budget = new Budget(worstCase + 11, price, 0);
    const reservation = budget.reserve(request(10));
    assert.equal(refuses(budget, 10), true);
    budget.settle(reservation, 3, 4);
    assert.equal(budget.spent, 3 + 2 * 4);
    // 11 spent and nothing in flight: exactly one more worst case fits.
    assert.deepEqual([refuses(budget, 10), refuses(budget, 0)], [false, true]);
  });

  test('a failed call settled with no usage spends nothing', () => {
    const budget = new Budget(1_000_000, price, 0);
    budget.settle(budget.reserve(request(10)), 0, 0);
    assert.equal(budget.spent, 0);
  });

  test('what earlier runs spent counts against the limit', () => {
    const worstCase = promptTokens + 2 * 10;
    const fresh = new Budget(worstCase, price, 0);
    const resumed = new Budget(worstCase, price, 1);
    assert.deepEqual([resumed.spent, refuses(fresh, 10), refuses(resumed, 10)], [1, false, true]);
  });
});
