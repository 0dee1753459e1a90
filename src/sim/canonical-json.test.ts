import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from './canonical-json.js';

test('writes keys sorted at every depth, so key order never changes the text', () => {
  assert.equal(
    canonicalJson({ b: [{ z: 1, a: null }, 'x'], a: { d: true, c: 'é"' }, u: undefined }),
    '{"a":{"c":"é\\"","d":true},"b":[{"a":null,"z":1},"x"]}',
  );
  assert.equal(canonicalJson({ x: 1, y: 2 }), canonicalJson({ y: 2, x: 1 }));
});

test('reads back as the same value JSON.stringify would give', () => {
  const value = { messages: [{ role: 'user', content: 'hi' }], n: 1.5, list: [[], {}], flag: false };
  assert.deepEqual(JSON.parse(canonicalJson(value)), JSON.parse(JSON.stringify(value)));
});
