import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { f1Metric, tokenF1 } from './token-f1.js';

// Expected values: `f1_score` of SQuAD's evaluate-v1.1.py run under Python 3 on the same pairs, except where the
// empty cases follow SQuAD v2.0's `compute_f1` (noted).
describe('f1 (SQuAD token F1)', () => {
  const score = f1Metric.prepare({});

  test('gives partial credit for shared normalised tokens', () => {
    assert.equal(score('the Broncos', 'Denver Broncos'), 2 / 3);
    assert.equal(
      score('Santa Clara, California', "Levi's Stadium in the San Francisco Bay Area at Santa Clara, California."),
      0.42857142857142855,
    );
    assert.equal(score('Denver Broncos', 'Denver Broncos'), 1);
    assert.equal(score('Carolina Panthers', 'Denver Broncos'), 0);
  });

  test('counts tokens as a multiset: a repeated token is shared only as often as it occurs in both', () => {
    // "cat cat cat" vs "cat cat": 2 shared, precision 2/3, recall 1.
    assert.equal(score('the the cat cat cat', 'cat the cat'), 0.8);
    assert.equal(tokenF1(['a', 'a', 'b'], ['a', 'b', 'b']), 2 / 3);
  });

  test('both empty is 1 and one empty is 0 (SQuAD v2.0; v1.1 gives 0 for both empty)', () => {
    assert.equal(tokenF1([], []), 1);
    assert.equal(score('', ''), 1);
    assert.equal(score('a an the', 'the'), 1);
    assert.equal(score('x', ''), 0);
    assert.equal(score('', 'x'), 0);
  });

  test('normalises unicode text without losing it', () => {
    assert.equal(score('Ünïcode café', 'ÜNÏCODE CAFÉ!'), 1);
    assert.equal(score('東京 タワー', '東京'), 2 / 3);
  });

  test('takes the best reference of an array reference', () => {
    assert.equal(score('Broncos', ['Carolina Panthers', 'Denver Broncos', 'the Broncos']), 1);
    assert.equal(score('Denver', ['Carolina Panthers', 'Denver Broncos']), 2 / 3);
  });

  test('reads numbers as their text', () => {
    assert.equal(score(1000, '1,000 km'), 2 / 3);
  });

  test('cannot score a row whose answer or reference is missing', () => {
    assert.equal(score(null, 'x'), null);
    assert.equal(score('x', null), null);
  });
});
