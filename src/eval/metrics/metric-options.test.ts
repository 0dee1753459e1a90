import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { booleanOption, checkOptionNames, choiceOption, numberOption } from './metric-options.js';

describe('metric options', () => {
  test('an unknown option is an error naming it, the metric and the options it has', () => {
    assert.throws(() => checkOptionNames('bleu', { ordr: '3' }, ['order', 'smoothing']), {
      message: 'Unknown option `ordr` for metric `bleu`; its options are order, smoothing',
    });
    assert.throws(() => checkOptionNames('f1', { x: '1' }, []), {
      message: /`x` for metric `f1`; it takes no options/,
    });
    assert.doesNotThrow(() => checkOptionNames('bleu', { order: '3' }, ['order']));
  });

  test('a number option is read within its bounds, or the fallback when absent', () => {
    const rule = { fallback: 4, min: 1, max: 9, integer: true };
    assert.equal(numberOption('bleu', {}, 'order', rule), 4);
    assert.equal(numberOption('bleu', { order: ' 2 ' }, 'order', rule), 2);
    assert.equal(
      numberOption('numeric', { relative: '0.05' }, 'relative', { fallback: 0, min: 0, max: Infinity }),
      0.05,
    );
    assert.equal(
      numberOption('numeric', { tolerance: '1e-3' }, 'tolerance', { fallback: 0, min: 0, max: Infinity }),
      0.001,
    );
  });

  test('a number option out of bounds, fractional where an integer is wanted, or not a number is an error', () => {
    const rule = { fallback: 4, min: 1, max: 9, integer: true };
    for (const bad of ['0', '10', '2.5', 'four', '', '0x3', 'Infinity']) {
      assert.throws(() => numberOption('bleu', { order: bad }, 'order', rule), {
        message: `Expected option \`order\` of metric \`bleu\` to be an integer from 1 to 9, got ${JSON.stringify(bad)}`,
      });
    }
    assert.throws(
      () => numberOption('numeric', { tolerance: '-1' }, 'tolerance', { fallback: 0, min: 0, max: Infinity }),
      {
        message: 'Expected option `tolerance` of metric `numeric` to be a number at least 0, got "-1"',
      },
    );
  });

  test('a choice option is one of its choices in any case, else an error listing them', () => {
    assert.equal(choiceOption('bleu', {}, 'smoothing', ['exp', 'none'], 'exp'), 'exp');
    assert.equal(choiceOption('bleu', { smoothing: ' NONE' }, 'smoothing', ['exp', 'none'], 'exp'), 'none');
    assert.throws(() => choiceOption('bleu', { smoothing: 'laplace' }, 'smoothing', ['exp', 'none'], 'exp'), {
      message: 'Expected option `smoothing` of metric `bleu` to be one of exp, none, got "laplace"',
    });
  });

  test('a boolean option reads true/false, 1/0 and yes/no', () => {
    assert.equal(booleanOption('bleu', {}, 'lowercase', false), false);
    assert.deepEqual(
      ['true', 'TRUE', '1', 'yes', 'false', '0', 'No'].map((v) =>
        booleanOption('bleu', { lowercase: v }, 'lowercase', false),
      ),
      [true, true, true, true, false, false, false],
    );
    assert.throws(() => booleanOption('bleu', { lowercase: 'maybe' }, 'lowercase', false), {
      message: 'Expected option `lowercase` of metric `bleu` to be true or false, got "maybe"',
    });
  });
});
