// A failed call to a model provider, typed so that retry and run control read fields, never message text.

import type { RateLimitInfo } from '../rate-limit-info.js';

const marker = Symbol.for('llmap.error.ApiCallError');

export interface ApiCallErrorInit {
  readonly message: string;
  readonly url?: string;
  /** HTTP status, when the server answered. */
  readonly statusCode?: number;
  /** Whether asking again may succeed (network errors, timeouts, 408, 409, 429, 5xx). */
  readonly isRetryable: boolean;
  /** The server's own hint (`retry-after-ms`, `retry-after`), in milliseconds. */
  readonly retryAfterMs?: number;
  /** The error cannot be a property of one row (bad key, unknown model): the run should stop. */
  readonly stopsRun?: boolean;
  readonly responseBody?: string;
  /** The provider's rate-limit readings on the failed response (a 429 carries them). */
  readonly rateLimit?: RateLimitInfo;
  readonly cause?: unknown;
}

export class ApiCallError extends Error {
  readonly [marker] = true;
  override readonly name = 'ApiCallError';
  readonly url: string | undefined;
  readonly statusCode: number | undefined;
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly stopsRun: boolean;
  readonly responseBody: string | undefined;
  readonly rateLimit: RateLimitInfo | undefined;

  constructor(init: ApiCallErrorInit) {
    super(init.message, { cause: init.cause });
    this.url = init.url;
    this.statusCode = init.statusCode;
    this.isRetryable = init.isRetryable;
    this.retryAfterMs = init.retryAfterMs;
    this.stopsRun = init.stopsRun ?? false;
    this.responseBody = init.responseBody;
    this.rateLimit = init.rateLimit;
  }

  static isInstance(error: unknown): error is ApiCallError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}

/** Status codes worth asking again: timeouts, conflicts, rate limits and server faults. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Status codes that say the whole run is misconfigured, not one row. */
export function stopsRunStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 404;
}
