import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, humanDuration, parseGoDuration, shortHumanDuration } from '../../src/api/duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;
const y = 365 * d;

describe('humanDuration', () => {
  const cases: [number, string][] = [
    [-2 * s, '<invalid>'],
    [-1999, '0s'],
    [-1 * s, '0s'],
    [0, '0s'],
    [999, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [2 * m + 3 * s, '2m3s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m, '10m'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 4 * m, '3h4m'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h, '8h'],
    [47 * h + 59 * m, '47h'],
    [48 * h, '2d'],
    [2 * d + 3 * h, '2d3h'],
    [7 * d + 23 * h, '7d23h'],
    [8 * d, '8d'],
    [729 * d, '729d'],
    [2 * y, '2y'],
    [3 * y + 45 * d, '3y45d'],
    [7 * y + 364 * d, '7y364d'],
    [8 * y, '8y'],
    [20 * y + 100 * d, '20y'],
  ];
  for (const [ms, want] of cases) test(`${ms}ms → ${want}`, () => assert.equal(humanDuration(ms), want));
});

describe('shortHumanDuration', () => {
  const cases: [number, string][] = [
    [-2 * s, '<invalid>'],
    [-1 * s, '0s'],
    [59 * s, '59s'],
    [60 * s, '1m'],
    [59 * m + 59 * s, '59m'],
    [23 * h + 59 * m, '23h'],
    [24 * h, '1d'],
    [364 * d, '364d'],
    [365 * d, '1y'],
    [2 * y + 200 * d, '2y'],
  ];
  for (const [ms, want] of cases) test(`${ms}ms → ${want}`, () => assert.equal(shortHumanDuration(ms), want));
});

describe('goDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [0.000001, '1ns'],
    [0.0015, '1.5µs'],
    [300, '300ms'],
    [1.5, '1.5ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [10 * s, '10s'],
    [80 * s, '1m20s'],
    [5 * m, '5m0s'],
    [h, '1h0m0s'],
    [26 * h + 3 * m + 4 * s + 5, '26h3m4.005s'],
    [-1500, '-1.5s'],
  ];
  for (const [ms, want] of cases) test(`${ms}ms → ${want}`, () => assert.equal(goDuration(ms), want));
  test('rejects a non-finite duration', () => assert.throws(() => goDuration(Number.NaN), RangeError));
});

test('parseGoDuration reads Go durations in milliseconds and refuses anything else', () => {
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('90s'), 90_000);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5s'), 1_500);
  assert.equal(parseGoDuration('250ms'), 250);
  assert.equal(parseGoDuration('2us'), 0.002);
  for (const bad of ['', '10', '-5s', '1d', 's', '1 h', '1h 30m']) assert.equal(parseGoDuration(bad), undefined, JSON.stringify(bad));
});
