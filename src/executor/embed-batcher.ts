// Rows → embeddings calls. Each row asks for one vector through the chat-shaped contract the pipeline speaks (its
// text is the request's message; the vector comes back as base64 float32 text), so the cache, dedupe, the ledger and
// retries work for embeddings as for answers. Here the rows waiting are packed into calls of up to the provider's
// limits (inputs, and tokens per input and per call), with at most `requests` calls in flight: while they are busy,
// rows gather and the next call leaves full.

import { ApiCallError } from '../providers/errors/api-call-error.js';
import { toBase64 } from '../output/vector-text.js';
import type { ChatProvider, ChatRequest, ChatResult, EmbeddingProvider } from '../providers/provider.js';

export interface BatcherOptions {
  /** Embeddings calls in flight at once. */
  readonly requests: number;
  /** Tokens of a text, when the provider has token limits. */
  readonly countTokens: (text: string) => number;
}

interface Waiting {
  readonly text: string;
  readonly tokens: number;
  resolve(result: ChatResult): void;
  reject(error: unknown): void;
}

export function batchEmbeddings(provider: EmbeddingProvider, options: BatcherOptions): ChatProvider {
  const { maxInputs, maxInputTokens, maxTotalTokens } = provider.limits;
  // Texts are counted only when the provider has token limits to keep.
  const counted = maxInputTokens !== undefined || maxTotalTokens !== undefined;
  const waiting: Waiting[] = [];
  let inFlight = 0;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    while (waiting.length > 0 && inFlight < options.requests) send(takeBatch());
  };
  const takeBatch = (): Waiting[] => {
    let count = 0;
    let tokens = 0;
    while (count < waiting.length && count < maxInputs) {
      const next = waiting[count]!.tokens;
      if (maxTotalTokens !== undefined && count > 0 && tokens + next > maxTotalTokens) break;
      tokens += next;
      count++;
    }
    return waiting.splice(0, count);
  };
  const send = (batch: Waiting[]) => {
    inFlight++;
    provider
      .doEmbed(
        batch.map((item) => item.text),
        counted ? { inputTokens: batch.reduce((sum, item) => sum + item.tokens, 0) } : {},
      )
      .then(
        (result) => {
          const share = Math.round(result.inputTokens / batch.length);
          batch.forEach((item, i) =>
            item.resolve({
              text: toBase64(result.vectors[i]!),
              finishReason: 'stop',
              usage: { inputTokens: share, outputTokens: 0 },
              model: result.model,
              ...(result.providerRequestId === undefined ? {} : { providerRequestId: result.providerRequestId }),
            }),
          );
        },
        (error: unknown) => {
          for (const item of batch) item.reject(error);
        },
      )
      .finally(() => {
        inFlight--;
        flush();
      });
  };

  return {
    specificationVersion: 'v1',
    provider: provider.provider,
    modelId: provider.modelId,
    capabilities: { structuredOutput: 'none' },
    // Enough rows in flight to fill every call.
    maxInFlight: options.requests * maxInputs,
    unsupportedSchemaParts: () => [],
    ...(provider.open ? { open: () => provider.open!() } : {}),
    doGenerate(request: ChatRequest): Promise<ChatResult> {
      const text = request.messages[0]?.content ?? '';
      if (text.trim() === '') return Promise.reject(rowError('the text to embed is empty'));
      const tokens = counted ? options.countTokens(text) : 0;
      if (maxInputTokens !== undefined && tokens > maxInputTokens) {
        return Promise.reject(
          rowError(`the text has ${tokens} tokens, over the model's limit of ${maxInputTokens} per input`),
        );
      }
      return new Promise<ChatResult>((resolve, reject) => {
        waiting.push({ text, tokens, resolve, reject });
        if (waiting.length >= maxInputs) flush();
        else if (!scheduled) {
          // Rows dispatched in one burst share a call: send once the burst is over.
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    close: () => provider.close(),
  };
}

function rowError(message: string): ApiCallError {
  return new ApiCallError({ message, isRetryable: false });
}
