import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSerialWork } from '../src/cluster/serial.js';

/** The background work of the cluster watches: one key at a time, coalesced, failures tried again. */
describe('serial work', () => {
  it('marks of a waiting key coalesce into one run', async () => {
    const runs: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const work = createSerialWork(async (k) => {
      runs.push(k);
      if (k === 'a') await gate;
    }, () => {});
    work.mark('a');
    work.mark('b');
    work.mark('b');
    work.mark('b');
    release();
    await work.settled();
    assert.deepEqual(runs, ['a', 'b']);
    work.clear();
  });

  it('a key whose work failed runs again by itself, the waits doubling, until it succeeds', async () => {
    const at: number[] = [];
    const errors: string[] = [];
    const work = createSerialWork(
      async () => {
        at.push(Date.now());
        if (at.length < 4) throw new Error(`failure ${at.length}`);
      },
      (err, key) => errors.push(`${key}: ${(err as Error).message}`),
      { retryMs: 20, maxRetryMs: 60 },
    );
    work.mark('k');
    const deadline = Date.now() + 5000;
    while (at.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await work.settled();
    assert.equal(at.length, 4);
    assert.deepEqual(errors, ['k: failure 1', 'k: failure 2', 'k: failure 3']);
    const waits = at.slice(1).map((t, i) => t - at[i]!);
    assert.ok(waits[0]! >= 19 && waits[1]! >= 39 && waits[2]! >= 59, `waits ${waits.join(', ')} ms: 20, 40, then 60 (the cap)`);
    // success ends it: no more runs
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(at.length, 4);
    work.clear();
  });

  it('clear drops what is pending and the retries waiting: nothing runs after it', async () => {
    let runs = 0;
    const work = createSerialWork(
      async () => {
        runs++;
        throw new Error('no');
      },
      () => {},
      { retryMs: 20 },
    );
    work.mark('k');
    await work.settled();
    work.clear();
    work.mark('k');
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(runs, 1);
  });
});
