import assert from 'node:assert/strict';
import { it } from 'node:test';
import { rejectsInvalid, rejectsKernel, type LinkCaseContext } from './contract-links.js';

/**
 * The kernel contract's cases for a veth created enslaved and up in its one request (what a
 * bridge attach does): the host end is a bridge port, up, without carrier (and so without an IPv6
 * link-local address) until its peer is up; a master the kernel refuses leaves no link behind.
 */
export function vethCases(ctx: () => LinkCaseContext): void {
  it('creates a veth enslaved to a bridge and up in one op; IPv6 waits for the carrier its peer gives', async () => {
    const { k, nm, newNetns, link, cleanup } = ctx();
    const ns = await newNetns();
    const br = nm('pbmb');
    const host = nm('pbmv');
    await k.ip(null, [{ op: 'bridge.add', name: br }, { op: 'link.set', name: br, up: true }]);
    cleanup(() => k.ip(null, [{ op: 'link.del', name: br }], { ignoreMissing: true }));
    await k.ip(null, [
      { op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns, mtu: 1450, peerMac: '02:42:0a:4e:00:02', master: br, up: true },
      { op: 'link.set', name: host, addrgenmode: 'none', hairpin: true },
    ]);
    cleanup(() => k.ip(null, [{ op: 'link.del', name: host }], { ignoreMissing: true }));
    const h = await link(null, host);
    assert.deepEqual([h?.kind, h?.master, h?.up, h?.mtu, h?.hairpin], ['veth', br, true, 1450, true]);
    const peer = await link(ns, 'eth0');
    assert.deepEqual([peer?.up, peer?.mac], [false, '02:42:0a:4e:00:02']);
    // right after the veth.add, as a join does: the mode first, up in a later request
    await k.ip(ns, [
      { op: 'link.set', name: 'eth0', addrgenmode: 'none' },
      { op: 'addr.add', dev: 'eth0', cidr: '10.78.0.2/24' },
      { op: 'link.set', name: 'eth0', up: true },
    ]);
    assert.equal((await link(ns, 'eth0'))?.up, true);
    // the host end's mode took effect before it had a carrier: no link-local address anywhere
    assert.ok(!(await k.addresses(null)).some((a) => a.dev === host), 'the host end has no address');
    assert.deepEqual((await k.addresses(ns)).filter((a) => a.dev === 'eth0').map((a) => a.cidr), ['10.78.0.2/24']);
  });

  it('a bridge port with carrier takes IPv6 off (net.ipv6.conf.<port>.disable_ipv6, as the daemon writes it); a gone port cannot be written', async () => {
    const { k, nm, newNetns, cleanup } = ctx();
    const ns = await newNetns();
    const br = nm('pbqb');
    const host = nm('pbqv');
    await k.ip(null, [{ op: 'bridge.add', name: br }, { op: 'link.set', name: br, up: true }]);
    cleanup(() => k.ip(null, [{ op: 'link.del', name: br }], { ignoreMissing: true }));
    await k.ip(null, [{ op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns, master: br, up: true }]);
    cleanup(() => k.ip(null, [{ op: 'link.del', name: host }], { ignoreMissing: true }));
    await k.ip(ns, [{ op: 'link.set', name: 'eth0', up: true }]);
    const key = `net.ipv6.conf.${host}.disable_ipv6`;
    assert.equal(await k.sysctlGet(key), '0');
    await k.sysctlSet(key, '1');
    assert.equal(await k.sysctlGet(key), '1');
    assert.ok(!(await k.addresses(null)).some((a) => a.dev === host), 'the port has no address');
    await k.ip(null, [{ op: 'link.del', name: host }]);
    await assert.rejects(k.sysctlSet(key, '1'), /: ENOENT\b/);
  });

  it('a veth whose master is missing or no bridge is refused and leaves no link', async () => {
    const { k, nm, newNetns, link, cleanup } = ctx();
    const ns = await newNetns();
    const host = nm('pbmx');
    await rejectsKernel(k.ip(null, [{ op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns, master: nm('pbnone'), up: true }]), 0);
    // a veth is no master (every kernel has veths; not every one has dummy links)
    const other = nm('pbmo');
    await k.ip(null, [{ op: 'veth.add', name: other, peer: nm('pbmp'), peerNetns: null }]);
    cleanup(() => k.ip(null, [{ op: 'link.del', name: other }], { ignoreMissing: true }));
    await rejectsKernel(k.ip(null, [{ op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns, master: other, up: true }]), 0);
    assert.equal(await link(null, host), undefined);
    assert.equal(await link(ns, 'eth0'), undefined);
    await rejectsInvalid(k.ip(null, [{ op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns, master: 'bad name' }]));
  });

  it('ipSequence: a veth made on the host side and its peer configured inside, in one call', async () => {
    const { k, nm, newNetns, link, cleanup } = ctx();
    const ns = await newNetns();
    const br = nm('pbsb');
    const host = nm('pbsv');
    await k.ip(null, [{ op: 'bridge.add', name: br }, { op: 'link.set', name: br, up: true }]);
    cleanup(() => k.ip(null, [{ op: 'link.del', name: br }], { ignoreMissing: true }));
    cleanup(() => k.ip(null, [{ op: 'link.del', name: host }], { ignoreMissing: true }));
    await k.ipSequence([
      { netns: null, ops: [{ op: 'veth.add', name: host, peer: 'eth1', peerNetns: ns, master: br, up: true }] },
      { netns: ns, ops: [{ op: 'addr.add', dev: 'eth1', cidr: '10.79.0.2/24' }, { op: 'link.set', name: 'eth1', up: true }] },
    ]);
    assert.deepEqual([(await link(null, host))?.master, (await link(ns, 'eth1'))?.up], [br, true]);
    assert.deepEqual((await k.addresses(ns)).filter((a) => a.dev === 'eth1' && a.family === 4).map((a) => a.cidr), ['10.79.0.2/24']);
    await k.ipSequence([]);
  });

  it('ipSequence: a failing batch throws as ip() would, naming it (details.failedBatch); the batches before stay applied, none after runs', async () => {
    const { k, nm, newNetns, link, cleanup } = ctx();
    const ns = await newNetns();
    const first = nm('pbsf');
    const last = nm('pbsl');
    cleanup(() => k.ip(null, [{ op: 'link.del', name: first }, { op: 'link.del', name: last }], { ignoreMissing: true }));
    const run = k.ipSequence([
      { netns: null, ops: [{ op: 'bridge.add', name: first }] },
      { netns: ns, ops: [{ op: 'link.set', name: 'lo', up: true }, { op: 'addr.add', dev: 'nosuch0', cidr: '10.79.1.2/24' }] },
      { netns: null, ops: [{ op: 'bridge.add', name: last }] },
    ]);
    await rejectsKernel(run, 1);
    await assert.rejects(run, (err: { details?: { failedBatch?: number } }) => err.details?.failedBatch === 1);
    assert.equal((await link(null, first))?.kind, 'bridge');
    assert.equal(await link(null, last), undefined);
    // the first batch failing: nothing after it runs
    const again = k.ipSequence([
      { netns: null, ops: [{ op: 'bridge.add', name: first }] },
      { netns: null, ops: [{ op: 'bridge.add', name: last }] },
    ]);
    await assert.rejects(again, (err: { details?: { failedBatch?: number; failedOp?: number } }) => err.details?.failedBatch === 0 && err.details.failedOp === 0);
    assert.equal(await link(null, last), undefined);
    await rejectsInvalid(k.ipSequence([{ netns: null, ops: [{ op: 'link.set', name: 'bad name', up: true }] }]));
  });
}
