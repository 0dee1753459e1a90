import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRuns, joinRows } from './compare-runs.js';
import type { ScoreColumn } from './eval-plan.js';
import type { ScoredTable } from './score-table.js';

const column = (name: string, kind: 'binary' | 'continuous'): ScoreColumn => ({
  name,
  metric: name,
  kind,
  range: [0, 1],
  pair: undefined,
  scorer: undefined,
  spec: { name, options: {}, text: name },
});

function table(where: string, ids: string[] | undefined, scores: Record<string, number[]>): ScoredTable {
  return {
    where,
    rows: Object.values(scores)[0]!.length,
    ids,
    segments: undefined,
    columns: Object.keys(scores).map((name) => column(name, name === 'em' ? 'binary' : 'continuous')),
    scores: new Map(Object.entries(scores).map(([name, values]) => [name, Float64Array.from(values)])),
    notOk: 0,
  };
}

const options = { confidence: 0.95, resamples: 1000, seed: 1, minRows: 5, interval: 'percentile' as const };

test('rows are joined by id whatever their order; rows in one table only are counted, not compared', () => {
  const a = table('a', ['r1', 'r2', 'r3'], { em: [1, 0, 1] });
  const b = table('b', ['r3', 'r9', 'r1'], { em: [0, 1, 1] });
  const join = joinRows(a, b);
  assert.deepEqual([Array.from(join.a), Array.from(join.b), join.by], [[2, 0], [0, 2], 'id']);
  assert.throws(() => joinRows(a, table('c', ['x'], { em: [1] })), /share no row id/);
  assert.throws(
    () => joinRows(table('p', undefined, { em: [1, 0] }), table('q', undefined, { em: [1] })),
    /differ in length/,
  );
});

test('binary scores: McNemar on the discordant rows (only B right vs only A right); all p-values Holm-corrected together', async () => {
  // 40 rows: both right on 20, only A right on 12, only B right on 3, both wrong on 5.
  const a: number[] = [];
  const b: number[] = [];
  const push = (x: number, y: number, times: number) => {
    for (let i = 0; i < times; i++) {
      a.push(x);
      b.push(y);
    }
  };
  push(1, 1, 20);
  push(1, 0, 12);
  push(0, 1, 3);
  push(0, 0, 5);
  const f1a = a.map((x, i) => x * 0.5 + (i % 7) / 10);
  const f1b = b.map((y, i) => y * 0.5 + (i % 5) / 10);
  const ids = a.map((_, i) => `r${i}`);
  const comparison = await compareRuns(table('a', ids, { em: a, f1: f1a }), table('b', ids, { em: b, f1: f1b }), {
    ...options,
    correction: 'holm',
  });
  const em = comparison.results.find((r) => r.score === 'em')!;
  assert.deepEqual(em.discordant, { onlyB: 3, onlyA: 12 });
  assert.equal(em.difference, (3 - 12) / 40);
  // Exact binomial: 2·P[X ≤ 3], X ~ Bin(15, ½) = 2·(1+15+105+455)/32768.
  assert.ok(Math.abs(em.tests[0]!.pValue - (2 * 576) / 32768) < 1e-12);
  assert.equal(em.effect!.name, 'odds_ratio');
  assert.equal(em.effect!.estimate, 3 / 12);
  const f1 = comparison.results.find((r) => r.score === 'f1')!;
  assert.deepEqual(
    f1.tests.map((t) => t.test),
    ['paired_t', 'wilcoxon'],
  );
  // Holm over three p-values: the smallest is multiplied by 3, and no adjusted value is below its raw one.
  const all = comparison.results.flatMap((r) => r.tests);
  const smallest = all.reduce((m, t) => (t.pValue < m.pValue ? t : m));
  assert.ok(Math.abs(smallest.pAdjusted - Math.min(1, 3 * smallest.pValue)) < 1e-12);
  for (const t of all) assert.ok(t.pAdjusted >= t.pValue);
});
