import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { tokenize13a } from './tokenize-13a.js';

// The rules of sacreBLEU's Tokenizer13a / TokenizerRegexp (mteval-v13a.pl), one per test.
describe('13a tokenizer', () => {
  test('splits off ASCII symbols and punctuation, keeping apostrophes in words', () => {
    assert.deepEqual(tokenize13a('He said "yes" (twice); isn\'t it?'), [
      'He',
      'said',
      '"',
      'yes',
      '"',
      '(',
      'twice',
      ')',
      ';',
      "isn't",
      'it',
      '?',
    ]);
  });

  test('splits off periods and commas except between digits', () => {
    assert.deepEqual(tokenize13a('1,000.5 items, e.g. 3.14.'), [
      '1,000.5',
      'items',
      ',',
      'e',
      '.',
      'g',
      '.',
      '3.14',
      '.',
    ]);
  });

  test('splits a dash off after a digit only', () => {
    assert.deepEqual(tokenize13a('1990-1995 well-known'), ['1990', '-', '1995', 'well-known']);
  });

  test('unescapes the XML entities &quot; &amp; &lt; &gt; and drops <skipped>', () => {
    assert.deepEqual(tokenize13a('A&amp;B &lt;x&gt; <skipped>'), ['A', '&', 'B', '<', 'x', '>']);
  });

  test('joins words hyphenated across a line break and treats other line breaks as spaces', () => {
    assert.deepEqual(tokenize13a('inter-\nnational\nline'), ['international', 'line']);
  });

  test('keeps case and non-ASCII letters, splitting only ASCII punctuation', () => {
    assert.deepEqual(tokenize13a('Producția de zahăr alb;'), ['Producția', 'de', 'zahăr', 'alb', ';']);
    assert.deepEqual(tokenize13a('«Ça va» — oui'), ['«Ça', 'va»', '—', 'oui']);
  });

  test('an empty or blank text has no tokens', () => {
    assert.deepEqual(tokenize13a(''), []);
    assert.deepEqual(tokenize13a(' \n '), []);
  });
});
