// The contract between the request flow (handle-chat.ts) and one provider's wire format: how it
// authenticates, parses, answers, fails and reports limits. One implementation per simulated API.
import type { IncomingHttpHeaders } from 'node:http';
import type { Admission, RateLimitState, RequestCost } from './rate-limiter.js';
import type { SimAnswer, SimCall } from './sim-call.js';

/** A complete response but for the common headers (content type, request id, rate limits). */
export interface DialectReply {
  readonly status: number;
  /** The JSON body, already serialised. */
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type ParseResult<Call extends SimCall = SimCall> =
  { readonly ok: true; readonly call: Call } | { readonly ok: false; readonly reply: DialectReply };

export interface AnswerContext {
  readonly requestId: string;
  /** Unique per request, for the ids in the body (`chatcmpl-…`, `msg_…`). */
  readonly sequence: number;
  readonly nowMs: number;
  readonly promptTokens: number;
}

/** `Call` is the dialect's own parsed request, a `SimCall` plus what only it needs to render an answer. */
export interface ProviderDialect<Call extends SimCall = SimCall> {
  /** `x-request-id` for OpenAI, `request-id` for Anthropic. */
  readonly requestIdHeader: string;
  requestId(sequence: number): string;
  /** The 401 reply when the headers do not carry `apiKey`; `undefined` when they do. */
  checkAuth(headers: IncomingHttpHeaders, apiKey: string, requestId: string): DialectReply | undefined;
  /** The call a JSON body asks for, or the 400 reply a real provider gives for it. */
  parse(body: unknown, headers: IncomingHttpHeaders, requestId: string): ParseResult<Call>;
  /** The 400 reply to a body that is not JSON. */
  invalidJson(requestId: string): DialectReply;
  /** The 400 reply to a request whose prompt and `max_tokens` exceed the model's context (`contextTokens`). */
  contextExceeded(promptTokens: number, maxTokens: number, contextTokens: number, requestId: string): DialectReply;
  /** The 413 reply to a body over the simulator's size limit. */
  tooLarge(requestId: string): DialectReply;
  /** The 200 body carrying one answer per requested choice. */
  answer(call: Call, answers: readonly SimAnswer[], context: AnswerContext): string;
  /** The 429 reply, with its retry headers. */
  rateLimited(call: Call, denial: Extract<Admission, { admitted: false }>, requestId: string): DialectReply;
  /** A 5xx reply; `draw` in [0, 1) picks which. */
  serverError(draw: number, requestId: string): DialectReply;
  /** What a request costs of the provider's token budgets, charged when it arrives. */
  rateLimitCost(promptTokens: number, maxTokens: number | undefined): RequestCost;
  /** Adds the provider's rate-limit headers for `state` to `headers`. */
  addRateLimitHeaders(state: RateLimitState, headers: Record<string, string>): void;
}
