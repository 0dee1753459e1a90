// `llama:<model.gguf | hf:owner/repo:quant>`: a GGUF model in this process. One context holds `parallel`
// sequences; each request takes a free sequence and gives it back when its answer is done, so with the executor
// keeping `parallel` requests in flight every sequence is always busy (continuous batching: llama.cpp evaluates the
// sequences' tokens together, a finished one takes the next row at once). The schema becomes a grammar, so every
// answer parses; the model's chat template shapes the prompt when it has one, a plain completion prompt when not.

import type {
  ChatHistoryItem,
  LlamaChat,
  LlamaCompletion,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  LLamaChatGenerateResponseOptions,
} from 'node-llama-cpp';
import { ApiCallError } from '../errors/api-call-error.js';
import type { AnswerSchema, CallOptions, ChatProvider, ChatRequest, ChatResult, FinishReason } from '../provider.js';
import { DEFAULT_STRING_BOUND, toGrammarSchema } from './grammar-schema.js';
import {
  defaultContextSize,
  describeModel,
  plural,
  LocalModelError,
  loadLocalModel,
  messageOf,
  nodeLlamaCpp,
  type LoadedModel,
  type LocalModelSettings,
} from './llama-model.js';

export interface LlamaChatSettings extends LocalModelSettings {
  /** Sequences answered at once in one context. */
  readonly parallel: number;
  /** CPU threads for evaluation. */
  readonly threads: number;
  /** Tokens per sequence (prompt and answer); default: the model's training context, at most 4,096. */
  readonly contextSize?: number;
}

/** The answer token limit when the job sets none: enough for a structured answer, bounded so a run ends. */
export const DEFAULT_LOCAL_MAX_TOKENS = 1024;

interface Engine {
  readonly loaded: LoadedModel;
  readonly context: LlamaContext;
  readonly workers: Worker[];
  readonly free: Worker[];
  readonly waiting: ((worker: Worker) => void)[];
  readonly chatTemplate: boolean;
}

interface Worker {
  readonly sequence: LlamaContextSequence;
  readonly chat?: LlamaChat;
  readonly completion?: LlamaCompletion;
}

export function createLlamaChat(settings: LlamaChatSettings): ChatProvider {
  let engine: Promise<Engine> | undefined;
  const grammars = new WeakMap<AnswerSchema, Promise<LlamaGrammar>>();
  const open = () => (engine ??= start(settings));

  const grammarFor = async (schema: AnswerSchema): Promise<LlamaGrammar> => {
    let grammar = grammars.get(schema);
    if (!grammar) {
      grammar = open().then(({ loaded }) =>
        loaded.llama.createGrammarForJsonSchema(toGrammarSchema(schema.jsonSchema).schema as never),
      );
      grammars.set(schema, grammar);
    }
    return grammar;
  };

  return {
    specificationVersion: 'v1',
    provider: 'llama',
    modelId: settings.model,
    capabilities: { structuredOutput: 'native' },
    // One request waits for each sequence, so a sequence that finishes takes the next row at once.
    maxInFlight: settings.parallel * 2,
    unsupportedSchemaParts: (schema) => toGrammarSchema(schema.jsonSchema).dropped,
    schemaNotes(schema) {
      const { bounded } = toGrammarSchema(schema.jsonSchema);
      if (bounded.length === 0) return [];
      return [
        `free-text strings without maxLength are bounded to ${DEFAULT_STRING_BOUND} characters in the grammar, or ` +
          `they would run until max_tokens: ${bounded.join(', ')} (set maxLength in the schema to choose)`,
      ];
    },
    async open() {
      const { loaded, context, chatTemplate } = await open();
      return [
        `${describeModel(loaded)}: ${plural(settings.parallel, 'parallel sequence')} of ${context.contextSize} ` +
          `tokens, ${plural(settings.threads, 'thread')}`,
        chatTemplate
          ? 'prompt format: the model’s chat template'
          : 'prompt format: plain completion (the model has no chat template)',
      ];
    },
    async doGenerate(request: ChatRequest, options: CallOptions): Promise<ChatResult> {
      const current = await open();
      const grammar = request.schema ? await grammarFor(request.schema) : undefined;
      const worker = await acquire(current);
      try {
        return await generate(current, worker, request, grammar, options.signal);
      } finally {
        release(current, worker);
      }
    },
    async close() {
      if (!engine) return;
      const current = await engine.catch(() => undefined);
      if (current) await current.context.dispose();
    },
  };
}

async function start(settings: LlamaChatSettings): Promise<Engine> {
  const loaded = await loadLocalModel(settings);
  const { LlamaChat: Chat, LlamaCompletion: Completion } = await nodeLlamaCpp();
  const contextSize = settings.contextSize ?? defaultContextSize(loaded);
  let context: LlamaContext;
  try {
    context = await loaded.model.createContext({
      sequences: settings.parallel,
      contextSize,
      threads: settings.threads,
      // Measured here: 3-5% more rows/s over 8 sequences on the CPU than node-llama-cpp's `auto` (which left it off);
      // node-llama-cpp ignores it for models that cannot use it.
      flashAttention: true,
    });
  } catch (error) {
    throw new LocalModelError(
      `cannot create a context of ${settings.parallel} × ${contextSize} tokens for ${loaded.name}: ${messageOf(error)}. ` +
        'Lower --parallel or --context-size',
    );
  }
  const chatTemplate = typeof loaded.model.fileInfo.metadata.tokenizer?.chat_template === 'string';
  const workers: Worker[] = [];
  for (let i = 0; i < settings.parallel; i++) {
    const sequence = context.getSequence();
    workers.push(
      chatTemplate
        ? { sequence, chat: new Chat({ contextSequence: sequence, autoDisposeSequence: false }) }
        : { sequence, completion: new Completion({ contextSequence: sequence, autoDisposeSequence: false }) },
    );
  }
  return { loaded, context, workers, free: [...workers], waiting: [], chatTemplate };
}

function acquire(engine: Engine): Promise<Worker> {
  const worker = engine.free.pop();
  if (worker) return Promise.resolve(worker);
  return new Promise((resolve) => engine.waiting.push(resolve));
}

function release(engine: Engine, worker: Worker): void {
  const next = engine.waiting.shift();
  if (next) next(worker);
  else engine.free.push(worker);
}

async function generate(
  engine: Engine,
  worker: Worker,
  request: ChatRequest,
  grammar: LlamaGrammar | undefined,
  signal: AbortSignal | undefined,
): Promise<ChatResult> {
  const { model } = engine.loaded;
  const prompt = preparePrompt(worker, request, model);
  const promptTokens = prompt.tokens;
  const room = worker.sequence.contextSize - promptTokens;
  if (room < (request.maxTokens ?? 1)) {
    throw new ApiCallError({
      message:
        `the prompt (${promptTokens} tokens${request.maxTokens ? ` plus max_tokens ${request.maxTokens}` : ''}) does ` +
        `not fit the context of ${worker.sequence.contextSize} tokens per sequence: raise --context-size ` +
        `(the model was trained on ${model.trainContextSize}) or shorten the prompt`,
      isRetryable: false,
    });
  }
  const maxTokens = request.maxTokens ?? Math.min(DEFAULT_LOCAL_MAX_TOKENS, room);
  const sampling = {
    maxTokens,
    // Greedy by default; with a temperature, reproducible: the same request and sample index sample the same answer.
    ...(request.temperature === undefined || request.temperature === 0
      ? {}
      : { temperature: request.temperature, seed: request.sample ?? 0 }),
    ...(grammar ? { grammar } : {}),
    ...(signal ? { signal } : {}),
  };
  const outputBefore = worker.sequence.tokenMeter.usedOutputTokens;
  let result: Generated;
  try {
    result = await prompt.generate(sampling);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiCallError({ message: `llama.cpp: ${messageOf(error)}`, isRetryable: false, cause: error });
  }
  const { stopReason } = result.metadata;
  if (stopReason === 'abort') throw new ApiCallError({ message: 'generation aborted', isRetryable: true });
  return {
    text: result.response,
    finishReason: finishReason(stopReason),
    usage: { inputTokens: promptTokens, outputTokens: worker.sequence.tokenMeter.usedOutputTokens - outputBefore },
    model: engine.loaded.name,
  };
}

/** What a chat response and a completion have in common. */
interface Generated {
  readonly response: string;
  readonly metadata: { readonly stopReason: string };
}

interface PreparedPrompt {
  /** The tokens the model will read: the chat template's full text, or the completion prompt. */
  readonly tokens: number;
  generate(sampling: LLamaChatGenerateResponseOptions): Promise<Generated>;
}

/** The request in the form the sequence's model takes: a chat through its template, or a completion prompt. */
function preparePrompt(worker: Worker, request: ChatRequest, model: LlamaModel): PreparedPrompt {
  if (worker.chat) {
    const chat = worker.chat;
    const history = chatHistory(request);
    const text = chat.chatWrapper.generateContextState({ chatHistory: history }).contextText;
    return {
      tokens: text.tokenize(model.tokenizer).length,
      generate: (sampling) => chat.generateResponse(history, sampling),
    };
  }
  const completion = worker.completion!;
  const text = completionPrompt(request);
  return {
    tokens: model.tokenize(text).length,
    generate: (sampling) => completion.generateCompletionWithMeta(text, sampling),
  };
}

/** Without a chat template: the system text, then each message, as one document the model continues. */
export function completionPrompt(request: ChatRequest): string {
  const parts = request.system === undefined ? [] : [request.system];
  for (const message of request.messages) parts.push(message.content);
  return parts.join('\n\n') + (request.messages.length > 1 ? '\n\n' : '');
}

/** The conversation in node-llama-cpp's terms, ending with the model's turn to answer. */
function chatHistory(request: ChatRequest): ChatHistoryItem[] {
  return [
    ...(request.system === undefined ? [] : [{ type: 'system' as const, text: request.system }]),
    ...request.messages.map((message) =>
      message.role === 'user'
        ? { type: 'user' as const, text: message.content }
        : { type: 'model' as const, response: [message.content] },
    ),
    { type: 'model', response: [] },
  ];
}

/**
 * node-llama-cpp's `metadata.stopReason` (`LlamaChat.generateResponse`, `LlamaCompletion.generateCompletionWithMeta`):
 * `eogToken` | `stopGenerationTrigger` | `maxTokens` | `abort` | `customStopTrigger` (and `functionCalls` for chats
 * with functions, which llmap never passes). `maxTokens` is the answer cut off at the request's `maxTokens`.
 */
export function finishReason(stopReason: string): FinishReason {
  if (stopReason === 'maxTokens') return 'length';
  if (stopReason === 'eogToken' || stopReason === 'stopGenerationTrigger') return 'stop';
  return 'other';
}
