// What the simulator has seen, for tests and for `GET /stats`: outcomes by status, and per distinct prompt
// how often it was asked and answered, so a test can catch a paid call made twice.

/** One distinct prompt (system, full messages and schema), as counted since the last reset. */
export interface PromptStats {
  /** Requests carrying this prompt, whatever their outcome. */
  readonly requests: number;
  /** Of those, the ones answered 200: each one a call the user would have paid for. */
  readonly ok: number;
  /** The first user message, cut to 80 characters, to tell prompts apart when reading. */
  readonly firstUserText: string;
}

export interface SimStats {
  /** Requests to the provider endpoints, whatever their outcome. */
  readonly requests: number;
  /** Outcomes by HTTP status (`"200"`, `"429"`, …), plus `"timeout"` and `"truncated"` for those faults. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Injected faults. Malformed answers are 200s in `byStatus`, so they are counted here too. */
  readonly faults: {
    readonly error: number;
    readonly timeout: number;
    readonly malformed: number;
    readonly truncated: number;
  };
  readonly prompts: {
    readonly distinct: number;
    /** Prompts answered 200 more than once: paid for twice. */
    readonly answeredMoreThanOnce: number;
  };
  /** When the first provider request and the last one answered 200 arrived (epoch ms; 0 before any): the span a
   * rate is measured over. */
  readonly firstRequestAtMs: number;
  readonly lastAnsweredAtMs: number;
  /** Tokens admitted requests were charged against the rate limits, per budget (when limits are set). */
  readonly charged: Readonly<Record<string, number>>;
  /** `/v1/embeddings` calls answered 200, and the texts they embedded. */
  readonly embeddings: { readonly requests: number; readonly inputs: number };
  /** Keyed by the prompt key (SHA-1 hex); present only when asked for, as it can be large. */
  readonly perPrompt?: Readonly<Record<string, PromptStats>>;
}

export type Fault = 'error' | 'timeout' | 'malformed' | 'truncated';

export interface PromptIdentity {
  readonly key: string;
  readonly firstUserText: string;
}

export interface StatsRecorder {
  /** Counts one provider request: its outcome, the fault injected if any, and the prompt if it parsed. */
  record(outcome: string, prompt: PromptIdentity | undefined, fault?: Fault): void;
  /** Adds an admitted request's charge against the token budgets. */
  charge(cost: Readonly<Record<string, number | undefined>>): void;
  /** Counts one answered embeddings call of `inputs` texts (its request is counted by `record`). */
  recordEmbeddings(inputs: number): void;
  snapshot(withPrompts: boolean): SimStats;
  reset(): void;
}

interface PromptCounts {
  requests: number;
  ok: number;
  readonly firstUserText: string;
}

const FIRST_USER_TEXT_LENGTH = 80;

export function createStatsRecorder(now: () => number = Date.now): StatsRecorder {
  let requests = 0;
  let answeredMoreThanOnce = 0;
  let byStatus = new Map<string, number>();
  let perPrompt = new Map<string, PromptCounts>();
  let faults = { error: 0, timeout: 0, malformed: 0, truncated: 0 };
  let embeddings = { requests: 0, inputs: 0 };
  let charged = new Map<string, number>();
  let firstRequestAtMs = 0;
  let lastAnsweredAtMs = 0;

  return {
    charge(cost) {
      for (const family in cost) charged.set(family, (charged.get(family) ?? 0) + (cost[family] ?? 0));
    },
    recordEmbeddings(inputs) {
      embeddings.requests++;
      embeddings.inputs += inputs;
    },
    record(outcome, prompt, fault) {
      requests++;
      if (firstRequestAtMs === 0) firstRequestAtMs = now();
      if (outcome === '200') lastAnsweredAtMs = now();
      byStatus.set(outcome, (byStatus.get(outcome) ?? 0) + 1);
      if (fault !== undefined) faults[fault]++;
      if (prompt === undefined) return;
      let counts = perPrompt.get(prompt.key);
      if (counts === undefined) {
        counts = { requests: 0, ok: 0, firstUserText: prompt.firstUserText.slice(0, FIRST_USER_TEXT_LENGTH) };
        perPrompt.set(prompt.key, counts);
      }
      counts.requests++;
      if (outcome === '200' && ++counts.ok === 2) answeredMoreThanOnce++;
    },
    snapshot(withPrompts) {
      const stats: SimStats = {
        requests,
        byStatus: Object.fromEntries(byStatus),
        faults: { ...faults },
        prompts: { distinct: perPrompt.size, answeredMoreThanOnce },
        firstRequestAtMs,
        lastAnsweredAtMs,
        charged: Object.fromEntries(charged),
        embeddings: { ...embeddings },
      };
      if (!withPrompts) return stats;
      const prompts: Record<string, PromptStats> = {};
      for (const [key, counts] of perPrompt) prompts[key] = { ...counts };
      return { ...stats, perPrompt: prompts };
    },
    reset() {
      requests = 0;
      answeredMoreThanOnce = 0;
      byStatus = new Map();
      perPrompt = new Map();
      faults = { error: 0, timeout: 0, malformed: 0, truncated: 0 };
      embeddings = { requests: 0, inputs: 0 };
      charged = new Map();
      firstRequestAtMs = 0;
      lastAnsweredAtMs = 0;
    },
  };
}
