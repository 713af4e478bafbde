import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParkedPair } from '@patchbay/drivers';
import type { IpOp, Kernel } from '@patchbay/kernel';
import { pino } from 'pino';
import { createLinkParking } from '../src/controller/parked-links.js';
import type { LinkReaper } from '../src/controller/reaper.js';

const PARKED = 0x7062_0002;
const RETIRED = 0x7062_0001;
const tick = () => new Promise((r) => setImmediate(r));

/** A kernel whose `ip` calls wait until the test lets them finish (or fail). */
function gatedKernel() {
  const calls: { netns: string | null; ops: IpOp[] }[] = [];
  const gates: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const kernel = {
    ip: (netns: string | null, ops: readonly IpOp[]) =>
      new Promise<void>((resolve, reject) => {
        calls.push({ netns, ops: [...ops] });
        gates.push({ resolve, reject });
      }),
    isNetns: async () => true,
  } as unknown as Kernel;
  return { kernel, calls, gates };
}

function fakeReaper() {
  const retired: string[] = [];
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));
  const reaper = { retired: (owner: string) => void retired.push(owner), settled: () => settled } as unknown as LinkReaper;
  return { reaper, retired, settle };
}

const pair = (n: number, netns = '/run/netns/pb-a'): ParkedPair => ({ network: 'net1', sandbox: `sb-${netns}`, netns, hostIf: `pbv${n}`, peer: 'eth0', retiredPeer: `pbr${n}` });
const options = { group: PARKED, retiredGroup: RETIRED, parkMs: 3_600_000, maxParked: 32 };

function setup() {
  const k = gatedKernel();
  const r = fakeReaper();
  return { k, r, parking: createLinkParking(k.kernel, r.reaper, pino({ level: 'silent' }), options) };
}

/** Lets the pending kernel calls finish, one at a time, in order. */
async function finishCalls(k: ReturnType<typeof gatedKernel>, from: number, count: number) {
  for (let i = from; i < from + count; i++) {
    await tick();
    k.gates[i]!.resolve();
  }
  await tick();
}

describe('link parking', () => {
  it('release retires a pair: its peer renamed out of the way, then its host end to the reaper\'s group, then the reaper has its sandbox', async () => {
    const { k, r, parking } = setup();
    parking.park(pair(1));
    const done = parking.release();
    await tick();
    assert.deepEqual(k.calls, [{ netns: '/run/netns/pb-a', ops: [{ op: 'link.set', name: 'eth0', newName: 'pbr1' }] }]);
    k.gates[0]!.resolve();
    await tick();
    assert.deepEqual(k.calls[1], { netns: null, ops: [{ op: 'link.set', name: 'pbv1', group: RETIRED }] });
    assert.deepEqual(r.retired, [], 'not the reaper\'s before it is in the group');
    k.gates[1]!.resolve();
    await done;
    assert.deepEqual(r.retired, ['sb-/run/netns/pb-a']);
    assert.equal(parking.size(), 0);
  });

  it('a pair being retired is not taken back: the taker waits until it is deleted; a join that wants its name waits for the rename', async () => {
    const { k, r, parking } = setup();
    parking.park(pair(1));
    assert.deepEqual(parking.holding('/run/netns/pb-a', 'eth0'), { pair: pair(1), parked: true });
    void parking.release();
    assert.deepEqual(parking.holding('/run/netns/pb-a', 'eth0'), { pair: pair(1), parked: false });
    const took = parking.take(pair(1));
    assert.equal(took.taken, false);
    let gone = false;
    if (!took.taken) void took.gone.then(() => (gone = true));
    let cleared = false;
    void parking.evictStep(pair(1)).run().then(() => (cleared = true));
    await tick();
    assert.equal(cleared, false, 'the peer is not renamed yet');
    await finishCalls(k, 0, 2);
    assert.equal(cleared, true);
    assert.equal(gone, false, 'retired, not deleted yet');
    r.settle();
    await tick();
    assert.equal(gone, true);
    assert.equal(parking.holding('/run/netns/pb-a', 'eth0'), undefined);
  });

  it('take: a parked pair is the taker\'s, once; evicting a parked pair retires it', async () => {
    const { k, r, parking } = setup();
    parking.park(pair(1));
    parking.park(pair(2, '/run/netns/pb-b'));
    assert.deepEqual(parking.take(pair(1)), { taken: true });
    assert.equal(parking.take(pair(1)).taken, false);
    const evicted = parking.evictStep(pair(2, '/run/netns/pb-b')).run();
    await finishCalls(k, 0, 2);
    await evicted;
    assert.deepEqual(k.calls.map((c) => c.netns), ['/run/netns/pb-b', null]);
    assert.equal(parking.size(), 0);
  });

  it('a retirement the kernel refuses deletes the pair instead (its names must not stay held)', async () => {
    const { k, r, parking } = setup();
    parking.park(pair(1));
    const done = parking.release();
    await tick();
    k.gates[0]!.reject(new Error('refused'));
    await tick();
    await tick();
    assert.deepEqual(k.calls[1], { netns: null, ops: [{ op: 'link.del', name: 'pbv1' }] });
    k.gates[1]!.resolve();
    await done;
  });

  it('inPlace: a sandbox being deleted keeps its peers\' names (no rename), its host ends still go to the reaper', async () => {
    const { k, r, parking } = setup();
    parking.park(pair(1));
    parking.park(pair(2, '/run/netns/pb-b'));
    const done = parking.release((p) => p.netns === '/run/netns/pb-a', { inPlace: true });
    await tick();
    assert.deepEqual(k.calls, [{ netns: null, ops: [{ op: 'link.set', name: 'pbv1', group: RETIRED }] }]);
    k.gates[0]!.resolve();
    await done;
    assert.equal(parking.size(), 1);
  });
});
