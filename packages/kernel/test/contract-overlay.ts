import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { PatchbayError } from '@patchbay/errors';
import type { FdbInfo, IpOp, NeighInfo } from '../src/index.js';
import { rejectsInvalid, rejectsKernel, type LinkCaseContext } from './contract-links.js';

/** The kernel contract's cases for what an overlay network uses: vxlan, fdb and neigh entries. */

/** (the kernel dumps forwarding entries in hash order) */
const sorted = (entries: FdbInfo[]): string[] => entries.map((e) => `${e.dev} ${e.mac} ${e.dst}`).sort();
const neighText = (entries: NeighInfo[]): string[] => entries.map((e) => `${e.dev} ${e.address} ${e.mac} ${e.family}`);

export function overlayCases(ctx: () => LinkCaseContext): void {
  /** a vxlan device `vx0` in a fresh namespace, or undefined when the kernel has none (refusal checked) */
  async function vxlanNs(c: LinkCaseContext, extra: IpOp[] = []): Promise<string | undefined> {
    const ns = await c.newNetns();
    const ops: IpOp[] = [{ op: 'vxlan.add', name: 'vx0', vni: 4242, dstport: 4789, local: '10.0.0.1', learning: false, proxy: true, mtu: 1450 }, ...extra];
    if (await c.k.supportsLinkKind('vxlan')) {
      await c.k.ip(ns, ops);
      return ns;
    }
    await assert.rejects(c.k.ip(ns, ops), (err: PatchbayError) => err.code === 'PB_ERR_KERNEL_FEATURE' && err.details?.kind === 'vxlan');
    assert.equal(await c.link(ns, 'vx0'), undefined);
    return undefined;
  }

  it('vxlan: its VNI, port, source address, learning and proxy read back; one device per VNI and port', async () => {
    const c = ctx();
    const ns = await vxlanNs(c, [{ op: 'vxlan.add', name: 'vx6', vni: 7, dstport: 4790, local: 'fd00::1', learning: true }]);
    if (ns === undefined) return;
    const vx0 = await c.link(ns, 'vx0');
    assert.deepEqual([vx0?.kind, vx0?.mtu, vx0?.vxlan], ['vxlan', 1450, { vni: 4242, dstport: 4789, local: '10.0.0.1', learning: false, proxy: true }]);
    assert.deepEqual((await c.k.link(ns, 'vx6'))?.vxlan, { vni: 7, dstport: 4790, local: 'fd00::1', learning: true, proxy: false });
    assert.deepEqual(await c.k.link(ns, 'vx0'), vx0);
    await rejectsKernel(c.k.ip(ns, [{ op: 'vxlan.add', name: 'vx1', vni: 4242, dstport: 4789, learning: false }]), 0);
    assert.equal(await c.link(ns, 'vx1'), undefined);
    // the same VNI on another port, or in another namespace, is another device
    await c.k.ip(ns, [{ op: 'vxlan.add', name: 'vx2', vni: 4242, dstport: 4790, learning: false }]);
    const other = await c.newNetns();
    await c.k.ip(other, [{ op: 'vxlan.add', name: 'vx0', vni: 4242, dstport: 4789, learning: false }]);
    assert.equal((await c.link(other, 'vx0'))?.vxlan?.local, undefined);
  });

  it('fdb: remotes appended (several for one MAC), read back, deleted one by one; they outlive link down, not the device', async () => {
    const c = ctx();
    const ns = await vxlanNs(c);
    if (ns === undefined) return;
    const zero = '00:00:00:00:00:00';
    await c.k.ip(ns, [
      { op: 'fdb.append', dev: 'vx0', mac: zero, dst: '10.0.0.2' },
      { op: 'fdb.append', dev: 'vx0', mac: zero, dst: '10.0.0.3' },
      { op: 'link.set', name: 'vx0', up: true },
      { op: 'fdb.append', dev: 'vx0', mac: '02:42:0A:05:00:05', dst: '10.0.0.3' },
      // appending what is there already changes nothing
      { op: 'fdb.append', dev: 'vx0', mac: zero, dst: '10.0.0.2' },
    ]);
    assert.deepEqual(sorted(await c.k.fdb(ns)), [`vx0 ${zero} 10.0.0.2`, `vx0 ${zero} 10.0.0.3`, 'vx0 02:42:0a:05:00:05 10.0.0.3']);
    await c.k.ip(ns, [{ op: 'fdb.del', dev: 'vx0', mac: zero, dst: '10.0.0.3' }, { op: 'link.set', name: 'vx0', up: false }]);
    assert.deepEqual(sorted(await c.k.fdb(ns)), [`vx0 ${zero} 10.0.0.2`, 'vx0 02:42:0a:05:00:05 10.0.0.3']);
    // a remote the MAC's entry does not have: nothing to do; a MAC without an entry fails, unless in teardown mode
    await c.k.ip(ns, [{ op: 'fdb.del', dev: 'vx0', mac: zero, dst: '10.0.0.3' }]);
    await rejectsKernel(c.k.ip(ns, [{ op: 'fdb.del', dev: 'vx0', mac: '02:42:0a:05:00:09', dst: '10.0.0.3' }]), 0);
    const gone: IpOp[] = [
      { op: 'fdb.del', dev: 'vx0', mac: '02:42:0a:05:00:09', dst: '10.0.0.3' },
      { op: 'fdb.del', dev: 'vx9', mac: zero, dst: '10.0.0.3' },
    ];
    await c.k.ip(ns, gone, { ignoreMissing: true });
    assert.deepEqual(sorted(await c.k.fdb(ns)), [`vx0 ${zero} 10.0.0.2`, 'vx0 02:42:0a:05:00:05 10.0.0.3']);
    await rejectsKernel(c.k.ip(ns, [{ op: 'fdb.append', dev: 'vx9', mac: zero, dst: '10.0.0.3' }]), 0);
    await c.k.ip(ns, [{ op: 'link.del', name: 'vx0' }]);
    assert.deepEqual(await c.k.fdb(ns), []);
  });

  it('neigh: permanent entries of both families replaced, read back, deleted; link down flushes them', async () => {
    const c = ctx();
    const ns = await vxlanNs(c);
    if (ns === undefined) return;
    await c.k.ip(ns, [
      { op: 'link.set', name: 'vx0', up: true },
      { op: 'neigh.replace', dev: 'vx0', address: '10.5.0.3', mac: '02:42:0a:05:00:03' },
      { op: 'neigh.replace', dev: 'vx0', address: 'fd05:0::3', mac: '02:42:0A:05:00:03' },
      { op: 'neigh.replace', dev: 'vx0', address: '10.5.0.4', mac: '02:42:0a:05:00:04' },
    ]);
    assert.deepEqual(neighText(await c.k.neighbors(ns)).sort(), [
      'vx0 10.5.0.3 02:42:0a:05:00:03 4',
      'vx0 10.5.0.4 02:42:0a:05:00:04 4',
      'vx0 fd05::3 02:42:0a:05:00:03 6',
    ]);
    await c.k.ip(ns, [
      { op: 'neigh.replace', dev: 'vx0', address: '10.5.0.3', mac: '02:42:0a:05:00:33' },
      { op: 'neigh.del', dev: 'vx0', address: '10.5.0.4' },
    ]);
    assert.deepEqual(neighText(await c.k.neighbors(ns)).sort(), ['vx0 10.5.0.3 02:42:0a:05:00:33 4', 'vx0 fd05::3 02:42:0a:05:00:03 6']);
    await rejectsKernel(c.k.ip(ns, [{ op: 'neigh.del', dev: 'vx0', address: '10.5.0.4' }]), 0);
    await c.k.ip(ns, [{ op: 'neigh.del', dev: 'vx0', address: '10.5.0.4' }], { ignoreMissing: true });
    await c.k.ip(ns, [{ op: 'link.set', name: 'vx0', up: false }]);
    assert.deepEqual(await c.k.neighbors(ns), []);
  });

  it('rejects bad vxlan, fdb and neigh ops before anything runs', async () => {
    const { k, nm, link } = ctx();
    const ok = nm('pbok');
    const bad: IpOp[] = [
      { op: 'vxlan.add', name: ok, vni: 1 << 24, dstport: 4789, learning: false },
      { op: 'vxlan.add', name: ok, vni: 1, dstport: 0, learning: false },
      { op: 'vxlan.add', name: ok, vni: 1, dstport: 4789, learning: 'no' as unknown as boolean },
      { op: 'vxlan.add', name: ok, vni: 1, dstport: 4789, learning: false, local: '10.0.0.300' },
      { op: 'fdb.append', dev: 'lo', mac: '00:00:00:00:00', dst: '10.0.0.2' },
      { op: 'fdb.del', dev: 'lo', mac: '00:00:00:00:00:00', dst: 'remote' },
      { op: 'neigh.replace', dev: 'lo', address: '10.0.0.2', mac: '01:00:5e:00:00:01' },
      { op: 'neigh.del', dev: 'lo x', address: '10.0.0.2' },
    ];
    for (const op of bad) await rejectsInvalid(k.ip(null, [{ op: 'bridge.add', name: ok }, op]));
    assert.equal(await link(null, ok), undefined, 'nothing ran');
  });
}
