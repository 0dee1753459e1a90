// The provider of --replay/--offline: it never opens a connection. Put behind the cache, it answers every request
// the cache does not with a row-level failure, `not in cache`.

import { ApiCallError } from '../errors/api-call-error.js';
import type { ChatProvider } from '../provider.js';

export const NOT_IN_CACHE = 'not in cache';

export function offlineProvider(provider: string, modelId: string): ChatProvider {
  return {
    specificationVersion: 'v1',
    provider,
    modelId,
    capabilities: { structuredOutput: 'native' },
    unsupportedSchemaParts: () => [],
    doGenerate: () => Promise.reject(new ApiCallError({ message: NOT_IN_CACHE, isRetryable: false })),
    close: () => Promise.resolve(),
  };
}
