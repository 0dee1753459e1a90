import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { regexMetric } from './regex.js';

describe('regex', () => {
  test('is 1 when the answer contains a match of the pattern, and needs no reference', () => {
    const score = regexMetric.prepare({ pattern: '\\d{4}-\\d{2}-\\d{2}' });
    assert.equal(regexMetric.needsReference, false);
    assert.equal(score('due 2024-05-01', null), 1);
    assert.equal(score('due May 1st', null), 0);
  });

  test('matches the whole answer only when anchored', () => {
    const score = regexMetric.prepare({ pattern: '^(yes|no)$' });
    assert.equal(score('yes', null), 1);
    assert.equal(score('yes, surely', null), 0);
    assert.equal(score('', null), 0);
  });

  test('takes flags', () => {
    assert.equal(regexMetric.prepare({ pattern: '^yes$' })('YES', null), 0);
    assert.equal(regexMetric.prepare({ pattern: '^yes$', flags: 'i' })('YES', null), 1);
    assert.equal(regexMetric.prepare({ pattern: '^\\p{Lu}', flags: 'u' })('Élan', null), 1);
  });

  test('gives the same result for the same answer on every call (no state carried between rows)', () => {
    const score = regexMetric.prepare({ pattern: 'a' });
    assert.deepEqual([score('a', null), score('a', null), score('a', null)], [1, 1, 1]);
  });

  test('matches numbers, booleans and JSON answers by their text', () => {
    const score = regexMetric.prepare({ pattern: '^\\{"label":"(spam|ham)"\\}$' });
    assert.equal(score({ label: 'spam' }, null), 1);
    assert.equal(regexMetric.prepare({ pattern: '^4\\d$' })(42, null), 1);
    assert.equal(regexMetric.prepare({ pattern: '^true$' })(true, null), 1);
  });

  test('cannot score a missing answer', () => {
    assert.equal(regexMetric.prepare({ pattern: '.*' })(null, 'x'), null);
  });

  test('names the bad option: a missing or empty pattern, an invalid pattern, bad or stateful flags', () => {
    assert.throws(() => regexMetric.prepare({}), /needs option `pattern`/);
    assert.throws(() => regexMetric.prepare({ pattern: '' }), /needs option `pattern`/);
    assert.throws(
      () => regexMetric.prepare({ pattern: '(a' }),
      /Option `pattern` of metric `regex` is not a valid regular expression \(.*\(a/,
    );
    assert.throws(() => regexMetric.prepare({ pattern: 'a', flags: 'q' }), /Option `flags` of metric `regex`/);
    assert.throws(() => regexMetric.prepare({ pattern: 'a', flags: 'g' }), /must not hold g or y/);
    assert.throws(() => regexMetric.prepare({ pattern: 'a', flags: 'iy' }), /must not hold g or y/);
    assert.throws(() => regexMetric.prepare({ pattern: 'a', flag: 'i' }), /Unknown option `flag`/);
  });
});
