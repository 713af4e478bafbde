import assert from 'node:assert/strict';
import { test } from 'node:test';
import { naturalCompare } from '../src/natural-order.js';

const sorted = (names: string[]) => [...names].sort(naturalCompare);

test('numbers inside names compare as numbers, as in docker network ls', () => {
  assert.deepStrictEqual(sorted(['net10', 'net2', 'net1', 'net']), ['net', 'net1', 'net2', 'net10']);
  assert.deepStrictEqual(sorted(['a10b', 'a9c', 'a9b']), ['a9b', 'a9c', 'a10b']);
  assert.deepStrictEqual(sorted(['99999999999999999999b', '100000000000000000000a']), ['99999999999999999999b', '100000000000000000000a']);
});

test('digits before other characters; otherwise by code unit, case-sensitive, like sortorder.NaturalLess', () => {
  assert.deepStrictEqual(sorted(['front', 'back', 'Back', '1st', 'bridge', 'back-2', 'back_1']), ['1st', 'Back', 'back', 'back-2', 'back_1', 'bridge', 'front']);
});

test('leading zeros: equal values sort the one with fewer zeros first; equal names are 0', () => {
  assert.deepStrictEqual(sorted(['x007', 'x7', 'x07', 'x8']), ['x7', 'x07', 'x007', 'x8']);
  assert.equal(naturalCompare('same1', 'same1'), 0);
  assert.equal(naturalCompare('', ''), 0);
  assert.equal(naturalCompare('', 'a'), -1);
  assert.equal(naturalCompare('a', ''), 1);
});
