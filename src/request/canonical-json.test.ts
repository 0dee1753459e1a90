import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson } from './canonical-json.js';

describe('canonical JSON', () => {
  test('sorts object keys at every depth and writes no whitespace', () => {
    const value = { z: { y: 1, b: { d: 'x', c: [{ q: 1, p: 2 }] } }, a: true };
    assert.equal(canonicalJson(value), '{"a":true,"z":{"b":{"c":[{"p":2,"q":1}],"d":"x"},"y":1}}');
  });

  test('keeps the order of array elements', () => {
    assert.equal(canonicalJson([3, 'b', 1, 'a', [2, 1]]), '[3,"b",1,"a",[2,1]]');
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  });

  test('drops properties whose value is undefined, at every depth', () => {
    assert.equal(
      canonicalJson({ a: undefined, b: { c: undefined, d: 1 }, e: [{ f: undefined }] }),
      '{"b":{"d":1},"e":[{}]}',
    );
  });

  test('writes undefined as null inside arrays and at the top, as JSON.stringify does in arrays', () => {
    assert.equal(canonicalJson([1, undefined, 2]), '[1,null,2]');
    assert.equal(canonicalJson(undefined), 'null');
  });

  test('writes scalars as JSON, with strings escaped', () => {
    assert.deepEqual([null, 0, -1.5, false, 'a"b\nc', 'é😀'].map(canonicalJson), [
      'null',
      '0',
      '-1.5',
      'false',
      '"a\\"b\\nc"',
      '"é😀"',
    ]);
  });

  test('gives equal text for equal content written in different key orders', () => {
    const a = { type: 'object', properties: { label: { type: 'string', enum: ['y', 'n'] }, n: { type: 'integer' } } };
    const b = { properties: { n: { type: 'integer' }, label: { enum: ['y', 'n'], type: 'string' } }, type: 'object' };
    assert.equal(canonicalJson(a), canonicalJson(b));
  });

  test('gives different text for different content', () => {
    assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: '1' }));
    assert.notEqual(canonicalJson({ a: { b: 1 } }), canonicalJson({ a: { b: 2 } }));
  });

  test('parses back to the value it was written from', () => {
    const value = { messages: [{ role: 'user', content: 'hi "there"\n' }], n: 1.5, list: [[], {}], flag: false };
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });

  test('leaves out function- and symbol-valued properties, as JSON.stringify does', () => {
    const value = { a: 1, f: () => 1, s: Symbol('s') };
    assert.equal(canonicalJson(value), JSON.stringify(value));
  });
});
