import assert from 'node:assert/strict';
import { test } from 'node:test';
import { growth, quantile, summarize, windowMedians } from './stats.js';

test('quantile interpolates between neighbours', () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([1, 2, 3, 4], 0.9), 3.7);
  assert.equal(quantile([7], 0.9), 7);
  assert.throws(() => quantile([], 0.5), /empty/);
});

test('summarize sorts a copy and reports median, p90, min, max', () => {
  const input = [9, 1, 5, 3, 7];
  assert.deepEqual(summarize(input), { n: 5, median: 5, p90: 8.2, min: 1, max: 9 });
  assert.deepEqual(input, [9, 1, 5, 3, 7]);
});

test('growth compares the first and last window, clamped to half the run', () => {
  const samples = [1, 1, 1, 2, 2, 4, 4, 4];
  const g = growth(samples, 100);
  assert.equal(g.window, 4);
  assert.equal(g.first.median, 1);
  assert.equal(g.last.median, 4);
  assert.equal(g.ratio, 4);
  assert.equal(growth(samples, 2).first.median, 1);
  assert.equal(growth(samples, 2).last.median, 4);
  assert.throws(() => growth([1], 10), /at least 2/);
});

test('windowMedians gives the median of each consecutive window, the last one shorter', () => {
  assert.deepEqual(windowMedians([5, 1, 3, 10, 30, 20, 7], 3), [3, 20, 7]);
  assert.deepEqual(windowMedians([], 3), []);
});
