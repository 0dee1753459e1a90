import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { answerTokens, normaliseAnswer } from './normalise-text.js';

// Expected values are the output of `normalize_answer` from SQuAD's official evaluate-v1.1.py run under Python 3
// on the same strings.
describe('SQuAD answer normalisation', () => {
  test('lowercases, removes punctuation and the articles a/an/the, and collapses whitespace', () => {
    assert.equal(normaliseAnswer('The Cat sat.'), 'cat sat');
    assert.equal(
      normaliseAnswer("Levi's Stadium in the San Francisco Bay Area at Santa Clara, California."),
      'levis stadium in san francisco bay area at santa clara california',
    );
    assert.equal(normaliseAnswer('  A  an   THE  '), '');
  });

  test('removes punctuation without leaving a space, so joined words stay joined', () => {
    assert.equal(normaliseAnswer('1,000 km'), '1000 km');
    assert.equal(normaliseAnswer('an-apple the_a'), 'anapple thea');
  });

  test('removes an article only as a whole word, where letters of any script and digits make words', () => {
    assert.equal(normaliseAnswer('éthe thé theater'), 'éthe thé theater');
    assert.equal(normaliseAnswer('the1 1the a² an³ theⅫ'), 'the1 1the a² an³ theⅻ');
    // A combining mark is no word character to Python, so "the" before U+0301 is a word and goes.
    assert.equal(normaliseAnswer('the\u0301 end'), '\u0301 end');
  });

  test('keeps non-ASCII punctuation, which string.punctuation does not list', () => {
    assert.equal(normaliseAnswer('“The” ‘quote’ — dash'), '“ ” ‘quote’ — dash');
  });

  test('lowercases as Python does, final sigma and dotted capital I included', () => {
    assert.equal(normaliseAnswer('İstanbul ΟΔΟΣ'), 'i\u0307stanbul οδος');
  });

  test("splits at Python's whitespace, which differs from JavaScript's \\s", () => {
    assert.equal(normaliseAnswer('A\u00a0the\u2003B'), 'b');
    assert.equal(normaliseAnswer('a\x1cb\x85c\ufeffd'), 'b c\ufeffd');
    assert.equal(normaliseAnswer('x\u200bthe\u200by'), 'x\u200b \u200by');
  });

  test('tokens are the normalised words', () => {
    assert.deepEqual(answerTokens('The Denver Broncos!'), ['denver', 'broncos']);
    assert.deepEqual(answerTokens(''), []);
    assert.deepEqual(answerTokens('the'), []);
  });
});
