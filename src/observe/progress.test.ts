import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { progressLine, startProgress } from './progress.js';
import { RunStats } from './run-stats.js';

/** A terminal `columns` wide that keeps what was written; `note` draws the bar at once, so no timer is waited on. */
function drawOn(stats: RunStats, columns: number, now: number): string {
  const writes: string[] = [];
  const progress = startProgress(stats, { isTTY: true, columns, write: (text) => writes.push(text) }, () => now, {
    intervalMs: 60_000,
  });
  progress.note('llmap: note');
  progress.stop();
  const bar = writes.at(-2)!; // the last write is the stop's clearing of the line
  assert.equal(writes.at(-1), '\r\x1b[2K');
  return bar;
}

function outcome(status: 'ok' | 'failed' | 'invalid', resumed = false) {
  return { status, resumed, cached: false, inputTokens: 40, outputTokens: 10 } as never;
}

/** A big run, mid-way: 12 rows failed, with retries and tokens, 100 s in. */
function bigRun(): RunStats {
  const stats = new RunStats(100_000_000, 0);
  for (let i = 0; i < 5_000; i++) stats.count(outcome(i < 12 ? 'failed' : 'ok'));
  stats.ok += 12_340_000; // rows counted in bulk: the line reads only the counters
  stats.inputTokens = 1_234_567_890;
  stats.retries = 4_321;
  return stats;
}

describe('the progress line', () => {
  test('on an 80-column terminal it fits, and keeps the rows and the error count', () => {
    const line = drawOn(bigRun(), 80, 100_000);
    assert.ok(line.length <= 79, `${line.length} characters: ${line}`);
    assert.match(line, /12,345,000\/100,000,000 rows/);
    assert.match(line, /12 errors/);
    assert.match(line, /ETA /, 'the ETA goes after the tokens, the retries and the rate');
    assert.doesNotMatch(line, /tokens/);
  });

  test('on a wide terminal it shows a bar and every part', () => {
    const line = drawOn(bigRun(), 200, 100_000);
    assert.match(line, /^\[#{5}-{35}\] 12,345,000\/100,000,000 rows · 123,450 rows\/s · ETA 11m50s · /);
    assert.match(line, / · 1,234,617,890 tokens · 12 errors · 4,321 retries$/);
  });

  test('on a narrow terminal the rows and errors stay, the rest goes', () => {
    const line = drawOn(bigRun(), 50, 100_000);
    assert.equal(line, '12,345,000/100,000,000 rows · 12 errors');
  });

  test('a log gets the whole line, whatever its length', () => {
    assert.equal(
      progressLine(bigRun(), 100_000),
      '12,345,000/100,000,000 rows · 123,450 rows/s · ETA 11m50s · 1,234,617,890 tokens · 12 errors · 4,321 retries',
    );
  });

  test('on resume, the rate and the ETA count only the rows answered in this run', () => {
    const stats = new RunStats(10_000, 0);
    for (let i = 0; i < 9_000; i++) stats.count(outcome('ok', true)); // taken from the run state, at once
    for (let i = 0; i < 100; i++) stats.count(outcome('ok')); // answered by the provider, over 10 s
    const line = progressLine(stats, 10_000);
    assert.match(line, /^9,100\/10,000 rows · 10\.0 rows\/s · ETA 1m30s · /);
  });

  test('a resumed run that has answered nothing yet has no ETA', () => {
    const stats = new RunStats(1_000, 0);
    for (let i = 0; i < 400; i++) stats.count(outcome('ok', true));
    assert.match(progressLine(stats, 2_000), /^400\/1,000 rows · 0\.0 rows\/s · ETA \? · /);
  });
});
