import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AddonLoad, NetlinkAddon } from '../src/netlink/addon.js';
import { loadNetlinkAddon } from '../src/netlink/addon.js';
import { limitMallocArenas, MALLOC_ARENAS, trimMalloc } from '../src/malloc-tuning.js';

function recordingAddon(answer: boolean) {
  const calls: string[] = [];
  const addon = {
    mallocLimitArenas: (max: number) => (calls.push(`limit ${max}`), answer),
    mallocTrim: async () => (calls.push('trim'), answer),
  } as unknown as NetlinkAddon;
  return { calls, load: (): AddonLoad => ({ addon }) };
}

describe('malloc tuning through the netlink addon', () => {
  it('asks the addon for the daemon arena limit (2) and says whether it was taken', async () => {
    const taken = recordingAddon(true);
    assert.equal(limitMallocArenas(undefined, taken.load), true);
    assert.equal(await trimMalloc(taken.load), true);
    assert.deepEqual(taken.calls, [`limit ${MALLOC_ARENAS}`, 'trim']);
    assert.equal(MALLOC_ARENAS, 2);
    const refused = recordingAddon(false);
    assert.equal(limitMallocArenas(3, refused.load), false);
    assert.deepEqual(refused.calls, ['limit 3']);
  });

  it('changes nothing and says so without the addon (or an addon built before these calls)', async () => {
    assert.equal(limitMallocArenas(2, () => ({ error: 'not built' })), false);
    assert.equal(await trimMalloc(() => ({ addon: {} as NetlinkAddon })), false);
  });

  it('the built addon takes the limit on glibc and refuses a nonsensical one; it trims on a worker thread', async (t) => {
    const { addon } = loadNetlinkAddon();
    if (!addon) return t.skip('the netlink addon is not built');
    assert.equal(addon.mallocLimitArenas!(MALLOC_ARENAS), true);
    const trim = addon.mallocTrim!();
    assert.ok(trim instanceof Promise, 'the trim runs off the event loop');
    assert.equal(typeof (await trim), 'boolean');
    assert.throws(() => addon.mallocLimitArenas!(0), /an integer from 1 to 64/);
    assert.throws(() => (addon.mallocLimitArenas as (x: unknown) => boolean)('2'), /an integer from 1 to 64/);
  });
});
