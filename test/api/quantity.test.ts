import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalQuantity,
  compareQuantities,
  parseQuantity,
  Quantity,
  QUANTITY_FORMAT_ERROR,
  QUANTITY_SUFFIX_ERROR,
  tryParseQuantity,
} from '../../src/api/quantity.js';

describe('quantity canonical form', () => {
  const cases: [string | number, string][] = [
    ['128Mi', '128Mi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['2048Ki', '2Mi'],
    ['5000Ki', '5000Ki'],
    ['0.5Ki', '512'],
    ['1Ki', '1Ki'],
    ['0.5', '500m'],
    [0.5, '500m'],
    [1, '1'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['2000m', '2'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['100M', '100M'],
    ['0.1', '100m'],
    ['.5', '500m'],
    ['5.', '5'],
    ['+1', '1'],
    ['-1', '-1'],
    ['-0', '0'],
    ['0Mi', '0'],
    ['1n', '1n'],
    ['0.1n', '1n'],
    ['1.0001m', '1000100n'],
    ['1u', '1u'],
    ['1E', '1E'],
    ['1e3', '1e3'],
    ['12e6', '12e6'],
    ['1.5e3', '1500'],
    ['1E3', '1e3'],
    [1e21, '1e21'],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(canonicalQuantity(input), expected);
    });
  }
});

describe('quantity errors', () => {
  const cases: [string, string][] = [
    ['', QUANTITY_FORMAT_ERROR],
    ['abc', QUANTITY_FORMAT_ERROR],
    ['1Zi', QUANTITY_FORMAT_ERROR],
    ['1.2.3', QUANTITY_FORMAT_ERROR],
    ['.', QUANTITY_FORMAT_ERROR],
    ['1 Gi', QUANTITY_FORMAT_ERROR],
    ['1ki', QUANTITY_SUFFIX_ERROR],
    ['1MiB', QUANTITY_FORMAT_ERROR],
    ['1e', QUANTITY_SUFFIX_ERROR],
  ];
  for (const [input, message] of cases) {
    test(`${JSON.stringify(input)} is refused`, () => {
      assert.throws(() => parseQuantity(input), { name: 'QuantityError', message });
      assert.equal(tryParseQuantity(input), undefined);
    });
  }
  test('non-strings are not quantities', () => {
    assert.equal(tryParseQuantity({}), undefined);
    assert.equal(tryParseQuantity(Number.NaN), undefined);
  });
});

describe('quantity arithmetic and comparison', () => {
  test('compares across suffix families', () => {
    assert.equal(compareQuantities('1Gi', '1G'), 1);
    assert.equal(compareQuantities('1000m', '1'), 0);
    assert.equal(compareQuantities('999m', 1), -1);
  });
  test('values round up like Value() and MilliValue()', () => {
    assert.equal(parseQuantity('1.5').value(), 2);
    assert.equal(parseQuantity('100m').milliValue(), 100);
    assert.equal(parseQuantity('1n').milliValue(), 1);
    assert.equal(parseQuantity('128Mi').value(), 134217728);
    assert.equal(parseQuantity('-1.5').value(), -1);
  });
  test('sums keep the first operand format', () => {
    assert.equal(parseQuantity('512Mi').add(parseQuantity('512Mi')).toString(), '1Gi');
    assert.equal(parseQuantity('250m').add(parseQuantity('750m')).toString(), '1');
    assert.equal(new Quantity(0n).add(parseQuantity('1Ki')).toString(), '1Ki');
  });
  test('constructors from milli and whole units', () => {
    assert.equal(Quantity.fromMilli(1500).toString(), '1500m');
    assert.equal(Quantity.fromValue(2048, 'BinarySI').toString(), '2Ki');
    assert.equal(JSON.stringify({ q: Quantity.fromValue(1) }), '{"q":"1"}');
    assert.ok(parseQuantity('2').isInteger());
    assert.ok(!parseQuantity('2.5').isInteger());
  });
});
