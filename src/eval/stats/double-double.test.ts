import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { add, divide, fromNumber, multiply, subtract, toNumber, twoProduct, twoSum } from './double-double.js';

// Expected values are exact rational arithmetic (Python's fractions.Fraction on the same doubles).

describe('double-double', () => {
  test('twoSum(0.1, 0.2) keeps the rounding error: 0.30000000000000004 − 2.7755575615628914e-17', () => {
    assert.deepEqual(twoSum(0.1, 0.2), { hi: 0.30000000000000004, lo: -2.7755575615628914e-17 });
  });

  test('twoSum(1, 1e-20) holds both parts', () => {
    assert.deepEqual(twoSum(1, 1e-20), { hi: 1, lo: 1e-20 });
  });

  test('twoProduct is exact: (1 + 2⁻³⁰)² = 1 + 2⁻²⁹ + 2⁻⁶⁰', () => {
    assert.deepEqual(twoProduct(1 + 2 ** -30, 1 + 2 ** -30), { hi: 1 + 2 ** -29, lo: 2 ** -60 });
  });

  test('1 − (1 − 1e-20) recovers 1e-20, which doubles lose', () => {
    const almostOne = subtract(fromNumber(1), fromNumber(1e-20));
    assert.equal(toNumber(subtract(fromNumber(1), almostOne)), 1e-20);
  });

  test('(1/3)·3 − 1 is below 1e-31 and 1/3 + 1/3 + 1/3 rounds to 1', () => {
    const third = divide(fromNumber(1), fromNumber(3));
    const error = subtract(multiply(third, fromNumber(3)), fromNumber(1));
    assert.ok(Math.abs(toNumber(error)) < 1e-31);
    assert.equal(toNumber(add(add(third, third), third)), 1);
  });
});
