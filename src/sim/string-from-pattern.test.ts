import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from './seeded-random.js';
import { stringFromPattern } from './string-from-pattern.js';

test('samples strings that match everyday patterns', () => {
  const patterns = [
    '^[A-Z]{2}\\d{3}$',
    '^(?:foo|bar)-[a-f0-9]{4,8}$',
    '^\\w+@\\w+\\.com$',
    '^[^\\s]{3}$',
    '^\\d{4}-\\d{2}-\\d{2}$',
    'abc',
    '^a.c?$',
    '^\\u0041[\\x42-\\x44]+$',
  ];
  const random = createRandom(5);
  for (const pattern of patterns) {
    for (let i = 0; i < 20; i++) {
      const sample = stringFromPattern(pattern, random);
      assert.ok(sample !== undefined && new RegExp(pattern, 'u').test(sample), `${pattern} gave ${sample}`);
    }
  }
});

test('gives up on what it cannot sample rather than guessing', () => {
  const random = createRandom(1);
  assert.equal(stringFromPattern('^(?=.*\\d)[a-z0-9]{8}$', random), undefined); // lookahead
  assert.equal(stringFromPattern('^(a)\\1$', random), undefined); // backreference
  assert.equal(stringFromPattern('([', random), undefined); // not a pattern
});
