// The calls a query makes, and what is known of them. DuckDB's scalar functions are synchronous, so a query cannot
// wait for a model: each run of the query answers what the book knows and records the rest, which the engine then
// answers between runs. A call is its function's settings (the config: kind, model, schema, system, sampling) and
// its prompt; identical calls are one entry, however many rows make them.

/** What a function asks: text, a JSON value checked against a schema, a yes/no, or an embedding. */
export type CallKind = 'text' | 'json' | 'filter' | 'embed';

/** Everything of a call that is not its prompt: the arguments a query passes beside it. */
export interface CallConfig {
  readonly kind: CallKind;
  /** `provider:model`; undefined for the command's --model. */
  readonly model: string | undefined;
  /** A JSON Schema (inline JSON or a file), for `json`. */
  readonly schema: string | undefined;
  readonly system: string | undefined;
  readonly temperature: number | undefined;
  readonly maxTokens: number | undefined;
}

/** A call's end: its value as text for DuckDB (JSON for `json`/`embed`, `true`/`false` for `filter`), or why not. */
export type CallOutcome =
  { readonly value: string; readonly error?: never } | { readonly value?: never; readonly error: string };

export interface PendingCalls {
  readonly configId: number;
  readonly config: CallConfig;
  readonly prompts: readonly string[];
}

export class CallBook {
  private readonly configs: CallConfig[] = [];
  private readonly configIds = new Map<string, number>();
  private readonly outcomes = new Map<string, CallOutcome>();
  private pending = new Map<string, { configId: number; prompt: string }>();
  /** Times a row's call was looked up (every row DuckDB evaluated). */
  lookups = 0;
  /** New calls one run of the query may record before it is cut short (see `full`). */
  cap = Infinity;

  /** The id of a config, given the text of its arguments (built once per distinct set). */
  configId(argsKey: string, build: () => CallConfig): number {
    let id = this.configIds.get(argsKey);
    if (id === undefined) {
      id = this.configs.push(build()) - 1;
      this.configIds.set(argsKey, id);
    }
    return id;
  }

  config(id: number): CallConfig {
    return this.configs[id]!;
  }

  /** What is known of a call; an unknown one is recorded for the engine and is undefined this run. */
  lookup(configId: number, prompt: string): CallOutcome | undefined {
    this.lookups++;
    const key = callKey(configId, prompt);
    const outcome = this.outcomes.get(key);
    if (outcome === undefined && !this.pending.has(key)) this.pending.set(key, { configId, prompt });
    return outcome;
  }

  /**
   * Whether this run has recorded as many new calls as it may. The run is then cut short and its calls answered
   * first: a query that needs few rows (`WHERE llm_filter(...) LIMIT 10`, where every unknown answer reads as false
   * and the scan would go on to the end of the table) asks a first slice of them, not the whole table.
   */
  get full(): boolean {
    return this.pending.size >= this.cap;
  }

  /** What is known of a call, recording nothing (the error column of a `try_` function). */
  peek(configId: number, prompt: string): CallOutcome | undefined {
    return this.outcomes.get(callKey(configId, prompt));
  }

  /** The calls recorded since the last take, by config. */
  take(): PendingCalls[] {
    const byConfig = new Map<number, string[]>();
    for (const { configId, prompt } of this.pending.values()) {
      const prompts = byConfig.get(configId) ?? [];
      if (prompts.length === 0) byConfig.set(configId, prompts);
      prompts.push(prompt);
    }
    this.pending = new Map();
    return [...byConfig].map(([configId, prompts]) => ({ configId, config: this.configs[configId]!, prompts }));
  }

  settle(configId: number, prompt: string, outcome: CallOutcome): void {
    this.outcomes.set(callKey(configId, prompt), outcome);
  }

  /** Distinct calls answered or failed so far. */
  get known(): number {
    return this.outcomes.size;
  }

  /** Failed calls by reason, most frequent first. */
  failures(): { reason: string; calls: number }[] {
    const counts = new Map<string, number>();
    for (const outcome of this.outcomes.values()) {
      if (outcome.error === undefined) continue;
      const reason = outcome.error.split(':')[0]!;
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    return [...counts].map(([reason, calls]) => ({ reason, calls })).sort((a, b) => b.calls - a.calls);
  }
}

function callKey(configId: number, prompt: string): string {
  return `${configId}\u0000${prompt}`;
}
