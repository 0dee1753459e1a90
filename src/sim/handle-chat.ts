// One chat request through the simulated provider, whichever API it speaks: authenticate, parse, admit
// under the rate limits, inject the fault drawn for it, answer after the latency. The dialect supplies the
// wire format; this file is the order of events, and the hot path of every benchmark.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { canonicalJson } from './canonical-json.js';
import { composeAnswer } from './compose-answer.js';
import type { FaultPicker } from './fault-picker.js';
import type { AnswerContext, DialectReply, ProviderDialect } from './provider-dialect.js';
import type { RateLimiter } from './rate-limiter.js';
import { deriveSeed } from './seeded-random.js';
import type { SimAnswer, SimCall } from './sim-call.js';
import type { SimConfig } from './sim-options.js';
import type { PromptIdentity, StatsRecorder } from './sim-stats.js';
import { countPromptTokens } from './token-count.js';

/** The running simulator's state and services, as the request flow needs them. */
export interface ChatContext {
  readonly config: SimConfig;
  readonly stats: StatsRecorder;
  readonly limiter: RateLimiter;
  readonly faults: FaultPicker;
  readonly now: () => number;
  nextSequence(): number;
  /** Runs `send` after the simulated latency (at once when there is none), unless the server closes first. */
  afterLatency(send: () => void): void;
}

export function handleChat<Call extends SimCall>(
  context: ChatContext,
  dialect: ProviderDialect<Call>,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer | undefined,
): void {
  const opened = openRequest(context, dialect, request, response, body);
  if (!opened) return;
  const { sequence, requestId, headers, json, reply } = opened;
  const { stats, limiter } = context;
  const parsed = dialect.parse(json, request.headers, requestId);
  if (!parsed.ok) return reply(parsed.reply);
  const call = parsed.call;

  const key = promptKey(call);
  const prompt: PromptIdentity = { key, firstUserText: call.firstUserText };
  const promptTokens = countPromptTokens(call.promptParts);
  const { contextTokens } = context.config;
  if (contextTokens !== undefined && promptTokens + (call.maxTokens ?? 0) > contextTokens) {
    return reply(dialect.contextExceeded(promptTokens, call.maxTokens ?? 0, contextTokens, requestId), prompt);
  }
  const admission = limiter.admit(dialect.rateLimitCost(promptTokens, call.maxTokens));
  if (limiter.limited) dialect.addRateLimitHeaders(admission.state, headers);
  if (!admission.admitted) return reply(dialect.rateLimited(call, admission, requestId), prompt);
  if (limiter.limited) stats.charge(dialect.rateLimitCost(promptTokens, call.maxTokens));

  const fault = context.faults.next();
  switch (fault) {
    case 'timeout':
      // Hold the socket open and never answer; close() destroys it with every other connection.
      stats.record('timeout', prompt, fault);
      return;
    case 'error': {
      const failure = dialect.serverError(context.faults.draw(), requestId);
      stats.record(String(failure.status), prompt, fault);
      context.afterLatency(() => send(response, failure.status, headers, failure.body));
      return;
    }
    default: {
      const answers = composeAnswers(call, fault === 'malformed');
      // What the answer did not use of its `max_tokens` goes back to an output-token budget (Anthropic's OTPM).
      limiter.refund('output-tokens', (call.maxTokens ?? 0) - answers.reduce((sum, answer) => sum + answer.tokens, 0));
      const body200 = dialect.answer(call, answers, { requestId, sequence, nowMs: context.now(), promptTokens });
      if (fault === 'truncated') {
        stats.record('truncated', prompt, fault);
        context.afterLatency(() => sendTruncated(response, headers, body200));
      } else {
        stats.record('200', prompt, fault);
        context.afterLatency(() => send(response, 200, headers, body200));
      }
    }
  }
}

/** A request through the steps every simulated endpoint takes first. */
export interface OpenedRequest {
  readonly sequence: number;
  readonly requestId: string;
  /** The common headers (content type, request id, rate limits); the answer's own are added to them. */
  readonly headers: Record<string, string>;
  readonly json: unknown;
  /** Sends `answer` and counts it in the stats. */
  readonly reply: (answer: DialectReply, prompt?: PromptIdentity) => void;
}

/**
 * Authenticates, adds the rate-limit headers and parses the JSON body, as every provider endpoint does first. When a
 * step fails it sends the provider's error reply itself and returns undefined.
 */
export function openRequest(
  context: ChatContext,
  dialect: ProviderDialect<SimCall>,
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer | undefined,
): OpenedRequest | undefined {
  const { config, stats, limiter } = context;
  const sequence = context.nextSequence();
  const requestId = dialect.requestId(sequence);
  const headers: Record<string, string> = { 'content-type': 'application/json', [dialect.requestIdHeader]: requestId };
  const reply = (answer: DialectReply, prompt?: PromptIdentity): void => {
    stats.record(String(answer.status), prompt);
    send(
      response,
      answer.status,
      answer.headers === undefined ? headers : { ...headers, ...answer.headers },
      answer.body,
    );
  };
  if (config.apiKey !== undefined) {
    const denied = dialect.checkAuth(request.headers, config.apiKey, requestId);
    if (denied !== undefined) return void reply(denied);
  }
  if (limiter.limited) dialect.addRateLimitHeaders(limiter.state(), headers);
  if (body === undefined) return void reply(dialect.tooLarge(requestId));
  try {
    return { sequence, requestId, headers, json: JSON.parse(body.toString('utf8')) as unknown, reply };
  } catch {
    return void reply(dialect.invalidJson(requestId));
  }
}

/** What makes two prompts the same in stats (and seeds their answer): a hash of the call's key material. */
export function promptKey(call: SimCall): string {
  return createHash('sha1').update(canonicalJson(call.keyMaterial)).digest('hex');
}

/** The 200 body answering `call`: deterministic per prompt, as the chat endpoint and the batch files give it. */
export function answerBody<Call extends SimCall>(
  dialect: ProviderDialect<Call>,
  call: Call,
  malformed: boolean,
  context: AnswerContext,
): string {
  return dialect.answer(call, composeAnswers(call, malformed), context);
}

/** One answer per requested choice, deterministic per prompt. */
function composeAnswers(call: SimCall, malformed: boolean): SimAnswer[] {
  const seed = Number.parseInt(promptKey(call).slice(0, 8), 16);
  const answers: SimAnswer[] = [];
  for (let choice = 0; choice < call.choices; choice++) {
    answers.push(composeAnswer(call, choice === 0 ? seed : deriveSeed(seed, choice), malformed));
  }
  return answers;
}

export function send(response: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  // A known length instead of chunked encoding: one write, and a client can tell a cut body from a whole one.
  headers['content-length'] = String(Buffer.byteLength(body));
  response.writeHead(status, headers);
  response.end(body);
}

/** Promises the whole body, sends half, and drops the connection: the client sees a body cut short. */
function sendTruncated(response: ServerResponse, headers: Record<string, string>, body: string): void {
  const bytes = Buffer.from(body);
  headers['content-length'] = String(bytes.length);
  response.writeHead(200, headers);
  response.write(bytes.subarray(0, bytes.length >> 1), () => response.destroy());
}
