// The simulator's HTTP server: routes the provider endpoints to the request flow and serves the admin
// endpoints (/health, /stats). All state lives in the closure of one `startSim` call, so several simulators
// can run side by side in one process.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { anthropicDialect } from './anthropic-dialect.js';
import { createFaultPicker } from './fault-picker.js';
import { handleChat, type ChatContext } from './handle-chat.js';
import { handleEmbeddings } from './handle-embeddings.js';
import { createAnthropicBatches } from './anthropic-batches.js';
import type { BatchStats } from './batch-submissions.js';
import { createOpenAiBatches } from './openai-batches.js';
import { readBody } from './read-body.js';
import { openAiDialect, openAiError } from './openai-dialect.js';
import type { ProviderDialect } from './provider-dialect.js';
import { createOutages } from './outages.js';
import { createRateLimiter } from './rate-limiter.js';
import { createRandom, deriveSeed } from './seeded-random.js';
import type { SimCall } from './sim-call.js';
import { resolveSimOptions, type SimOptions } from './sim-options.js';
import { createStatsRecorder, type SimStats, type StatsRecorder } from './sim-stats.js';
import { countPromptTokens } from './token-count.js';

export interface SimServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`; clients append `/v1/chat/completions` or `/v1/messages`. */
  readonly url: string;
  readonly port: number;
  /** Counts since the start or the last reset; `'prompts'` adds the per-prompt map. */
  stats(detail?: 'prompts'): SimStats & { readonly batches: BatchStats; readonly messageBatches: BatchStats };
  /** Zeroes the stats and forgets the current rate-limit window, like `POST /stats/reset`. */
  resetStats(): void;
  /** Starts an outage of the provider endpoints now, for `ms` milliseconds (see `SimOptions.outages`). */
  down(ms: number, kind?: 'refuse' | '503'): void;
  /** Stops listening and drops every connection, held ones included. */
  close(): Promise<void>;
}

/** What the simulator takes from its surroundings, replaceable in tests. */
export interface SimDependencies {
  /** Wall clock in epoch milliseconds, for rate-limit windows and `created`. @default Date.now */
  readonly now?: () => number;
}

/** The most a request body may hold; a real provider's limit is of the same order. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
// Distinct salts so the fault and jitter streams do not move in step although they share the user's seed.
const FAULT_SALT = 0x0fa17;
const JITTER_SALT = 0x717e5;

/**
 * Starts a simulated OpenAI + Anthropic endpoint. Resolves once it listens; rejects with a `TypeError`
 * naming the option, before opening any port, when an option is invalid.
 * @example
 * const sim = await startSim({ rpm: 600, errorRate: 0.05 });
 * // point a client at `${sim.url}/v1`, then:
 * await sim.close();
 */
export async function startSim(options: SimOptions = {}, dependencies: SimDependencies = {}): Promise<SimServer> {
  const config = resolveSimOptions(options);
  const now = dependencies.now ?? Date.now;
  countPromptTokens(['warm up']); // loads the encoding now, not inside the first request's latency
  const stats = createStatsRecorder(now);
  // Each simulated provider has its own budgets, as two real accounts would: OpenAI limits requests and tokens (prompt
  // plus max_tokens), Anthropic requests, input tokens and output tokens.
  const model = { model: config.rateLimit, windowMs: config.windowMs, enforceMs: config.enforceMs };
  const openAiLimiter = createRateLimiter({ ...model, limits: { requests: config.rpm, tokens: config.tpm } }, now);
  const anthropicLimiter = createRateLimiter(
    { ...model, limits: { requests: config.rpm, 'input-tokens': config.tpm, 'output-tokens': config.otpm } },
    now,
  );
  const jitter = createRandom(deriveSeed(config.seed, JITTER_SALT));
  const timers = new Set<NodeJS.Timeout>();
  let sequence = 0;

  const context: Omit<ChatContext, 'limiter'> = {
    config,
    stats,
    faults: createFaultPicker(config, createRandom(deriveSeed(config.seed, FAULT_SALT))),
    now,
    nextSequence: () => ++sequence,
    afterLatency(send) {
      const delay = config.jitterMs === 0 ? config.latencyMs : config.latencyMs + (jitter() * 2 - 1) * config.jitterMs;
      if (delay <= 0) return send();
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, delay);
      timers.add(timer);
    },
  };

  const openAi: ChatContext = { ...context, limiter: openAiLimiter };
  const anthropic: ChatContext = { ...context, limiter: anthropicLimiter };
  const chat = <Call extends SimCall>(
    chatContext: ChatContext,
    dialect: ProviderDialect<Call>,
    request: IncomingMessage,
    response: ServerResponse,
  ): void => readBody(request, MAX_BODY_BYTES, (body) => handleChat(chatContext, dialect, request, response, body));
  const batches = createOpenAiBatches(config, now);
  const messageBatches = createAnthropicBatches(config, now);
  const reset = (): void => {
    stats.reset();
    batches.reset();
    messageBatches.reset();
    openAiLimiter.reset();
    anthropicLimiter.reset();
  };

  const server = createServer((request, response) => {
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const method = request.method ?? 'GET';
    const query = new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1));
    if (path.startsWith('/v1/')) {
      outages.noteRequest();
      if (outages.current === 'refuse') return void request.socket.destroy();
      if (outages.current === '503') return overloaded(path, response, stats);
    }
    if (batches.handle(method, path, query, request, response)) return;
    if (messageBatches.handle(method, path, request, response)) return;
    const route = `${method} ${path}`;
    switch (route) {
      case 'POST /v1/chat/completions':
        return chat(openAi, openAiDialect, request, response);
      case 'POST /v1/embeddings':
        return readBody(request, MAX_BODY_BYTES, (body) => handleEmbeddings(openAi, request, response, body));
      case 'POST /v1/messages':
        return chat(anthropic, anthropicDialect, request, response);
      case 'GET /health':
        return sendJson(response, 200, { ok: true });
      case 'GET /stats':
        return sendJson(response, 200, {
          ...stats.snapshot(query.get('detail') === 'prompts'),
          batches: batches.stats(),
          messageBatches: messageBatches.stats(),
        });
      case 'POST /stats/reset':
        reset();
        return sendJson(response, 200, { ok: true });
      default: {
        const notFound = openAiError(404, `Invalid URL (${route})`, 'invalid_request_error');
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(notFound.body);
      }
    }
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(config.port);
  const port = (server.address() as AddressInfo).port;
  const outages = createOutages(config.outages, server, () => listen(port).catch(() => undefined));
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host}:${port}`,
    port,
    stats: (detail) => ({
      ...stats.snapshot(detail === 'prompts'),
      batches: batches.stats(),
      messageBatches: messageBatches.stats(),
    }),
    resetStats: reset,
    down: (ms, kind = 'refuse') => outages.down(ms, kind),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        outages.close();
        if (!server.listening) {
          server.closeAllConnections();
          return resolve();
        }
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Held (timeout-fault) and keep-alive sockets would otherwise keep close() waiting for the client.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** An outage answered rather than refused: the provider's overloaded reply. */
function overloaded(path: string, response: ServerResponse, stats: StatsRecorder): void {
  stats.record(path.startsWith('/v1/messages') ? '529' : '503', undefined);
  if (path.startsWith('/v1/messages')) {
    const body = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    return sendJson(response, 529, body);
  }
  return sendJson(response, 503, {
    error: { message: 'The server is overloaded or not ready yet.', type: 'server_error', param: null, code: null },
  });
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  response.end(body);
}
