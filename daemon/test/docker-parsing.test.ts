import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PatchbayError } from '@patchbay/errors';
import { exactMatch, fuzzyMatch, match, matchKVList, parseFilters } from '../src/docker/filters.js';
import { parseGoDuration, parseTimeOrDuration, parseUnixTimestamp } from '../src/docker/timestamps.js';
import { checkApiVersion, compareVersions } from '../src/docker/version.js';

const throwsMessage = (fn: () => unknown, message: string) =>
  assert.throws(fn, (err: unknown) => err instanceof PatchbayError && err.kind === 'InvalidParameter' && err.message === message);

describe('docker filters', () => {
  test('both encodings give the same sets', () => {
    assert.deepStrictEqual(parseFilters('{"name":{"a":true,"b":true},"label":{"x":false}}'), new Map([['name', new Set(['a', 'b'])], ['label', new Set()]]));
    assert.deepStrictEqual(parseFilters('{"name":["a","b"],"label":[]}'), new Map([['name', new Set(['a', 'b'])], ['label', new Set()]]));
    assert.deepStrictEqual(parseFilters(''), new Map());
    assert.deepStrictEqual(parseFilters('{}'), new Map());
  });

  test('anything else is an invalid filter', () => {
    for (const raw of ['name=a', '[1]', '"x"', '{"name":"a"}', '{"name":[1]}', '{"name":{"a":"yes"}}', '{"a":1}']) {
      throwsMessage(() => parseFilters(raw), 'invalid filter');
    }
  });

  test('match is exact or an unanchored regexp; a bad pattern matches nothing', () => {
    const args = parseFilters('{"name":["^we","b$","(("]}');
    assert.equal(match(args, 'name', 'web'), true);
    assert.equal(match(args, 'name', 'db'), true);
    assert.equal(match(args, 'name', 'cache'), false);
    assert.equal(match(args, 'name', '(('), true, 'an exact match needs no valid pattern');
    assert.equal(match(args, 'other', 'anything'), true, 'no filter matches all');
  });

  test('exact and fuzzy (prefix) matching', () => {
    const args = parseFilters('{"driver":["bridge"],"network":["abc"]}');
    assert.equal(exactMatch(args, 'driver', 'bridge'), true);
    assert.equal(exactMatch(args, 'driver', 'bridge2'), false);
    assert.equal(fuzzyMatch(args, 'network', 'abcdef'), true);
    assert.equal(fuzzyMatch(args, 'network', 'xabc'), false);
  });

  test('label lists: key or key=value, all must match', () => {
    const args = parseFilters('{"label":["env","tier=web"]}');
    assert.equal(matchKVList(args, 'label', { env: 'x', tier: 'web' }), true);
    assert.equal(matchKVList(args, 'label', { env: 'x', tier: 'db' }), false);
    assert.equal(matchKVList(args, 'label', { tier: 'web' }), false);
    assert.equal(matchKVList(args, 'label', {}), false);
    assert.equal(matchKVList(parseFilters('{"label":["a=b=c"]}'), 'label', { a: 'b=c' }), true);
    assert.equal(matchKVList(args, 'nothing', {}), true);
  });
});

describe('docker timestamps', () => {
  test('Unix timestamps with an optional fraction', () => {
    assert.equal(parseUnixTimestamp('0'), 0n);
    assert.equal(parseUnixTimestamp('1700000000'), 1_700_000_000_000_000_000n);
    assert.equal(parseUnixTimestamp('1700000000.5'), 1_700_000_000_500_000_000n);
    assert.equal(parseUnixTimestamp('1700000000.000000001'), 1_700_000_000_000_000_001n);
    throwsMessage(() => parseUnixTimestamp('abc'), 'strconv.ParseInt: parsing "abc": invalid syntax');
    throwsMessage(() => parseUnixTimestamp('10.x'), 'strconv.ParseInt: parsing "x": invalid syntax');
  });

  test('Go durations', () => {
    assert.equal(parseGoDuration('90s'), 90_000_000_000n);
    assert.equal(parseGoDuration('1h30m'), 5_400_000_000_000n);
    assert.equal(parseGoDuration('1.5h'), 5_400_000_000_000n);
    assert.equal(parseGoDuration('250ms'), 250_000_000n);
    assert.equal(parseGoDuration('0'), 0n);
    assert.equal(parseGoDuration('10'), undefined);
    assert.equal(parseGoDuration('h'), undefined);
  });

  test('prune until: durations before now, RFC 3339, Unix time', () => {
    const now = 1_700_000_000_000_000_000n;
    assert.equal(parseTimeOrDuration('24h', now), now - 86_400_000_000_000n);
    assert.equal(parseTimeOrDuration('2023-11-14T22:13:20Z', now), now);
    assert.equal(parseTimeOrDuration('2023-11-14T22:13:20.123456789Z', now), now + 123_456_789n);
    assert.equal(parseTimeOrDuration('1700000000', now), now);
    assert.equal(parseTimeOrDuration('0', now), 0n);
    throwsMessage(() => parseTimeOrDuration('soon', now), 'failed to parse value as time or duration: "soon"');
    throwsMessage(() => parseTimeOrDuration('2023-13-45', now), 'failed to parse value as time or duration: "2023-13-45"');
  });
});

describe('docker API versions', () => {
  test('compare numerically part by part', () => {
    assert.equal(compareVersions('1.44', '1.44'), 0);
    assert.equal(compareVersions('1.4', '1.24'), -1);
    assert.equal(compareVersions('1.100', '1.44'), 1);
    assert.equal(compareVersions('2', '1.44'), 1);
    assert.equal(compareVersions('1.44.0', '1.44'), 0);
  });

  test('the served range is 1.24 to 1.44', () => {
    checkApiVersion('1.24');
    checkApiVersion('1.44');
    throwsMessage(() => checkApiVersion('1.45'), 'client version 1.45 is too new. Maximum supported API version is 1.44');
    throwsMessage(
      () => checkApiVersion('1.23'),
      'client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    );
  });
});
