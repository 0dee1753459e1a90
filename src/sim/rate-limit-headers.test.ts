import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatOpenAiDuration, formatRfc3339 } from './rate-limit-headers.js';

test('formats reset durations the way OpenAI writes them', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [-5, '0s'],
    [0.2, '1ms'],
    [120, '120ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [17_250, '17.25s'],
    [60_000, '1m0s'],
    [360_000, '6m0s'],
    [61_500, '1m1.5s'],
    [3_600_000, '1h0m0s'],
    [3_723_000, '1h2m3s'],
  ];
  assert.deepEqual(
    cases.map(([ms]) => [ms, formatOpenAiDuration(ms)]),
    cases,
  );
});

test('formats Anthropic resets as RFC 3339 in UTC, with milliseconds only when there are some', () => {
  assert.equal(formatRfc3339(Date.UTC(2025, 0, 15, 14, 24, 0)), '2025-01-15T14:24:00Z');
  assert.equal(formatRfc3339(Date.UTC(2025, 0, 15, 14, 24, 0, 250)), '2025-01-15T14:24:00.250Z');
});
