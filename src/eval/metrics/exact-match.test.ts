import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exactMatchMetric } from './exact-match.js';

describe('exact_match', () => {
  const score = exactMatchMetric.prepare({});

  test('is 1 only for the same text, character for character', () => {
    assert.equal(score('Paris', 'Paris'), 1);
    assert.equal(score('Paris', 'paris'), 0);
    assert.equal(score('Paris ', 'Paris'), 0);
    assert.equal(score('Paris\n', 'Paris'), 0);
    assert.equal(score('', ''), 1);
    assert.equal(score('', 'Paris'), 0);
  });

  test('compares unicode as code units: different normalisation forms differ', () => {
    assert.equal(score('café', 'café'), 1);
    assert.equal(score('caf\u00e9', 'cafe\u0301'), 0);
  });

  test('compares numbers and booleans by their text form', () => {
    assert.equal(score(3, '3'), 1);
    assert.equal(score(3.0, 3), 1);
    assert.equal(score(3, '3.0'), 0);
    assert.equal(score('0.5', 0.5), 1);
    assert.equal(score(true, 'true'), 1);
    assert.equal(score(true, 'True'), 0);
    assert.equal(score(1, true), 0);
  });

  test('compares objects and arrays by canonical JSON: key order is ignored, element order is not', () => {
    assert.equal(score({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }), 1);
    assert.equal(score({ a: 1 }, '{"a":1}'), 1);
    assert.equal(score([1, 2], [2, 1]), 0);
    assert.equal(score({ a: 1 }, { a: '1' }), 0);
  });

  test('cannot score a row whose answer or reference is missing', () => {
    assert.equal(score(null, 'Paris'), null);
    assert.equal(score('Paris', null), null);
    assert.equal(score(undefined, undefined), null);
  });

  test('takes no options', () => {
    assert.throws(() => exactMatchMetric.prepare({ trim: 'true' }), /Unknown option `trim`/);
  });
});
