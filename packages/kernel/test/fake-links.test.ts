import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KernelError, PatchbayError } from '@patchbay/errors';
import { createFakeKernel, linkKindMissing, requireLinkKinds, type IpOp } from '../src/index.js';

/**
 * The fake kernel's model of links on a lower device, beyond the contract: ipvlan and 802.1Q,
 * which this machine's kernel lacks, so the driver logic for them can be tested here.
 */

const parentOps: IpOp[] = [{ op: 'veth.add', name: 'enp1', peer: 'lan0', peerNetns: null }];
const failsWith = (text: RegExp) => (err: unknown) => err instanceof KernelError && text.test(err.message);

describe('fake kernel: ipvlan', () => {
  it('mode and flag belong to the lower device: a new ipvlan sets them for every ipvlan on it', async () => {
    const k = createFakeKernel();
    const ns = await k.netnsAdd('sb');
    await k.ip(null, [...parentOps, { op: 'ipvlan.add', name: 'eth0', parent: 'enp1', mode: 'l2', netns: ns }]);
    assert.deepEqual([(await k.link(ns, 'eth0'))?.mode, (await k.link(ns, 'eth0'))?.flag], ['l2', 'bridge']);
    await k.ip(null, [{ op: 'ipvlan.add', name: 'iv1', parent: 'enp1', mode: 'l3', flag: 'vepa' }]);
    assert.deepEqual([(await k.link(ns, 'eth0'))?.mode, (await k.link(ns, 'eth0'))?.flag], ['l3', 'vepa']);
    // a flag left out keeps the port's
    await k.ip(null, [{ op: 'ipvlan.add', name: 'iv2', parent: 'enp1', mode: 'l3s' }]);
    assert.deepEqual([(await k.link(null, 'iv1'))?.mode, (await k.link(null, 'iv1'))?.flag], ['l3s', 'vepa']);
    // the last ipvlan gone, the port is gone: a new one starts from bridge
    await k.ip(null, [{ op: 'link.del', name: 'iv1' }, { op: 'link.del', name: 'iv2' }]);
    await k.ip(ns, [{ op: 'link.del', name: 'eth0' }]);
    await k.ip(null, [{ op: 'ipvlan.add', name: 'iv3', parent: 'enp1', mode: 'l2' }]);
    assert.equal((await k.link(null, 'iv3'))?.flag, 'bridge');
  });

  it('shares the parent MAC, sits on the real lower device, refuses loopback, bridge ports and macvlan parents', async () => {
    const k = createFakeKernel();
    await k.ip(null, [
      ...parentOps,
      { op: 'ipvlan.add', name: 'iv0', parent: 'enp1', mode: 'l2' },
      { op: 'ipvlan.add', name: 'iv1', parent: 'iv0', mode: 'l2' },
    ]);
    const enp1 = await k.link(null, 'enp1');
    assert.deepEqual([(await k.link(null, 'iv0'))?.mac, (await k.link(null, 'iv1'))?.parent], [enp1?.mac, 'enp1']);
    await assert.rejects(k.ip(null, [{ op: 'ipvlan.add', name: 'ivl', parent: 'lo', mode: 'l2' }]), failsWith(/Invalid argument/));
    await assert.rejects(k.ip(null, [{ op: 'ipvlan.add', name: 'ivm', parent: 'enp1', mode: 'l2', mtu: 1600 }]), failsWith(/Invalid argument/));
    await k.ip(null, [{ op: 'macvlan.add', name: 'mv0', parent: 'lan0', mode: 'bridge' }, { op: 'bridge.add', name: 'br0' }]);
    await assert.rejects(k.ip(null, [{ op: 'ipvlan.add', name: 'ivx', parent: 'lan0', mode: 'l2' }]), failsWith(/busy/));
    await assert.rejects(k.ip(null, [{ op: 'link.set', name: 'enp1', master: 'br0' }]), failsWith(/busy/));
    assert.equal(await k.link(null, 'ivx'), undefined);
  });

  it('deleting a namespace takes its ipvlans, not their parent; deleting the parent takes the rest', async () => {
    const k = createFakeKernel();
    const ns = await k.netnsAdd('sb');
    await k.ip(null, [
      ...parentOps,
      { op: 'ipvlan.add', name: 'eth0', parent: 'enp1', mode: 'l2', netns: ns },
      { op: 'ipvlan.add', name: 'iv0', parent: 'enp1', mode: 'l2' },
    ]);
    await k.netnsDelete('sb');
    assert.ok(await k.link(null, 'enp1'));
    assert.ok(await k.link(null, 'iv0'));
    await k.ip(null, [{ op: 'link.del', name: 'lan0' }]);
    assert.equal(await k.link(null, 'iv0'), undefined, 'the veth went with its peer, its ipvlans with it');
  });
});

describe('fake kernel: 802.1Q', () => {
  it('one sub-interface per parent and id, with the parent\'s MAC and MTU; none on loopback; gone with its parent', async () => {
    const k = createFakeKernel({ hostLinks: [{ name: 'eth0', mtu: 9000 }] });
    await k.ip(null, [{ op: 'vlan.add', name: 'eth0.10', parent: 'eth0', id: 10 }, { op: 'vlan.add', name: 'eth0.20', parent: 'eth0', id: 20 }]);
    const eth0 = await k.link(null, 'eth0');
    assert.deepEqual(await k.link(null, 'eth0.10'), {
      name: 'eth0.10', index: (await k.link(null, 'eth0.10'))!.index, kind: 'vlan', mtu: 9000, mac: eth0!.mac, up: false, parent: 'eth0', vlanId: 10,
    });
    await assert.rejects(k.ip(null, [{ op: 'vlan.add', name: 'v10', parent: 'eth0', id: 10 }]), failsWith(/VLAN device already exists/));
    await assert.rejects(k.ip(null, [{ op: 'vlan.add', name: 'eth0.20', parent: 'eth0', id: 30 }]), failsWith(/File exists/));
    await assert.rejects(k.ip(null, [{ op: 'vlan.add', name: 'lo.5', parent: 'lo', id: 5 }]), failsWith(/not supported/));
    await assert.rejects(k.ip(null, [{ op: 'vlan.add', name: 'x.5', parent: 'nope', id: 5 }]), failsWith(/Cannot find device "nope"/));
    // stacked (QinQ) on a sub-interface; a macvlan on one too
    await k.ip(null, [{ op: 'vlan.add', name: 'q.7', parent: 'eth0.10', id: 7 }, { op: 'macvlan.add', name: 'mv0', parent: 'eth0.20', mode: 'bridge' }]);
    assert.deepEqual([(await k.link(null, 'q.7'))?.parent, (await k.link(null, 'mv0'))?.parent], ['eth0.10', 'eth0.20']);
    await k.ip(null, [{ op: 'link.del', name: 'eth0.10' }]);
    assert.equal(await k.link(null, 'q.7'), undefined);
    assert.ok(await k.link(null, 'eth0.20'));
  });
});

describe('fake kernel: missing link kinds', () => {
  it('answers supportsLinkKind from its options, records the call, and refuses the kind with the clear error', async () => {
    const k = createFakeKernel({ missingLinkKinds: ['ipvlan'] });
    assert.equal(await k.supportsLinkKind('ipvlan'), false);
    assert.equal(await k.supportsLinkKind('macvlan'), true);
    assert.deepEqual(k.calls.map((c) => [c.method, c.args[0]]), [['supportsLinkKind', 'ipvlan'], ['supportsLinkKind', 'macvlan']]);
    await k.ip(null, parentOps);
    await assert.rejects(k.ip(null, [{ op: 'ipvlan.add', name: 'enp1', parent: 'enp1', mode: 'l2' }]), failsWith(/File exists/), 'a taken name first, as the kernel checks');
    await assert.rejects(k.ip(null, [{ op: 'ipvlan.add', name: 'iv0', parent: 'enp1', mode: 'l2' }]), (err: PatchbayError) => err.code === 'PB_ERR_KERNEL_FEATURE');
    await assert.rejects(requireLinkKinds(k, ['macvlan', 'ipvlan']), (err: PatchbayError) => {
      assert.deepEqual([err.code, err.message, err.details], ['PB_ERR_KERNEL_FEATURE', 'this kernel has no ipvlan link type (CONFIG_IPVLAN)', { kind: 'ipvlan', config: 'CONFIG_IPVLAN' }]);
      return true;
    });
    await requireLinkKinds(k, ['macvlan', 'veth']);
    assert.equal(linkKindMissing('vlan').message, 'this kernel has no vlan link type (CONFIG_VLAN_8021Q)');
  });
});
