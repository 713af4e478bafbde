import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duration, ensureNewline, fields, json, shortId, table } from '../src/format.js';

test('table: columns are max(10, widest + 3) wide, the last one is not padded', () => {
  const text = table(
    ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'],
    [
      ['a1a1a1a1a1a1', 'front', 'bridge', 'local'],
      ['b2b2b2b2b2b2', 'a-much-longer-name', 'null', 'local'],
    ],
  );
  assert.equal(
    text,
    [
      'NETWORK ID     NAME                 DRIVER    SCOPE',
      'a1a1a1a1a1a1   front                bridge    local',
      'b2b2b2b2b2b2   a-much-longer-name   null      local',
      '',
    ].join('\n'),
  );
});

test('table: empty trailing cells leave no trailing spaces, and no rows prints the header only', () => {
  assert.equal(table(['A', 'B'], [['x', '']]), 'A         B\nx\n');
  assert.equal(table(['SANDBOX ID', 'NAME'], []), 'SANDBOX ID   NAME\n');
});

test('fields aligns values', () => {
  assert.equal(fields([['Status', 'ok'], ['Endpoints', 3]]), 'Status:    ok\nEndpoints: 3\n');
});

test('small helpers', () => {
  assert.equal(shortId('0123456789abcdef0123'), '0123456789ab');
  assert.equal(json([{ a: 1 }]), '[\n    {\n        "a": 1\n    }\n]\n');
  assert.equal(duration(0), '0s');
  assert.equal(duration(59.9), '59s');
  assert.equal(duration(3725), '1h2m5s');
  assert.equal(duration(90000), '1d1h');
  assert.equal(ensureNewline('x'), 'x\n');
  assert.equal(ensureNewline('x\n'), 'x\n');
  assert.equal(ensureNewline(''), '');
});
