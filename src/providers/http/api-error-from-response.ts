// Turns a non-2xx HTTP response into a typed ApiCallError: retryable or not, the server's retry hint, and
// whether the failure is the run's (bad key, unknown model) rather than the row's.

import { ApiCallError, isRetryableStatus, stopsRunStatus } from '../errors/api-call-error.js';
import type { RateLimitInfo } from '../rate-limit-info.js';
import { retryAfterMs, type HttpResponse } from './http-client.js';

/** `describe` pulls the provider's own message out of its error body; `fatal` says the body stops the run whatever
 * its status (OpenAI's 429 `insufficient_quota`: no credit left, which waiting does not cure). */
export function apiErrorFromResponse(
  response: HttpResponse,
  describe: (body: unknown) => string | undefined,
  rateLimit?: RateLimitInfo,
  fatal?: (body: unknown) => boolean,
): ApiCallError {
  let message: string | undefined;
  let stopsRun = stopsRunStatus(response.status);
  try {
    const body: unknown = JSON.parse(response.body);
    message = describe(body);
    stopsRun ||= fatal?.(body) === true;
  } catch {
    message = undefined;
  }
  const hint = retryAfterMs(response.headers);
  return new ApiCallError({
    message: `HTTP ${response.status}${message ? `: ${message}` : ''}`,
    url: response.url,
    statusCode: response.status,
    isRetryable: isRetryableStatus(response.status) && !stopsRun,
    stopsRun,
    responseBody: response.body.slice(0, 2000),
    ...(hint === undefined ? {} : { retryAfterMs: hint }),
    ...(rateLimit === undefined ? {} : { rateLimit }),
  });
}
