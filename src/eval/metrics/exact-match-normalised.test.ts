import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exactMatchNormalisedMetric } from './exact-match-normalised.js';

// SQuAD v1.1's exact match: evaluate-v1.1.py `exact_match_score`, with `metric_max_over_ground_truths` for several.
describe('exact_match_norm', () => {
  const score = exactMatchNormalisedMetric.prepare({});

  test('ignores case, punctuation, articles and extra whitespace', () => {
    assert.equal(score('The Denver Broncos!', 'denver  broncos'), 1);
    assert.equal(score('  Santa Clara, California ', 'santa clara california'), 1);
    assert.equal(score('Broncos', 'Denver Broncos'), 0);
  });

  test('does not ignore accents or non-ASCII punctuation', () => {
    assert.equal(score('Café', 'cafe'), 0);
    assert.equal(score('ÜNÏCODE CAFÉ!', 'ünïcode café'), 1);
    assert.equal(score('«Paris»', 'Paris'), 0);
  });

  test('matches when any reference of an array reference matches (max over ground truths)', () => {
    const truths = ['Santa Clara, California', "Levi's Stadium", "Levi's Stadium in the San Francisco Bay Area"];
    assert.equal(score('levis stadium', truths), 1);
    assert.equal(score('San Francisco', truths), 0);
  });

  test('an answer that normalises to nothing matches a reference that does too', () => {
    assert.equal(score('The.', 'a'), 1);
    assert.equal(score('', ''), 1);
    assert.equal(score('', 'Paris'), 0);
  });

  test('reads numbers and booleans as their text', () => {
    assert.equal(score(1000, '1,000'), 1);
    assert.equal(score(true, 'True.'), 1);
  });

  test('cannot score a row whose answer or reference is missing', () => {
    assert.equal(score(null, 'x'), null);
    assert.equal(score('x', null), null);
    assert.equal(score('x', [null]), null);
    assert.equal(score('x', []), null);
  });
});
