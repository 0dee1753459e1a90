import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { numericMetric, parseLenientNumber } from './numeric.js';

describe('lenient number reading', () => {
  test('reads numbers, and text with sign, currency, thousands commas, exponent or percent', () => {
    const cases: [unknown, number][] = [
      [42, 42],
      [-0.5, -0.5],
      [12n, 12],
      [' 42 ', 42],
      ['+3', 3],
      ['-3.25', -3.25],
      ['\u22123', -3],
      ['1,234.5', 1234.5],
      ['1,234,567', 1234567],
      ['$3', 3],
      ['-$3.50', -3.5],
      ['€1,000', 1000],
      ['£7', 7],
      ['¥500', 500],
      ['50%', 50],
      ['.5', 0.5],
      ['3.', 3],
      ['1e3', 1000],
      ['2.5E-4', 0.00025],
      ['007', 7],
    ];
    for (const [value, expected] of cases) assert.equal(parseLenientNumber(value), expected, String(value));
  });

  test('reads no number from prose, odd groupings, special values or other types', () => {
    const cases: unknown[] = [
      '',
      ' ',
      'forty-two',
      '42 apples',
      'about 3',
      '1,5',
      '12,34',
      '1 234',
      '0x10',
      'NaN',
      'Infinity',
      '1e999',
      '$',
      '.',
      '-',
      '%',
      '$-3',
      '3$',
      '--3',
      true,
      null,
      [3],
      { value: 3 },
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ];
    for (const value of cases) assert.equal(parseLenientNumber(value), undefined, JSON.stringify(value));
  });
});

describe('numeric', () => {
  test('is exact by default', () => {
    const score = numericMetric.prepare({});
    assert.equal(score(42, 42), 1);
    assert.equal(score('42', 42), 1);
    assert.equal(score('$1,234.50', '1234.5'), 1);
    assert.equal(score(42.0001, 42), 0);
  });

  test('accepts answers within the absolute tolerance', () => {
    const score = numericMetric.prepare({ tolerance: '0.5' });
    assert.equal(score(42.5, 42), 1);
    assert.equal(score(41.5, 42), 1);
    assert.equal(score(42.51, 42), 0);
  });

  test('accepts answers within the relative tolerance of the reference, the larger of the two tolerances winning', () => {
    const relative = numericMetric.prepare({ relative: '0.01' });
    assert.equal(relative(1010, 1000), 1);
    assert.equal(relative(1011, 1000), 0);
    assert.equal(relative(-990, -1000), 1);
    assert.equal(relative(0.001, 0), 0);
    const both = numericMetric.prepare({ tolerance: '0.5', relative: '0.01' });
    assert.equal(both(0.4, 0), 1);
    assert.equal(both(1009, 1000), 1);
  });

  test('scores an answer that is no number 0, but cannot score a missing answer or reference', () => {
    const score = numericMetric.prepare({});
    assert.equal(score('forty-two', 42), 0);
    assert.equal(score('', 42), 0);
    assert.equal(score(true, 1), 0);
    assert.equal(score(null, 42), null);
    assert.equal(score(42, null), null);
    assert.equal(score(42, 'n/a'), null);
  });

  test('rejects negative or non-numeric tolerances and unknown options', () => {
    assert.throws(() => numericMetric.prepare({ tolerance: '-1' }), /`tolerance` of metric `numeric`/);
    assert.throws(() => numericMetric.prepare({ relative: '5%' }), /`relative` of metric `numeric`/);
    assert.throws(() => numericMetric.prepare({ abs: '1' }), /Unknown option `abs`/);
  });
});
