import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSim } from './index.js';
import { resolveSimOptions, type SimOptions } from './sim-options.js';

test('applies defaults', () => {
  assert.deepEqual(resolveSimOptions({}), {
    port: 0,
    host: '127.0.0.1',
    latencyMs: 0,
    jitterMs: 0,
    rpm: undefined,
    tpm: undefined,
    otpm: undefined,
    rateLimit: 'documented',
    enforceMs: 1000,
    windowMs: 60_000,
    outages: [],
    contextTokens: undefined,
    errorRate: 0,
    timeoutRate: 0,
    malformedRate: 0,
    truncateRate: 0,
    seed: 1,
    apiKey: undefined,
    batchDelayMs: 1000,
    batchItemErrorRate: 0,
    batchExpireRate: 0,
    batchMaxRequests: 50_000,
    batchMaxFileBytes: 200 * 1024 * 1024,
    batchDownloadBytesPerS: undefined,
  });
});

test('rejects bad values with a message naming the option and the value', () => {
  const cases: [unknown, string][] = [
    [{ errorRate: 3 }, 'Expected `errorRate` to be a number between 0 and 1, got 3'],
    [{ timeoutRate: Number.NaN }, 'Expected `timeoutRate` to be a number between 0 and 1, got NaN'],
    [{ rpm: -3 }, 'Expected `rpm` to be a positive integer, got -3'],
    [{ tpm: 1.5 }, 'Expected `tpm` to be a positive integer, got 1.5'],
    [{ port: 70000 }, 'Expected `port` to be an integer between 0 and 65535, got 70000'],
    [{ latencyMs: '10' }, 'Expected `latencyMs` to be a non-negative number, got "10"'],
    [{ windowS: 0 }, 'Expected `windowS` to be a positive number, got 0'],
    [{ apiKey: '' }, 'Expected `apiKey` to be a non-empty string, got ""'],
    [{ seed: 0.5 }, 'Expected `seed` to be an integer, got 0.5'],
    [{ errorRat: 0.1 }, 'Unknown simulator option `errorRat`'],
    [
      { errorRate: 0.6, truncateRate: 0.6 },
      'Expected `errorRate`, `timeoutRate`, `malformedRate` and `truncateRate` to sum to at most 1, got 1.2',
    ],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => resolveSimOptions(options as SimOptions), { name: 'TypeError', message });
  }
});

test('accepts a fractional window, for tests that cannot wait a minute', () => {
  assert.equal(resolveSimOptions({ windowS: 0.25 }).windowMs, 250);
});

test('startSim rejects invalid options before opening a port', async () => {
  await assert.rejects(startSim({ rpm: 0 }), {
    name: 'TypeError',
    message: 'Expected `rpm` to be a positive integer, got 0',
  });
});
