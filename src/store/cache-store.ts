// The response cache: provider answers keyed by request key (see request/request-key.ts), shared across runs and
// jobs, so an identical question is paid for once. Raw responses are kept, not parsed answers: a schema or parser
// change re-parses them without calling the model.

import type { FinishReason } from '../providers/provider.js';

export interface CachedResponse {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly model: string;
  readonly providerRequestId?: string;
  /** When the answer was received (ms since the epoch). */
  readonly createdAt: number;
}

/**
 * Implementations: SQLite on one machine (`sqlite/sqlite-cache.ts`); a shared store when distributed.
 * `put` buffers; an entry is durable once `flush` has resolved.
 */
export interface CacheStore {
  /** The response for `key`, if there is one received at or after `notBefore` (0: any). */
  get(key: string, notBefore: number): Promise<CachedResponse | undefined>;
  put(key: string, response: CachedResponse): void;
  /**
   * A hint: these keys are about to be asked for. A store may load them (hits and misses) in one round trip, so the
   * gets that follow cost nothing; what it keeps is only good until the next call.
   */
  warm(keys: readonly string[]): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}
