// `llama:<model>` for `llmap embed`: vectors from the model's embedding context, exactly as node-llama-cpp's own
// `getEmbeddingFor` gives them. One text at a time: the embedding context evaluates one sequence.

import { ApiCallError } from '../errors/api-call-error.js';
import type { CallOptions, EmbeddingProvider, EmbedResult } from '../provider.js';
import {
  defaultContextSize,
  describeModel,
  plural,
  LocalModelError,
  loadLocalModel,
  messageOf,
  type LoadedModel,
  type LocalModelSettings,
} from './llama-model.js';
import type { LlamaEmbeddingContext } from 'node-llama-cpp';

export interface LlamaEmbeddingsSettings extends LocalModelSettings {
  readonly threads: number;
  readonly contextSize?: number;
}

export function createLlamaEmbeddings(settings: LlamaEmbeddingsSettings): EmbeddingProvider {
  let engine: Promise<{ loaded: LoadedModel; context: LlamaEmbeddingContext; contextSize: number }> | undefined;
  const open = () =>
    (engine ??= loadLocalModel(settings).then(async (loaded) => {
      const contextSize = settings.contextSize ?? defaultContextSize(loaded);
      try {
        const context = await loaded.model.createEmbeddingContext({ threads: settings.threads, contextSize });
        return { loaded, context, contextSize };
      } catch (error) {
        throw new LocalModelError(`cannot create an embedding context for ${loaded.name}: ${messageOf(error)}`);
      }
    }));
  return {
    provider: 'llama',
    modelId: settings.model,
    limits: { maxInputs: 1 },
    async open() {
      const { loaded } = await open();
      return [
        `${describeModel(loaded)}: embeddings of ${loaded.model.embeddingVectorSize} dimensions, ` +
          plural(settings.threads, 'thread'),
      ];
    },
    async doEmbed(inputs: readonly string[], _options: CallOptions): Promise<EmbedResult> {
      const { loaded, context, contextSize } = await open();
      const vectors: Float32Array[] = [];
      let inputTokens = 0;
      for (const input of inputs) {
        const tokens = loaded.model.tokenize(input).length;
        if (tokens > contextSize) {
          throw new ApiCallError({
            message: `the text (${tokens} tokens) does not fit the embedding context of ${contextSize} tokens: raise --context-size`,
            isRetryable: false,
          });
        }
        try {
          vectors.push(Float32Array.from((await context.getEmbeddingFor(input)).vector));
        } catch (error) {
          throw new ApiCallError({ message: `llama.cpp: ${messageOf(error)}`, isRetryable: false, cause: error });
        }
        inputTokens += tokens;
      }
      return { vectors, inputTokens, model: loaded.name };
    },
    async close() {
      const current = await engine?.catch(() => undefined);
      await current?.context.dispose();
    },
  };
}
