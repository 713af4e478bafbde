import assert from 'node:assert/strict';
import { it } from 'node:test';
import { macFor, newId } from '../src/controller/ids.js';

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
