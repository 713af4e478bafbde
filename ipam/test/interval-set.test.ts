import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IntervalSet } from '../src/interval-set.js';

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The lowest absent value in [from, to] by brute force, for comparison. */
function modelFirstAbsent(model: Set<bigint>, from: bigint, to: bigint): bigint | undefined {
  for (let x = from; x <= to; x++) if (!model.has(x)) return x;
  return undefined;
}

describe('IntervalSet', () => {
  it('merges neighbours and splits on delete', () => {
    const s = new IntervalSet();
    for (const x of [5n, 7n, 6n]) assert.equal(s.add(x), true);
    assert.equal(s.add(6n), false);
    assert.equal(s.intervalCount, 1);
    assert.equal(s.delete(6n), true);
    assert.equal(s.intervalCount, 2);
    assert.equal(s.delete(6n), false);
    assert.deepEqual([...s.values()], [5n, 7n]);
    assert.equal(s.firstAbsent(5n, 7n), 6n);
    assert.equal(s.firstAbsent(5n, 5n), undefined);
    assert.equal(s.firstAbsent(8n, 7n), undefined);
  });

  it('matches a plain Set under random churn across many blocks', () => {
    const rand = random(1234);
    const s = new IntervalSet();
    const model = new Set<bigint>();
    const span = 3000;
    for (let step = 0; step < 30_000; step++) {
      const x = BigInt(Math.floor(rand() * span));
      if (rand() < 0.55) {
        const absent = !model.has(x);
        model.add(x);
        assert.equal(s.add(x), absent);
      } else {
        assert.equal(s.delete(x), model.delete(x));
      }
      if (step % 997 === 0) {
        const from = BigInt(Math.floor(rand() * span));
        const to = from + BigInt(Math.floor(rand() * 200));
        assert.equal(s.firstAbsent(from, to), modelFirstAbsent(model, from, to));
        assert.equal(s.has(from), model.has(from));
      }
    }
    assert.equal(s.size, model.size);
    assert.deepEqual([...s.values()], [...model].sort((a, b) => (a < b ? -1 : 1)));
    // Many isolated members means many blocks; the structure must have actually fragmented.
    assert.ok(s.intervalCount > 256, `only ${s.intervalCount} intervals`);
  });
});
