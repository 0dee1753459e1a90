import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RowWidths } from './row-widths.js';

/** The true widest sum of `rows` consecutive widths. */
function bruteMax(widths: readonly number[], rows: number): number {
  let max = 0;
  for (let i = 0; i + Math.min(rows, widths.length) <= widths.length; i++) {
    let sum = 0;
    for (let j = i; j < i + rows && j < widths.length; j++) sum += widths[j]!;
    max = Math.max(max, sum);
  }
  return max;
}

test('the bound on any run of rows is never below the truth and at most two blocks above it', () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  // Mostly narrow rows, with clusters of wide ones (long texts sorted together, say).
  const widths = Array.from({ length: 5000 }, (_, i) =>
    i > 3000 && i < 3400 ? 20_000 : 200 + Math.floor(random() * 800),
  );
  const tracked = new RowWidths();
  for (const width of widths) tracked.add(width);
  for (const rows of [1, 100, 256, 1000, 2048, 4095]) {
    const truth = bruteMax(widths, rows);
    const bound = tracked.maxWindow(rows);
    assert.ok(bound >= truth, `${rows} rows: ${bound} < ${truth}`);
    assert.ok(bound <= truth + 2 * 256 * 20_000, `${rows} rows: ${bound} is far above ${truth}`);
  }
  assert.equal(tracked.maxRow, 20_000);
  assert.equal(
    tracked.bytes,
    widths.reduce((a, b) => a + b, 0),
  );
});

test('uniform rows are bounded by the blocks a run can touch', () => {
  const tracked = new RowWidths();
  for (let i = 0; i < 100_000; i++) tracked.add(1000);
  // 2,048 rows touch at most 9 blocks of 256.
  assert.equal(tracked.maxWindow(2048), 9 * 256 * 1000);
  assert.equal(tracked.maxWindow(10_000_000), 100_000 * 1000);
});

test('no rows: every bound is zero', () => {
  const tracked = new RowWidths();
  assert.equal(tracked.maxWindow(2048), 0);
  assert.equal(tracked.maxRow, 0);
});
