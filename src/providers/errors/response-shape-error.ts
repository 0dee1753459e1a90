// A provider answered 200 with a body that is not the documented envelope (truncated, not JSON, no choices).
// Asking again usually helps, so it is retryable; the answer *inside* a good envelope is judged later, in output/.

import { ApiCallError } from './api-call-error.js';

export function responseShapeError(url: string, detail: string, body: string): ApiCallError {
  return new ApiCallError({
    message: `unexpected response from ${url}: ${detail}`,
    url,
    statusCode: 200,
    isRetryable: true,
    responseBody: body.slice(0, 2000),
  });
}
