import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fieldMatchMetric, fieldValueKey } from './field-match.js';

describe('field_match', () => {
  const score = fieldMatchMetric.prepare({});

  test('compares numbers by value, whether they come as numbers or as text', () => {
    assert.equal(score(3, '3'), 1);
    assert.equal(score(3, 3.0), 1);
    assert.equal(score('3.0', 3), 1);
    assert.equal(score(' 3 ', '3.00'), 1);
    assert.equal(score(0.1, '0.10'), 1);
    assert.equal(score(1000, '1e3'), 1);
    assert.equal(score(-0, '0'), 1);
    assert.equal(score(3, 3.5), 0);
    assert.equal(score(3, 'three'), 0);
  });

  test('compares integers written as text exactly, beyond 2^53 (DuckDB gives BIGINT cells as text)', () => {
    assert.equal(score('12345678901234567891', '12345678901234567891'), 1);
    assert.equal(score('12345678901234567891', '12345678901234567890'), 0);
    assert.equal(score(12345678901234567890n, '12345678901234567890'), 1);
  });

  test('compares strings trimmed and case-insensitively, after Unicode NFC normalisation', () => {
    assert.equal(score(' Paris ', 'paris'), 1);
    assert.equal(score('PARIS', 'Paris'), 1);
    assert.equal(score('caf\u00e9', 'CAFE\u0301'), 1);
    assert.equal(score('Paris', 'Paris, France'), 0);
    assert.equal(score('', ''), 1);
    assert.equal(score('', 'x'), 0);
  });

  test('compares booleans with booleans and the words true/false, not with 1/0 or yes/no', () => {
    assert.equal(score(true, 'true'), 1);
    assert.equal(score(false, ' FALSE '), 1);
    assert.equal(score('True', true), 1);
    assert.equal(score(true, false), 0);
    assert.equal(score(true, 1), 0);
    assert.equal(score(true, 'yes'), 0);
  });

  test('compares arrays as multisets of typed values: order is ignored, counts are not', () => {
    assert.equal(score(['b', 'a'], ['A', 'b']), 1);
    assert.equal(score([1, 2, 2], ['2', 1, '2.0']), 1);
    assert.equal(score([1, 2], [1, 2, 2]), 0);
    assert.equal(score([], []), 1);
    assert.equal(score(['a'], 'a'), 0);
  });

  test('reads a string holding a JSON array or object as that value (a list written to CSV)', () => {
    assert.equal(score(['red', 'blue'], '["Blue", "red"]'), 1);
    assert.equal(score({ a: 1 }, '{"a": 1}'), 1);
    assert.equal(score('[not json', '[not json'), 1);
    assert.equal(score('[not json', '[NOT JSON'), 1);
  });

  test('compares objects by canonical JSON: key order is ignored, values are exact', () => {
    assert.equal(score({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }), 1);
    assert.equal(score({ a: 1 }, { a: '1' }), 0);
    assert.equal(score({ a: 'x' }, { a: 'X' }), 0);
  });

  test('keeps values of different types apart', () => {
    const keys = [3, 'three', true, [3], { v: 3 }, null].map(fieldValueKey);
    assert.equal(new Set(keys).size, keys.length);
  });

  test('cannot score a missing answer or reference, but an array may hold nulls', () => {
    assert.equal(score(null, 3), null);
    assert.equal(score(3, null), null);
    assert.equal(score(undefined, 3), null);
    assert.equal(score([null, 1], [1, null]), 1);
  });
});
