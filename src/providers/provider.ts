// The provider contract: the one seam between the pipeline and a model, wherever it lives.
// Types only. Batch APIs, in-process models and embeddings add capabilities here; the pipeline never
// learns a provider's wire format.

import type { RateLimitInfo } from './rate-limit-info.js';

/** A chat message as the pipeline builds it. Provider adapters translate it to their own format. */
export interface ChatMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** A JSON Schema the answer must satisfy, as the user wrote it (adapters convert it for their backend). */
export interface AnswerSchema {
  readonly name: string;
  readonly jsonSchema: Readonly<Record<string, unknown>>;
}

/** Everything that determines an answer. Its canonical JSON is the request's content address. */
export interface ChatRequest {
  readonly model: string;
  readonly system?: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature?: number;
  readonly maxTokens?: number;
  readonly schema?: AnswerSchema;
  /** Which of N independent samples of the same prompt this is (0 when one is asked); part of the key only. */
  readonly sample?: number;
}

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'tool' | 'content-filter' | 'other';

export interface ChatResult {
  /** The answer: free text, or the JSON document as text when a schema was given. */
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: Usage;
  /** The model as the provider reported it (may differ from the requested alias). */
  readonly model: string;
  /** The provider's request id (header or body), for tracing a row back to a call. */
  readonly providerRequestId?: string;
  /** Set when the answer came from the response cache, not from a call. */
  readonly cached?: boolean;
  /**
   * Set with `cached` when the cached answer was received in this run: another row of the run asked the identical
   * request and paid for it.
   */
  readonly duplicate?: boolean;
  /** Set when a provider's Batch API answered: its tokens are paid at the batch discount. */
  readonly batch?: boolean;
  /** The provider's rate-limit readings on this response, when it sent them. */
  readonly rateLimit?: RateLimitInfo;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** What a backend can enforce natively, so unsupported schema parts can be reported before a run. */
export interface ProviderCapabilities {
  /** `native`: constrained decoding of a JSON Schema; `tool`: a forced tool call; `none`: prompt only. */
  readonly structuredOutput: 'native' | 'tool' | 'none';
}

/**
 * A chat model behind one small contract. `doGenerate` is the pipeline's only call: it either resolves
 * with a result or rejects with a typed error (see `errors/`) that says whether a retry may help.
 */
export interface ChatProvider {
  readonly specificationVersion: 'v1';
  /** `openai`, `anthropic`, ... */
  readonly provider: string;
  readonly modelId: string;
  readonly capabilities: ProviderCapabilities;
  /**
   * The most requests it serves at once (an in-process model's parallel sequences): the executor then keeps
   * exactly this many in flight instead of tuning concurrency. Unset for remote APIs.
   */
  readonly maxInFlight?: number;
  /**
   * Prepares what must exist before the first row (an in-process model is loaded here, so a model that cannot
   * load stops the run before any row is asked); resolves with lines for the run's notes.
   */
  open?(): Promise<readonly string[]>;
  /**
   * Parts of a schema this backend cannot enforce (JSON pointers with the keyword), reported before a run.
   * Local validation still enforces them.
   */
  unsupportedSchemaParts(schema: AnswerSchema): readonly string[];
  /** What the backend adds to a schema while decoding (a local grammar bounds free-text strings), for the notes. */
  schemaNotes?(schema: AnswerSchema): readonly string[];
  doGenerate(request: ChatRequest, options: CallOptions): Promise<ChatResult>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** One embeddings call's answer: a vector per input, in input order. */
export interface EmbedResult {
  readonly vectors: readonly Float32Array[];
  /** Tokens of all inputs together. */
  readonly inputTokens: number;
  readonly model: string;
  readonly providerRequestId?: string;
  readonly rateLimit?: RateLimitInfo;
}

export interface EmbedCallOptions extends CallOptions {
  /** Tokens of all the inputs, when the caller has counted them already (so no later stage counts them again). */
  readonly inputTokens?: number;
}

/** How many inputs one embeddings call may carry. */
export interface EmbedLimits {
  readonly maxInputs: number;
  /** Tokens of one input, and of all inputs of one call (OpenAI: 8,192 and 300,000). */
  readonly maxInputTokens?: number;
  readonly maxTotalTokens?: number;
}

/** An embedding model: many texts per call, one vector each. */
export interface EmbeddingProvider {
  readonly provider: string;
  readonly modelId: string;
  readonly limits: EmbedLimits;
  /** Prepares a local model (see ChatProvider.open). */
  open?(): Promise<readonly string[]>;
  doEmbed(inputs: readonly string[], options: EmbedCallOptions): Promise<EmbedResult>;
  close(): Promise<void>;
}
