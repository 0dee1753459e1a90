// The HTTP under the batch APIs: a few calls per batch (upload, create, poll, download), so plain undici requests on
// one small pool, with JSON bodies, multipart uploads and downloads streamed line by line. A failure becomes an
// ApiCallError that says whether asking again may help.

import type { Pool } from 'undici';
import { ApiCallError } from '../errors/api-call-error.js';
import { apiErrorFromResponse } from '../http/api-error-from-response.js';
import type { HttpResponse } from '../http/http-client.js';

export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Below the base URL's path (`/files`), or an absolute URL on the same host. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly signal?: AbortSignal;
}

export interface ApiHttp {
  /** The response, when its status is 2xx; otherwise throws the provider's error as an ApiCallError. */
  call(request: ApiRequest): Promise<HttpResponse>;
  /** A 2xx response's body, line by line as it downloads. */
  lines(request: ApiRequest): AsyncIterable<string>;
  close(): Promise<void>;
}

export interface ApiHttpOptions {
  readonly baseUrl: URL;
  /** Sent with every request (auth, version). */
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  /** The provider's error message in its error body. */
  readonly errorMessage: (body: unknown) => string | undefined;
}

export function createApiHttp(options: ApiHttpOptions): ApiHttp {
  let pool: Promise<Pool> | undefined;
  const openPool = () =>
    (pool ??= import('undici').then(({ Pool }) => new Pool(options.baseUrl.origin, { connections: 4 })));
  const basePath = options.baseUrl.pathname.replace(/\/+$/, '');
  const target = (path: string) =>
    /^https?:\/\//.test(path) ? new URL(path).pathname + new URL(path).search : basePath + path;

  async function send(request: ApiRequest) {
    const path = target(request.path);
    const url = options.baseUrl.origin + path;
    try {
      const response = await (
        await openPool()
      ).request({
        path,
        method: request.method,
        headers: {
          ...(typeof request.body === 'string' ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
          ...request.headers,
        },
        body: request.body ?? null,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: request.signal ?? null,
      });
      return { response, url };
    } catch (error) {
      if (request.signal?.aborted) throw error;
      const code = (error as { code?: string }).code;
      throw new ApiCallError({
        message: `${code ?? 'network error'}: ${(error as Error).message} (${url})`,
        url,
        isRetryable: true,
        cause: error,
      });
    }
  }

  function failure(response: { statusCode: number; headers: HttpResponse['headers'] }, body: string, url: string) {
    return apiErrorFromResponse(
      { status: response.statusCode, headers: response.headers, body, url },
      options.errorMessage,
    );
  }

  return {
    async call(request) {
      const { response, url } = await send(request);
      const body = await response.body.text();
      if (response.statusCode < 200 || response.statusCode >= 300) throw failure(response, body, url);
      return { status: response.statusCode, headers: response.headers, body, url };
    },
    async *lines(request) {
      const { response, url } = await send(request);
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw failure(response, await response.body.text(), url);
      }
      let rest = '';
      try {
        for await (const chunk of response.body) {
          const text = rest + (chunk as Buffer).toString('utf8');
          const parts = text.split('\n');
          rest = parts.pop()!;
          for (const part of parts) if (part.trim() !== '') yield part;
        }
      } catch (error) {
        if (request.signal?.aborted) throw error;
        throw new ApiCallError({
          message: `download cut off: ${(error as Error).message} (${url})`,
          url,
          isRetryable: true,
          cause: error,
        });
      }
      if (rest.trim() !== '') yield rest;
    },
    async close() {
      if (pool) await (await pool).close();
    },
  };
}

/** `{ signal }` when there is one (for optional-property types). */
export function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}
