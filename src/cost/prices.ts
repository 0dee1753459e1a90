// Prices per million tokens for common hosted models, so a job's cost is known before it runs and capped while
// it does. Written from the providers' published price pages as last known to the authors (see PRICES_AS_OF);
// prices change, so a file given with --prices overrides or extends this table.

import { readFileSync } from 'node:fs';
import { InputError } from '../job/input-error.js';

export interface ModelPrice {
  /** USD per million input tokens. */
  readonly input: number;
  /** USD per million output tokens. */
  readonly output: number;
  /** USD per million cached input tokens (prompt caching), when the provider discounts them. */
  readonly cachedInput?: number;
  /** Fraction taken off by the provider's Batch API (0.5: half price). */
  readonly batchDiscount: number;
}

export interface PriceTable {
  /** When the prices were written down. */
  readonly asOf: string;
  /** Keyed by `provider:model`; a model id matches its longest listed prefix (`gpt-4o-mini-2024-07-18`). */
  readonly models: Readonly<Record<string, ModelPrice>>;
}

export const PRICES_AS_OF = '2025-10';

const p = (input: number, output: number, cachedInput: number): ModelPrice => ({
  input,
  output,
  cachedInput,
  batchDiscount: 0.5,
});

export const DEFAULT_PRICES: PriceTable = {
  asOf: PRICES_AS_OF,
  models: {
    'openai:gpt-4o-mini': p(0.15, 0.6, 0.075),
    'openai:gpt-4o': p(2.5, 10, 1.25),
    'openai:gpt-4.1': p(2, 8, 0.5),
    'openai:gpt-4.1-mini': p(0.4, 1.6, 0.1),
    'openai:gpt-4.1-nano': p(0.1, 0.4, 0.025),
    'openai:gpt-5': p(1.25, 10, 0.125),
    'openai:gpt-5-mini': p(0.25, 2, 0.025),
    'openai:gpt-5-nano': p(0.05, 0.4, 0.005),
    'openai:o4-mini': p(1.1, 4.4, 0.275),
    'openai:o3': p(2, 8, 0.5),
    'openai:o3-mini': p(1.1, 4.4, 0.55),
    'anthropic:claude-3-5-haiku': p(0.8, 4, 0.08),
    'anthropic:claude-haiku-4-5': p(1, 5, 0.1),
    'anthropic:claude-3-7-sonnet': p(3, 15, 0.3),
    'anthropic:claude-sonnet-4': p(3, 15, 0.3),
    'anthropic:claude-sonnet-4-5': p(3, 15, 0.3),
    'anthropic:claude-opus-4': p(15, 75, 1.5),
    'anthropic:claude-opus-4-1': p(15, 75, 1.5),
    'anthropic:claude-opus-4-5': p(5, 25, 0.5),
  },
};

/** A dated or pinned snapshot of a listed model (`-2024-07-18`, `-20241022`, `-latest`): the same price. Other
 * suffixes (`-pro`, `-mini`) are other models, with other prices, and stay unknown. */
const SNAPSHOT_SUFFIX = /^-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

/** Models that run in llmap's own process (`llama:`): their tokens cost nothing. */
const LOCAL_PROVIDERS = new Set(['llama']);
const NO_COST: ModelPrice = { input: 0, output: 0, batchDiscount: 0 };

/** True when the price makes every token free (a local model, or a price table that says so). */
export function isFree(price: ModelPrice): boolean {
  return price.input === 0 && price.output === 0;
}

/** The price of `provider:model`, by exact name or a listed model's snapshot; undefined when unknown. */
export function priceOf(table: PriceTable, provider: string, modelId: string): ModelPrice | undefined {
  const name = `${provider}:${modelId}`;
  let best: string | undefined;
  for (const listed of Object.keys(table.models)) {
    const snapshot = name.startsWith(listed) && SNAPSHOT_SUFFIX.test(name.slice(listed.length));
    if ((name === listed || snapshot) && (best === undefined || listed.length > best.length)) {
      best = listed;
    }
  }
  return best === undefined ? undefined : table.models[best];
}

/**
 * What a run pays for the model's tokens: its listed price, or nothing for a model in llmap's own process (unless the
 * table lists it, say to count electricity); undefined when unknown.
 */
export function paidPriceOf(table: PriceTable, provider: string, modelId: string): ModelPrice | undefined {
  return priceOf(table, provider, modelId) ?? (LOCAL_PROVIDERS.has(provider) ? NO_COST : undefined);
}

/**
 * The price a job pays for its model (see paidPriceOf); a --budget without one is an input error, raised before
 * anything is asked or queued.
 */
export function jobPrice(job: {
  readonly prices: PriceTable;
  readonly model: { readonly provider: string; readonly modelId: string };
  readonly budget: number | undefined;
}): ModelPrice | undefined {
  const price = paidPriceOf(job.prices, job.model.provider, job.model.modelId);
  if (job.budget !== undefined && !price) {
    throw new InputError(
      `--budget needs the price of ${job.model.provider}:${job.model.modelId}, which the price table (of ` +
        `${job.prices.asOf}) does not list: give it with --prices FILE`,
    );
  }
  return price;
}

/** What a run pays for the tokens of a model named `provider:model` (as the run state records it; see paidPriceOf). */
export function priceOfModel(table: PriceTable, model: string): ModelPrice | undefined {
  const colon = model.indexOf(':');
  return colon > 0 ? paidPriceOf(table, model.slice(0, colon), model.slice(colon + 1)) : undefined;
}

/** USD for the given tokens (`batch`: at the Batch API's discount). */
export function costOf(price: ModelPrice, inputTokens: number, outputTokens: number, batch = false): number {
  const online = (inputTokens * price.input + outputTokens * price.output) / 1_000_000;
  return batch ? online * (1 - price.batchDiscount) : online;
}

/** Tokens as the ledger and a run count them: all paid tokens, and of those the ones a Batch API answered. */
export interface PaidTokens {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly batchInputTokens: number;
  readonly batchOutputTokens: number;
}

/** USD for paid tokens, the batch-answered ones at the batch discount. */
export function costOfPaid(price: ModelPrice, tokens: PaidTokens): number {
  return (
    costOf(price, tokens.inputTokens - tokens.batchInputTokens, tokens.outputTokens - tokens.batchOutputTokens) +
    costOf(price, tokens.batchInputTokens, tokens.batchOutputTokens, true)
  );
}

/** A job's spend across its runs, each model's tokens at that model's price. */
export interface JobSpend {
  readonly usd: number;
  /** Models the job paid tokens to whose price the table does not know: their tokens are not in `usd`. */
  readonly unpriced: readonly string[];
}

/** Prices `spend` (per `provider:model`, as the ledger keeps it) with `table`. */
export function costOfSpend(table: PriceTable, spend: readonly (PaidTokens & { readonly model: string })[]): JobSpend {
  let usd = 0;
  const unpriced: string[] = [];
  for (const tokens of spend) {
    const price = priceOfModel(table, tokens.model);
    if (price) usd += costOfPaid(price, tokens);
    else if (tokens.inputTokens + tokens.outputTokens > 0) unpriced.push(tokens.model || 'an unrecorded model');
  }
  return { usd, unpriced };
}

/** The default table with a user's file laid over it: `{"asOf": "...", "models": {"openai:x": {...}}}`. */
export function loadPrices(path: string | undefined): PriceTable {
  if (path === undefined) return DEFAULT_PRICES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`cannot read --prices ${path}: ${(error as Error).message}`);
  }
  const file = (parsed ?? {}) as { asOf?: unknown; models?: Record<string, Partial<ModelPrice> | null> };
  if (typeof file !== 'object' || typeof file.models !== 'object' || file.models === null) {
    throw new InputError(`--prices ${path} must be {"asOf": "YYYY-MM-DD", "models": {"openai:<model>": {...}}}`);
  }
  const models: Record<string, ModelPrice> = { ...DEFAULT_PRICES.models };
  for (const [name, price] of Object.entries(file.models)) {
    if (typeof price?.input !== 'number' || typeof price.output !== 'number' || !name.includes(':')) {
      throw new InputError(
        `--prices ${path}: "${name}" needs a provider prefix and numeric "input" and "output" (USD per million tokens)`,
      );
    }
    models[name] = { batchDiscount: 0.5, ...price } as ModelPrice;
  }
  return { asOf: typeof file.asOf === 'string' ? file.asOf : path, models };
}
