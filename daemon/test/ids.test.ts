import assert from 'node:assert/strict';
import { it } from 'node:test';
import { macFor, newId, nowRfc3339Nano } from '../src/controller/ids.js';

it('ids are 64 hex characters and distinct, across refills of the random pool', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = newId();
    assert.match(id, /^[0-9a-f]{64}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 1000);
  // consecutive ids share no bytes: each takes its own slice of the pool
  const [a, b] = [newId(), newId()];
  assert.notEqual(a.slice(0, 16), b.slice(0, 16));
});

it('a MAC follows the IPv4 address as libnetwork 20.10 makes it, else is random and locally administered', () => {
  assert.equal(macFor('172.18.0.5/16'), '02:42:ac:12:00:05');
  assert.match(macFor(undefined), /^02(:[0-9a-f]{2}){5}$/);
});

it('now in RFC 3339 with nanoseconds: the wall clock to the millisecond, nine fraction digits', () => {
  const before = Date.now();
  const text = nowRfc3339Nano();
  const after = Date.now();
  assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  const ms = Date.parse(`${text.slice(0, 23)}Z`);
  assert.ok(ms >= before && ms <= after, `${text} is between ${before} and ${after}`);
});
