import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { InputError } from '../job/input-error.js';
import {
  costOf,
  costOfSpend,
  DEFAULT_PRICES,
  isFree,
  loadPrices,
  paidPriceOf,
  priceOf,
  type ModelPrice,
  type PriceTable,
} from './prices.js';

const dir = mkdtempSync(join(tmpdir(), 'llmap-prices-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes `content` (JSON unless a string) to a fresh file and returns its path. */
function pricesFile(content: unknown): string {
  const path = join(dir, `prices-${++files}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const table: PriceTable = {
  asOf: 'test',
  models: {
    'openai:gpt-4o': { input: 2.5, output: 10, batchDiscount: 0.5 },
    'openai:gpt-4o-mini': { input: 0.15, output: 0.6, batchDiscount: 0.5 },
    'anthropic:gpt-4o': { input: 99, output: 99, batchDiscount: 0.5 },
  },
};

describe('priceOf', () => {
  test('finds a model by its exact name', () => {
    assert.deepEqual(priceOf(table, 'openai', 'gpt-4o'), { input: 2.5, output: 10, batchDiscount: 0.5 });
  });

  test('a dated model id takes its longest listed prefix', () => {
    assert.deepEqual(
      [priceOf(table, 'openai', 'gpt-4o-mini-2024-07-18'), priceOf(table, 'openai', 'gpt-4o-2024-08-06')],
      [
        { input: 0.15, output: 0.6, batchDiscount: 0.5 },
        { input: 2.5, output: 10, batchDiscount: 0.5 },
      ],
    );
  });

  test('a prefix matches only at a dash', () => {
    assert.equal(priceOf(table, 'openai', 'gpt-4omega'), undefined);
  });

  test('another model of the same family (a -pro or -mini suffix) is not priced as its base model', () => {
    assert.deepEqual(
      ['gpt-5-pro', 'o3-pro', 'gpt-4o-mini-2024-07-18', 'gpt-4o-2024-08-06'].map(
        (model) => priceOf(DEFAULT_PRICES, 'openai', model)?.input,
      ),
      [undefined, undefined, 0.15, 2.5],
    );
  });

  test('an unknown model is undefined', () => {
    assert.equal(priceOf(table, 'openai', 'davinci-002'), undefined);
  });

  test('the provider is part of the name', () => {
    assert.deepEqual(
      [priceOf(table, 'anthropic', 'gpt-4o')?.input, priceOf(table, 'other', 'gpt-4o')],
      [99, undefined],
    );
  });

  test('the default table prices dated ids of the models it lists', () => {
    assert.deepEqual(
      [
        priceOf(DEFAULT_PRICES, 'openai', 'gpt-4o-mini-2024-07-18'),
        priceOf(DEFAULT_PRICES, 'anthropic', 'claude-opus-4-5-20251101'),
        priceOf(DEFAULT_PRICES, 'anthropic', 'gpt-4o-mini'),
      ],
      [DEFAULT_PRICES.models['openai:gpt-4o-mini'], DEFAULT_PRICES.models['anthropic:claude-opus-4-5'], undefined],
    );
  });
});

describe('costOf', () => {
  const price: ModelPrice = { input: 2.5, output: 10, batchDiscount: 0.5 };

  test('charges input and output tokens per million', () => {
    assert.deepEqual(
      [costOf(price, 1_000_000, 0), costOf(price, 0, 1_000_000), costOf(price, 200_000, 50_000), costOf(price, 0, 0)],
      [2.5, 10, 1, 0],
    );
  });

  test('the batch price takes off the batch discount', () => {
    assert.deepEqual(
      [
        costOf(price, 1_000_000, 1_000_000, true),
        costOf(price, 1_000_000, 1_000_000, false),
        costOf({ ...price, batchDiscount: 0.25 }, 1_000_000, 0, true),
      ],
      [6.25, 12.5, 1.875],
    );
  });
});

describe('what a run pays', () => {
  test('a local model costs nothing, unless the table prices it', () => {
    const local = paidPriceOf(DEFAULT_PRICES, 'llama', 'models/qwen2.5-1.5b-instruct-q4_k_m.gguf');
    assert.ok(local && isFree(local));
    assert.equal(priceOf(DEFAULT_PRICES, 'llama', 'models/qwen.gguf'), undefined);
    const priced: PriceTable = {
      asOf: 'x',
      models: { 'llama:models/qwen.gguf': { input: 0.01, output: 0.02, batchDiscount: 0 } },
    };
    assert.equal(paidPriceOf(priced, 'llama', 'models/qwen.gguf')?.output, 0.02);
    assert.equal(paidPriceOf(DEFAULT_PRICES, 'openai', 'my-finetune'), undefined);
  });

  test("a job's spend prices each model's tokens at that model's price, and names the ones it cannot price", () => {
    const tokens = (model: string, input: number, output: number, batch = 0) => ({
      model,
      inputTokens: input,
      outputTokens: output,
      batchInputTokens: batch,
      batchOutputTokens: 0,
    });
    const spend = costOfSpend(DEFAULT_PRICES, [
      tokens('llama:stories260K.gguf', 5_000_000, 5_000_000),
      tokens('openai:gpt-4o-mini', 1_000_000, 1_000_000, 1_000_000),
      tokens('anthropic:claude-sonnet-4-5', 1_000_000, 0),
      tokens('openai:my-finetune', 10, 10),
      tokens('', 1, 1),
    ]);
    // gpt-4o-mini: the input at half price (batch), the output at 0.60; sonnet's input at 3.
    assert.ok(Math.abs(spend.usd - (0.075 + 0.6 + 3)) < 1e-12, String(spend.usd));
    assert.deepEqual(spend.unpriced, ['openai:my-finetune', 'an unrecorded model']);
  });
});

describe('loadPrices', () => {
  test('no file is the default table', () => {
    assert.equal(loadPrices(undefined), DEFAULT_PRICES);
  });

  test('a file overrides listed models and adds new ones, keeping the rest', () => {
    const path = pricesFile({
      asOf: '2026-01-01',
      models: {
        'openai:gpt-4o': { input: 1, output: 2 },
        'openai:house-model': { input: 3, output: 4, batchDiscount: 0.25 },
      },
    });
    const loaded = loadPrices(path);
    assert.deepEqual(loaded, {
      asOf: '2026-01-01',
      models: {
        ...DEFAULT_PRICES.models,
        'openai:gpt-4o': { input: 1, output: 2, batchDiscount: 0.5 },
        'openai:house-model': { input: 3, output: 4, batchDiscount: 0.25 },
      },
    });
    assert.deepEqual(
      [priceOf(loaded, 'openai', 'gpt-4o-2024-08-06'), priceOf(loaded, 'openai', 'gpt-4o-mini')],
      [{ input: 1, output: 2, batchDiscount: 0.5 }, DEFAULT_PRICES.models['openai:gpt-4o-mini']],
    );
  });

  test('a file without asOf is dated by its path', () => {
    const path = pricesFile({ models: {} });
    assert.deepEqual(loadPrices(path), { asOf: path, models: DEFAULT_PRICES.models });
  });

  test('loading a file leaves the default table as it was', () => {
    const before = structuredClone(DEFAULT_PRICES);
    loadPrices(pricesFile({ models: { 'openai:gpt-4o': { input: 1, output: 2 } } }));
    assert.deepEqual(DEFAULT_PRICES, before);
  });

  const bad: [string, () => string][] = [
    ['a missing file', () => join(dir, 'missing.json')],
    ['a file that is not JSON', () => pricesFile('{"models": ')],
    ['a file without models', () => pricesFile({ asOf: '2026-01-01' })],
    ['a file whose models is not an object', () => pricesFile({ models: 'gpt-4o' })],
    ['a model without a provider prefix', () => pricesFile({ models: { 'gpt-4o': { input: 1, output: 2 } } })],
    ['a model with a non-numeric price', () => pricesFile({ models: { 'openai:x': { input: '1', output: 2 } } })],
    ['a model without an output price', () => pricesFile({ models: { 'openai:x': { input: 1 } } })],
  ];
  for (const [what, path] of bad) {
    test(`${what} is an InputError naming --prices`, () => {
      assert.throws(
        () => loadPrices(path()),
        (error: unknown) => {
          assert.ok(error instanceof InputError);
          assert.match(error.message, /--prices/);
          return true;
        },
      );
    });
  }

  const crashes: [string, () => string][] = [
    ['a file that is JSON null', () => pricesFile('null')],
    ['a model priced as null', () => pricesFile({ models: { 'openai:x': null } })],
  ];
  for (const [what, path] of crashes) {
    test(`${what} is an InputError naming --prices`, () => {
      assert.throws(
        () => loadPrices(path()),
        (error: unknown) => {
          assert.ok(error instanceof InputError);
          assert.match(error.message, /--prices/);
          return true;
        },
      );
    });
  }
});
