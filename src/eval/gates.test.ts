import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Comparison } from './compare-runs.js';
import { checkGates, evaluateGates, parseGate } from './gates.js';
import type { ScoreStats } from './summarise.js';

test('a gate names a score, optionally a statistic, an operator and a threshold', () => {
  assert.deepEqual(parseGate('exact_match >= 0.92'), {
    text: 'exact_match >= 0.92',
    regression: false,
    score: 'exact_match',
    stat: 'mean',
    operator: '>=',
    threshold: 0.92,
  });
  assert.deepEqual([parseGate('f1.ci_low>=0.8').score, parseGate('f1.ci_low>=0.8').stat], ['f1', 'ci_low']);
  assert.deepEqual(
    [parseGate('category.field_match > 0.5').score, parseGate('category.field_match > 0.5').stat],
    ['category.field_match', 'mean'],
  );
  const regression = parseGate('regression(exact_match) <= 0.02');
  assert.deepEqual(
    [regression.regression, regression.score, regression.operator, regression.threshold],
    [true, 'exact_match', '<=', 0.02],
  );
  assert.equal(parseGate('exact_match.n >= 1000').stat, 'n');
});

test('a malformed gate, a gate on an unknown score, or a regression without a baseline fails before scoring', () => {
  assert.throws(() => parseGate('exact_match is high'), /--gate "exact_match is high": expected SCORE/);
  assert.throws(
    () => checkGates([parseGate('f1 >= 0.8')], ['exact_match'], false),
    /no score f1; the scores are exact_match/,
  );
  assert.throws(() => checkGates([parseGate('regression(f1) <= 0.1')], ['f1'], false), /needs a baseline/);
});

const stats = (mean: number, low: number, high: number, n = 100): ScoreStats => ({
  score: 'exact_match',
  segment: undefined,
  kind: 'binary',
  range: [0, 1],
  rows: n,
  n,
  mean,
  interval: { low, high },
  percentile: { low, high },
  bca: { low, high },
  note: undefined,
});

test('score gates read the candidate; regression gates read baseline − candidate and its flipped interval', () => {
  const comparison = {
    results: [
      {
        score: 'exact_match',
        segment: undefined,
        difference: -0.05,
        interval: { low: -0.08, high: -0.02 },
        note: undefined,
      },
    ],
  } as unknown as Comparison;
  const results = evaluateGates(
    [
      'exact_match >= 0.9',
      'exact_match.ci_low >= 0.86',
      'regression(exact_match) <= 0.02',
      'regression(exact_match).ci_low <= 0.01',
    ].map(parseGate),
    [stats(0.9, 0.85, 0.95)],
    comparison,
  );
  assert.deepEqual(
    results.map((r) => [r.gate.text, r.value, r.passed]),
    [
      ['exact_match >= 0.9', 0.9, true],
      ['exact_match.ci_low >= 0.86', 0.85, false],
      ['regression(exact_match) <= 0.02', 0.05, false],
      ['regression(exact_match).ci_low <= 0.01', 0.02, false],
    ],
  );
});

test('a gate on an interval that does not exist (too few rows) fails and says why', () => {
  const few = {
    ...stats(1, 0, 0, 5),
    interval: undefined,
    note: 'only 5 scored rows: too few for an interval (--min-rows 30)',
  };
  const [result] = evaluateGates([parseGate('exact_match.ci_low >= 0.5')], [few], undefined);
  assert.deepEqual([result!.passed, result!.value, result!.reason], [false, undefined, few.note]);
});
