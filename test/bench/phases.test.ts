import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Slot } from './netns.js';
import { growthEndpointsSideBySide } from './phases.js';
import { Results } from './results.js';
import type { AttachSide, SideKey } from './sides.js';

const slotsOf = (prefix: string, n: number): Slot[] => Array.from({ length: n }, (_, i) => ({ id: i, name: `${prefix}${i}`, path: `/run/netns/${prefix}${i}` }));

/** A side that records what it did, in one log shared by all sides; `failAt` makes its nth attach throw. */
function recordingSide(key: SideKey, log: string[], failAt?: number): AttachSide {
  let attaches = 0;
  const note = (what: string) => async (slot?: Slot) => void log.push(`${key} ${what}${slot ? ` ${slot.name}` : ''}`);
  return {
    key,
    setup: note('setup'),
    prepare: async () => {},
    attach: async (slot) => {
      if (++attaches === failAt) throw new Error(`${key} broke`);
      log.push(`${key} attach ${slot.name}`);
    },
    detach: note('detach'),
    release: async () => {},
    teardown: note('teardown'),
  };
}

describe('growth side by side', () => {
  it('one attach (and detach) of each side in turn, the starting side rotated every step, each into its own slots; growth rows for both', async () => {
    const log: string[] = [];
    const results = new Results();
    let peak: string[] = [];
    await growthEndpointsSideBySide(
      [
        { side: recordingSide('floor', log), slots: slotsOf('f', 3) },
        { side: recordingSide('patchbay', log), slots: slotsOf('p', 3) },
      ],
      1,
      results,
      async () => void (peak = [...log]),
    );
    assert.deepEqual(peak.slice(2), ['floor attach f0', 'patchbay attach p0', 'patchbay attach p1', 'floor attach f1', 'floor attach f2', 'patchbay attach p2']);
    assert.deepEqual(log.slice(peak.length, peak.length + 6), ['floor detach f0', 'patchbay detach p0', 'patchbay detach p1', 'floor detach f1', 'floor detach f2', 'patchbay detach p2']);
    assert.deepEqual(log.slice(-2), ['floor teardown', 'patchbay teardown']);
    for (const side of ['floor', 'patchbay'] as const) {
      assert.equal(results.get('growthEndpoints', side)?.kind, 'growth');
      assert.equal(results.get('growthEndpointsDetach', side)?.kind, 'growth');
    }
  });

  it('a side that fails drops out with an error in its cells; the other runs to the end', async () => {
    const log: string[] = [];
    const results = new Results();
    await growthEndpointsSideBySide(
      [
        { side: recordingSide('floor', log, 2), slots: slotsOf('f', 3) },
        { side: recordingSide('patchbay', log), slots: slotsOf('p', 3) },
      ],
      1,
      results,
    );
    assert.deepEqual(log.filter((l) => l.startsWith('floor')), ['floor setup', 'floor attach f0', 'floor teardown']);
    assert.deepEqual(log.filter((l) => l.startsWith('patchbay attach')), ['patchbay attach p0', 'patchbay attach p1', 'patchbay attach p2']);
    const cell = results.get('growthEndpoints', 'floor');
    assert.equal(cell?.kind, 'error');
    assert.match(cell?.kind === 'error' ? cell.message : '', /floor broke \(after 1 attaches, 0 detaches\)/);
    assert.equal(results.get('growthEndpoints', 'patchbay')?.kind, 'growth');
  });
});
