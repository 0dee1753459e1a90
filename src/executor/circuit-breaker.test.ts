import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiCallError } from '../providers/errors/api-call-error.js';
import { CircuitBreaker, ProviderOutageError, type OutageEvent } from './circuit-breaker.js';

const refused = () => new ApiCallError({ message: 'ECONNREFUSED: connect (http://x/v1)', isRetryable: true });
const status = (code: number) =>
  new ApiCallError({ message: `HTTP ${code}`, statusCode: code, isRetryable: code === 429 || code >= 500 });

/** A call admitted while the breaker was closed, before any outage. */
const before = { probe: false, epoch: 0 };

function breaker(options: { maxOutageMs?: number; startupMs?: number } = {}) {
  const events: OutageEvent[] = [];
  const instance = new CircuitBreaker({
    endpoint: 'http://x/v1',
    maxOutageMs: options.maxOutageMs ?? 60_000,
    startupMs: options.startupMs ?? 60_000,
    now: Date.now,
    onChange: (event) => events.push(event),
  });
  return { breaker: instance, events };
}

/** Whether the promise settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    sleep(ms, false),
  ]);
}

describe('circuit breaker', () => {
  test('sporadic faults leave it closed; five in a row open it', () => {
    const { breaker: b, events } = breaker();
    b.answered(before);
    for (let i = 0; i < 4; i++) b.failed(refused(), before);
    assert.equal(b.isOpen, false);
    b.answered(before);
    for (let i = 0; i < 4; i++) b.failed(status(503), before);
    assert.equal(b.isOpen, false, 'an answer in between resets the count');
    b.failed(status(503), before);
    assert.equal(b.isOpen, true);
    assert.deepEqual(events, [{ kind: 'down', endpoint: 'http://x/v1', error: 'HTTP 503' }]);
    b.close();
  });

  test('rows that shared one failed call (an embeddings request of many texts) count as one fault', () => {
    const { breaker: b } = breaker();
    b.answered(before);
    const shared = status(500);
    for (let row = 0; row < 64; row++) b.failed(shared, before);
    assert.equal(b.isOpen, false, 'one 500 for a request of 64 texts is not an outage');
    for (let i = 0; i < 4; i++) b.failed(status(500), before);
    assert.equal(b.isOpen, true, 'five failed calls in a row are');
    b.close();
  });

  test('while open, one call at a time probes and the others wait; the first answer frees them all', async () => {
    const { breaker: b, events } = breaker();
    for (let i = 0; i < 5; i++) b.failed(refused(), before);
    const first = b.admit();
    const second = b.admit();
    // The first probe goes after half a second.
    assert.equal(await settlesWithin(first, 300), false);
    const probe = await first;
    assert.equal(probe.probe, true, 'the first waiter probes');
    assert.equal(await settlesWithin(second, 100), false, 'the second waits for the probe');
    b.answered(probe);
    assert.equal((await second).probe, false);
    assert.equal(b.isOpen, false);
    assert.equal(events.at(-1)?.kind, 'up');
    b.close();
  });

  test('a failed probe doubles the pause before the next one', async () => {
    const { breaker: b } = breaker();
    for (let i = 0; i < 5; i++) b.failed(refused(), before);
    b.failed(refused(), await b.admit());
    const started = Date.now();
    assert.equal((await b.admit()).probe, true);
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 1500, `waited ${waited} ms`);
    b.close();
  });

  test('a 429 and faults during an outage cost no attempt; a fault while closed does', () => {
    const { breaker: b } = breaker();
    assert.deepEqual([b.excuses(status(429)), b.excuses(status(503)), b.excuses(status(400))], [true, false, false]);
    for (let i = 0; i < 5; i++) b.failed(refused(), before);
    assert.deepEqual([b.excuses(status(503)), b.excuses(refused()), b.excuses(status(400))], [true, true, false]);
    b.close();
  });

  test('an answer to a call sent before the outage began does not close it', async () => {
    const { breaker: b } = breaker();
    for (let i = 0; i < 5; i++) b.failed(status(503), before);
    b.answered(before);
    assert.equal(b.isOpen, true);
    b.answered(await b.admit());
    assert.equal(b.isOpen, false);
    b.close();
  });

  test('a refusal such as 400 is an answer: the provider is up', async () => {
    const { breaker: b } = breaker();
    for (let i = 0; i < 5; i++) b.failed(refused(), before);
    b.failed(status(400), await b.admit());
    assert.equal(b.isOpen, false);
    b.close();
  });

  test('an endpoint that has never answered is given up on after the start-up limit', async () => {
    const { breaker: b } = breaker({ startupMs: 200 });
    for (let i = 0; i < 5; i++) b.failed(refused(), before);
    await assert.rejects(
      (async () => {
        for (;;) b.failed(refused(), await b.admit());
      })(),
      (error: unknown) => {
        assert.ok(error instanceof ProviderOutageError);
        assert.equal(error.stopsRun, true);
        assert.match(error.message, /^the provider at http:\/\/x\/v1 did not answer in \d+ s: ECONNREFUSED/);
        return true;
      },
    );
    b.close();
  });

  test('after answers, an outage may last --max-outage before the run stops, and waiting calls are told', async () => {
    const { breaker: b } = breaker({ maxOutageMs: 300 });
    b.answered(before);
    for (let i = 0; i < 5; i++) b.failed(status(502), before);
    const waiting = b.admit().then(() => b.admit());
    await assert.rejects(waiting, /has not answered for \d+ s \(--max-outage\): HTTP 502/);
    b.close();
  });
});
