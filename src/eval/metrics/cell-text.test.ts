import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bestOver, cellText, referenceTexts } from './cell-text.js';

describe('cell text', () => {
  test('strings are kept exactly, whitespace and case included', () => {
    assert.equal(cellText(' Paris\n'), ' Paris\n');
    assert.equal(cellText(''), '');
    assert.equal(cellText('é😀'), 'é😀');
  });

  test('numbers, booleans and bigints are their JavaScript text form', () => {
    assert.deepEqual([3, 3.0, -0.5, 1e21, true, false, 12345678901234567890n].map(cellText), [
      '3',
      '3',
      '-0.5',
      '1e+21',
      'true',
      'false',
      '12345678901234567890',
    ]);
  });

  test('objects and arrays are canonical JSON, so key order does not matter', () => {
    assert.equal(cellText({ b: 1, a: [true, null] }), '{"a":[true,null],"b":1}');
    assert.equal(cellText({ a: [true, null], b: 1 }), cellText({ b: 1, a: [true, null] }));
  });

  test('null and undefined are missing', () => {
    assert.equal(cellText(null), null);
    assert.equal(cellText(undefined), null);
  });

  test('a reference is one text, or each non-null element of an array reference', () => {
    assert.deepEqual(referenceTexts('Paris'), ['Paris']);
    assert.deepEqual(referenceTexts(42), ['42']);
    assert.deepEqual(referenceTexts(['Paris', null, 'City of Light', 7]), ['Paris', 'City of Light', '7']);
    assert.equal(referenceTexts([]), null);
    assert.equal(referenceTexts([null]), null);
    assert.equal(referenceTexts(null), null);
  });

  test('the best score over references is their maximum', () => {
    assert.equal(
      bestOver(['a', 'bbb', 'bb'], (r) => r.length),
      3,
    );
  });
});
