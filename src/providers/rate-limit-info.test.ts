import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  anthropicRateLimitHeaders,
  formatOpenAiDuration,
  formatRfc3339,
  openAiRateLimitHeaders,
} from '../sim/rate-limit-headers.js';
import type { RateLimitState } from '../sim/rate-limiter.js';
import { anthropicRateLimitInfo, openAiRateLimitInfo, parseGoDuration } from './rate-limit-info.js';

const NOW = Date.UTC(2025, 0, 15, 14, 24, 0);

const openAiHeaders = (overrides: Record<string, string> = {}): Record<string, string> => ({
  'x-ratelimit-limit-requests': '100',
  'x-ratelimit-remaining-requests': '99',
  'x-ratelimit-reset-requests': '1s',
  'x-ratelimit-limit-tokens': '30000',
  'x-ratelimit-remaining-tokens': '29500',
  'x-ratelimit-reset-tokens': '120ms',
  ...overrides,
});

const anthropicFamily = (family: string, limit: number, remaining: number, resetAt: number) => ({
  [`anthropic-ratelimit-${family}-limit`]: String(limit),
  [`anthropic-ratelimit-${family}-remaining`]: String(remaining),
  [`anthropic-ratelimit-${family}-reset`]: formatRfc3339(resetAt),
});

const budget = (limit: number, remaining: number) => ({ limit, remaining, resetAtMs: NOW + 17_250 });
const openAiSimState: RateLimitState = {
  nowMs: NOW,
  budgets: { requests: budget(50, 42), tokens: budget(40_000, 31_000) },
};
const anthropicSimState: RateLimitState = {
  nowMs: NOW,
  budgets: { requests: budget(50, 42), 'input-tokens': budget(40_000, 31_000), 'output-tokens': budget(8000, 7400) },
};

describe('parseGoDuration', () => {
  test('reads the durations OpenAI writes in its reset headers', () => {
    const cases: [string, number][] = [
      ['0s', 0],
      ['120ms', 120],
      ['1s', 1000],
      ['1.5s', 1500],
      ['6m0s', 360_000],
      ['1m1.5s', 61_500],
      ['1h2m3s', 3_723_000],
      ['2h', 7_200_000],
      ['1500us', 1.5],
    ];
    assert.deepEqual(
      cases.map(([text]) => [text, parseGoDuration(text)]),
      cases,
    );
  });

  test('anything that is not wholly a duration is undefined', () => {
    const garbage = [undefined, '', ' ', 'soon', '1', 's', '1d', '-1s', '.5s', '1.s', '1e3ms', '1s later', 'in 1s'];
    assert.deepEqual(
      garbage.map((text) => parseGoDuration(text)),
      garbage.map(() => undefined),
    );
  });

  test("reads back every duration llmap's simulator writes", () => {
    const durations = [0, 1, 120, 999, 1000, 1500, 17_250, 60_000, 61_500, 360_000, 3_600_000, 3_723_000];
    assert.deepEqual(
      durations.map((ms) => parseGoDuration(formatOpenAiDuration(ms))),
      durations,
    );
  });

  test('whole milliseconds written as fractional seconds read back exactly', () => {
    const durations = [1001, 1005, 2_003, 61_001];
    assert.deepEqual(
      durations.map((ms) => parseGoDuration(formatOpenAiDuration(ms))),
      durations,
    );
  });
});

describe('openAiRateLimitInfo', () => {
  test('reads the requests and tokens trios', () => {
    assert.deepEqual(openAiRateLimitInfo(openAiHeaders()), {
      requests: { limit: 100, remaining: 99, resetMs: 1000 },
      tokens: { limit: 30_000, remaining: 29_500, resetMs: 120 },
    });
  });

  test('a missing trio is left out, and no headers at all is undefined', () => {
    const requestsOnly = openAiHeaders();
    delete requestsOnly['x-ratelimit-limit-tokens'];
    const tokensOnly = openAiHeaders();
    delete tokensOnly['x-ratelimit-remaining-requests'];
    assert.deepEqual(
      [openAiRateLimitInfo(requestsOnly), openAiRateLimitInfo(tokensOnly), openAiRateLimitInfo({})],
      [
        { requests: { limit: 100, remaining: 99, resetMs: 1000 } },
        { tokens: { limit: 30_000, remaining: 29_500, resetMs: 120 } },
        undefined,
      ],
    );
  });

  test('a missing or unreadable reset counts as 0 ms', () => {
    const noReset = openAiHeaders();
    delete noReset['x-ratelimit-reset-requests'];
    assert.deepEqual(
      [
        openAiRateLimitInfo(noReset)?.requests,
        openAiRateLimitInfo(openAiHeaders({ 'x-ratelimit-reset-requests': 'later' }))?.requests,
      ],
      [
        { limit: 100, remaining: 99, resetMs: 0 },
        { limit: 100, remaining: 99, resetMs: 0 },
      ],
    );
  });

  test('non-numeric counts and a zero limit are no reading', () => {
    assert.deepEqual(
      [
        openAiRateLimitInfo(openAiHeaders({ 'x-ratelimit-limit-requests': 'many' })),
        openAiRateLimitInfo(openAiHeaders({ 'x-ratelimit-remaining-requests': 'some' })),
        openAiRateLimitInfo(openAiHeaders({ 'x-ratelimit-limit-requests': '0' })),
      ],
      [0, 1, 2].map(() => ({ tokens: { limit: 30_000, remaining: 29_500, resetMs: 120 } })),
    );
  });

  test('a blank remaining count is no reading', () => {
    assert.deepEqual(openAiRateLimitInfo(openAiHeaders({ 'x-ratelimit-remaining-requests': '' })), {
      tokens: { limit: 30_000, remaining: 29_500, resetMs: 120 },
    });
  });

  test('a repeated header is read by its first value', () => {
    assert.deepEqual(
      openAiRateLimitInfo({
        'x-ratelimit-limit-requests': ['100', '200'],
        'x-ratelimit-remaining-requests': '99',
        'x-ratelimit-reset-requests': '1s',
      }),
      { requests: { limit: 100, remaining: 99, resetMs: 1000 } },
    );
  });

  test("reads what llmap's simulator sends", () => {
    const headers: Record<string, string> = {};
    openAiRateLimitHeaders(openAiSimState, headers);
    assert.deepEqual(openAiRateLimitInfo(headers), {
      requests: { limit: 50, remaining: 42, resetMs: 17_250 },
      tokens: { limit: 40_000, remaining: 31_000, resetMs: 17_250 },
    });
  });
});

describe('anthropicRateLimitInfo', () => {
  test('reads requests and tokens, with resets as milliseconds from now, token figures rounded to thousands', () => {
    const headers = {
      ...anthropicFamily('requests', 50, 49, NOW + 1200),
      ...anthropicFamily('tokens', 40_000, 39_000, NOW + 60_000),
    };
    assert.deepEqual(anthropicRateLimitInfo(headers, NOW), {
      requests: { limit: 50, remaining: 49, resetMs: 1200 },
      tokens: { limit: 40_000, remaining: 39_000, resetMs: 60_000, rounding: 1000 },
    });
  });

  test('a reset already past is 0 ms, never negative', () => {
    const headers = anthropicFamily('requests', 50, 0, NOW - 5000);
    assert.deepEqual(anthropicRateLimitInfo(headers, NOW), { requests: { limit: 50, remaining: 0, resetMs: 0 } });
  });

  test('an unreadable reset counts as 0 ms', () => {
    const headers = { ...anthropicFamily('requests', 50, 10, NOW), 'anthropic-ratelimit-requests-reset': 'soon' };
    assert.deepEqual(anthropicRateLimitInfo(headers, NOW), { requests: { limit: 50, remaining: 10, resetMs: 0 } });
  });

  test('input and output token budgets are read apart, and then the combined one is not', () => {
    const headers = {
      ...anthropicFamily('tokens', 8_000, 7_000, NOW + 2_000),
      ...anthropicFamily('input-tokens', 40_000, 12_000, NOW + 9_000),
      ...anthropicFamily('output-tokens', 8_000, 7_000, NOW + 2_000),
    };
    assert.deepEqual(anthropicRateLimitInfo(headers, NOW), {
      inputTokens: { limit: 40_000, remaining: 12_000, resetMs: 9_000, rounding: 1000 },
      outputTokens: { limit: 8_000, remaining: 7_000, resetMs: 2_000, rounding: 1000 },
    });
  });

  test('the combined token budget is used when neither separate one is sent', () => {
    const headers = anthropicFamily('tokens', 80_000, 70_000, NOW + 30_000);
    assert.deepEqual(anthropicRateLimitInfo(headers, NOW), {
      tokens: { limit: 80_000, remaining: 70_000, resetMs: 30_000, rounding: 1000 },
    });
  });

  test('OpenAI headers and no headers are undefined', () => {
    assert.deepEqual(
      [anthropicRateLimitInfo(openAiHeaders(), NOW), anthropicRateLimitInfo({}, NOW)],
      [undefined, undefined],
    );
  });

  test("reads what llmap's simulator sends", () => {
    const headers: Record<string, string> = {};
    anthropicRateLimitHeaders(anthropicSimState, headers);
    // Token figures rounded to the nearest thousand, as Anthropic rounds them; the tightest of the two as `-tokens-*`.
    assert.equal(headers['anthropic-ratelimit-output-tokens-remaining'], '7000');
    assert.equal(headers['anthropic-ratelimit-tokens-limit'], '40000');
    assert.deepEqual(anthropicRateLimitInfo(headers, NOW), {
      requests: { limit: 50, remaining: 42, resetMs: 17_250 },
      inputTokens: { limit: 40_000, remaining: 31_000, resetMs: 17_250, rounding: 1000 },
      outputTokens: { limit: 8000, remaining: 7000, resetMs: 17_250, rounding: 1000 },
    });
  });
});
