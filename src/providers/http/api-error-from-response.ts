// Turns a non-2xx HTTP response into a typed ApiCallError: retryable or not, the server's retry hint, and
// whether the failure is the run's (bad key, unknown model) rather than the row's.

import { ApiCallError, isRetryableStatus, stopsRunStatus } from '../errors/api-call-error.js';
import type { RateLimitInfo } from '../rate-limit-info.js';
import { retryAfterMs, type HttpResponse } from './http-client.js';

/** `describe` pulls the provider's own message out of its error body. */
export function apiErrorFromResponse(
  response: HttpResponse,
  describe: (body: unknown) => string | undefined,
  rateLimit?: RateLimitInfo,
): ApiCallError {
  let message: string | undefined;
  try {
    message = describe(JSON.parse(response.body));
  } catch {
    message = undefined;
  }
  const hint = retryAfterMs(response.headers);
  return new ApiCallError({
    message: `HTTP ${response.status}${message ? `: ${message}` : ''}`,
    url: response.url,
    statusCode: response.status,
    isRetryable: isRetryableStatus(response.status),
    stopsRun: stopsRunStatus(response.status),
    responseBody: response.body.slice(0, 2000),
    ...(hint === undefined ? {} : { retryAfterMs: hint }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
  });
}
