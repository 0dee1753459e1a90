import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitWords } from './split-words.js';

// Expected values are Python 3's str.split() on the same strings.
describe("Python's str.split()", () => {
  test('splits at runs of whitespace and drops empty words at the ends', () => {
    assert.deepEqual(splitWords('  a \t b\n\nc  '), ['a', 'b', 'c']);
    assert.deepEqual(splitWords(''), []);
    assert.deepEqual(splitWords(' \n '), []);
  });

  test('splits at the Unicode spaces Python counts as whitespace', () => {
    assert.deepEqual(splitWords('a\u00a0b\u2003c\u3000d\u2028e'), ['a', 'b', 'c', 'd', 'e']);
    // U+001C..U+001F (information separators) and U+0085 (next line) are whitespace to Python, not to JS's \s.
    assert.deepEqual(splitWords('a\x1cb\x1fc\x85d'), ['a', 'b', 'c', 'd']);
  });

  test('does not split at U+FEFF or the zero-width space, which Python keeps inside words', () => {
    assert.deepEqual(splitWords('a\ufeffb c\u200bd'), ['a\ufeffb', 'c\u200bd']);
  });
});
