import assert from 'node:assert/strict';
import { it } from 'node:test';
import { KernelError, PatchbayError } from '@patchbay/errors';
import type { IpOp, Kernel, LinkInfo, LinkKind } from '../src/index.js';

/**
 * The kernel contract's cases for links on a lower device (macvlan, ipvlan, vlan) and dummy
 * links. A kind the kernel lacks must be refused with PB_ERR_KERNEL_FEATURE and leave nothing.
 */

export interface LinkCaseContext {
  k: Kernel;
  /** a name unique to the test: prefix + test number */
  nm(prefix: string): string;
  newNetns(): Promise<string>;
  link(netns: string | null, name: string): Promise<LinkInfo | undefined>;
  /** runs after the test, in reverse order */
  cleanup(undo: () => Promise<unknown>): void;
}

export const rejectsKernel = (p: Promise<unknown>, failedOp: number) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KernelError && err.name === 'KernelError', `expected a KernelError, got ${String(err)}`);
    assert.equal(err.details?.failedOp, failedOp, err.message);
    return true;
  });

const rejectsMissingKind = (p: Promise<unknown>, kind: LinkKind, config: string, failedOp: number) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PatchbayError, `expected a PatchbayError, got ${String(err)}`);
    assert.equal(err.code, 'PB_ERR_KERNEL_FEATURE', err.message);
    assert.equal(err.kind, 'InvalidParameter');
    assert.equal(err.message, `this kernel has no ${kind} link type (${config})`);
    assert.deepEqual([err.details?.kind, err.details?.failedOp], [kind, failedOp]);
    return true;
  });

export const rejectsInvalid = (p: Promise<unknown>) => assert.rejects(p, (err: unknown) => err instanceof PatchbayError && err.code === 'PB_ERR_INVALID');

export function linkKindCases(ctx: () => LinkCaseContext): void {
  /** veth `parent` in the daemon's namespace (its peer `lan` too), deleted after the test */
  async function parentVeth(c: LinkCaseContext): Promise<{ parent: string; lan: string }> {
    const [parent, lan] = [c.nm('pblp'), c.nm('pbll')];
    c.cleanup(() => c.k.ip(null, [{ op: 'link.del', name: parent }], { ignoreMissing: true }));
    await c.k.ip(null, [{ op: 'veth.add', name: parent, peer: lan, peerNetns: null }]);
    return { parent, lan };
  }

  /** On a kernel without `kind`: the batch fails at `ops[failedOp]` with the clear refusal, and `made` does not exist. */
  async function refused(c: LinkCaseContext, kind: LinkKind, config: string, ops: IpOp[], failedOp: number, made: [string | null, string][]) {
    await rejectsMissingKind(c.k.ip(null, ops), kind, config, failedOp);
    for (const [ns, name] of made) assert.equal(await c.link(ns, name), undefined, `no ${name} left behind`);
  }

  it('supportsLinkKind: the kinds patchbay always needs are there; an unknown kind is invalid input', async () => {
    const { k } = ctx();
    assert.equal(await k.supportsLinkKind('veth'), true);
    assert.equal(await k.supportsLinkKind('bridge'), true);
    // asked again: the same answer (cached on the real kernel)
    assert.equal(await k.supportsLinkKind('veth'), true);
    for (const kind of ['macvlan', 'ipvlan', 'vlan', 'dummy'] as const) assert.equal(typeof (await k.supportsLinkKind(kind)), 'boolean');
    await rejectsInvalid(k.supportsLinkKind('tun' as LinkKind));
  });

  it('macvlan: made directly in a namespace on a parent veth end, modes read back, gone with its parent', async () => {
    const c = ctx();
    const { k, nm, link } = c;
    const ns = await c.newNetns();
    const { parent } = await parentVeth(c);
    const host = nm('pbmh');
    const ops: IpOp[] = [
      { op: 'macvlan.add', name: 'eth0', parent, mode: 'bridge', netns: ns, mtu: 1400, mac: '02:42:0a:4e:00:02' },
      { op: 'macvlan.add', name: 'eth1', parent, mode: 'private', netns: ns },
      { op: 'macvlan.add', name: host, parent, mode: 'vepa' },
    ];
    if (!(await k.supportsLinkKind('macvlan'))) return refused(c, 'macvlan', 'CONFIG_MACVLAN', ops, 0, [[ns, 'eth0']]);
    await k.ip(null, ops);
    const eth0 = await link(ns, 'eth0');
    // (a parent in another namespace is not named: the dump gives an index there, not a name)
    assert.deepEqual(
      { kind: eth0?.kind, mode: eth0?.mode, mtu: eth0?.mtu, mac: eth0?.mac, up: eth0?.up, parent: eth0?.parent },
      { kind: 'macvlan', mode: 'bridge', mtu: 1400, mac: '02:42:0a:4e:00:02', up: false, parent: undefined },
    );
    assert.deepEqual([(await link(ns, 'eth1'))?.mode, (await link(ns, 'eth1'))?.mtu], ['private', 1500]);
    assert.equal(await link(null, 'eth0'), undefined, 'made in the namespace, not the batch\'s');
    const onHost = await k.link(null, host);
    assert.deepEqual([onHost?.kind, onHost?.parent, onHost?.mode], ['macvlan', parent, 'vepa']);
    assert.deepEqual(onHost, await link(null, host), 'link(name) and links() agree');

    // deleting a macvlan leaves its parent; deleting the parent takes every macvlan on it
    await k.ip(ns, [{ op: 'link.del', name: 'eth1' }]);
    assert.equal(await link(ns, 'eth1'), undefined);
    assert.equal((await link(null, parent))?.kind, 'veth');
    await k.ip(null, [{ op: 'link.del', name: parent }]);
    assert.equal(await link(ns, 'eth0'), undefined);
    assert.equal(await link(null, host), undefined);
  });

  it('macvlan: the kernel\'s refusals fail the op and create nothing', async () => {
    const c = ctx();
    const { k, nm, link } = c;
    if (!(await k.supportsLinkKind('macvlan'))) return;
    const ns = await c.newNetns();
    const { parent, lan } = await parentVeth(c);
    const [a, b, br] = [nm('pbma'), nm('pbmb'), nm('pbmr')];
    c.cleanup(() => k.ip(null, [{ op: 'link.del', name: br }], { ignoreMissing: true }));
    // the parent is looked up in the batch's namespace
    await rejectsKernel(k.ip(ns, [{ op: 'macvlan.add', name: 'eth0', parent, mode: 'bridge' }]), 0);
    // no larger MTU than the parent's
    await rejectsKernel(k.ip(null, [{ op: 'macvlan.add', name: a, parent, mode: 'bridge', mtu: 9000 }]), 0);
    assert.equal(await link(null, a), undefined);
    // passthru: the only macvlan on its parent, with the parent's MAC
    await k.ip(null, [{ op: 'macvlan.add', name: a, parent: lan, mode: 'passthru' }]);
    assert.deepEqual([(await link(null, a))?.mode, (await link(null, a))?.mac], ['passthru', (await link(null, lan))?.mac]);
    await rejectsKernel(k.ip(null, [{ op: 'macvlan.add', name: b, parent: lan, mode: 'bridge' }]), 0);
    await k.ip(null, [{ op: 'macvlan.add', name: b, parent, mode: 'bridge' }]);
    await rejectsKernel(k.ip(null, [{ op: 'macvlan.add', name: nm('pbmc'), parent, mode: 'passthru' }]), 0);
    assert.equal(await link(null, nm('pbmc')), undefined);
    // a lower device of macvlans cannot become a bridge port; a bridge port cannot get macvlans
    await k.ip(null, [{ op: 'bridge.add', name: br }]);
    await rejectsKernel(k.ip(null, [{ op: 'link.set', name: parent, master: br }]), 0);
    assert.equal((await link(null, parent))?.master, undefined);
    await k.ip(null, [{ op: 'link.del', name: a }, { op: 'link.set', name: lan, master: br }]);
    await rejectsKernel(k.ip(null, [{ op: 'macvlan.add', name: a, parent: lan, mode: 'bridge' }]), 0);
    // a macvlan on a macvlan sits on the same lower device
    await k.ip(null, [{ op: 'macvlan.add', name: a, parent: b, mode: 'bridge' }]);
    assert.equal((await link(null, a))?.parent, parent);
  });

  it('ipvlan: in a namespace on a parent, sharing its MAC, mode and flag read back (or a clear refusal)', async () => {
    const c = ctx();
    const { k, nm, link } = c;
    const ns = await c.newNetns();
    const { parent } = await parentVeth(c);
    const host = nm('pbih');
    const ops: IpOp[] = [
      { op: 'ipvlan.add', name: 'eth0', parent, mode: 'l3', flag: 'private', netns: ns, mtu: 1400 },
      { op: 'ipvlan.add', name: host, parent, mode: 'l3', flag: 'private' },
    ];
    if (!(await k.supportsLinkKind('ipvlan'))) return refused(c, 'ipvlan', 'CONFIG_IPVLAN', ops, 0, [[ns, 'eth0'], [null, host]]);
    await k.ip(null, ops);
    const mac = (await link(null, parent))?.mac;
    const eth0 = await link(ns, 'eth0');
    assert.deepEqual(
      { kind: eth0?.kind, mode: eth0?.mode, flag: eth0?.flag, mtu: eth0?.mtu, mac: eth0?.mac, parent: eth0?.parent },
      { kind: 'ipvlan', mode: 'l3', flag: 'private', mtu: 1400, mac, parent: undefined },
    );
    assert.deepEqual([(await link(null, host))?.parent, (await link(null, host))?.mtu], [parent, 1500]);
    await rejectsKernel(k.ip(null, [{ op: 'macvlan.add', name: nm('pbim'), parent, mode: 'bridge' }]), 0);
    await k.ip(null, [{ op: 'link.del', name: parent }]);
    assert.equal(await link(ns, 'eth0'), undefined);
    assert.equal(await link(null, host), undefined);
  });

  it('vlan: an 802.1Q sub-interface per parent and id (or a clear refusal)', async () => {
    const c = ctx();
    const { k, nm, link } = c;
    const { parent } = await parentVeth(c);
    const sub = `${nm('pbq')}.10`;
    const ops: IpOp[] = [{ op: 'vlan.add', name: sub, parent, id: 10 }];
    await rejectsInvalid(k.ip(null, [{ op: 'vlan.add', name: sub, parent, id: 4095 }]));
    await rejectsInvalid(k.ip(null, [{ op: 'vlan.add', name: sub, parent, id: 0 }]));
    if (!(await k.supportsLinkKind('vlan'))) return refused(c, 'vlan', 'CONFIG_VLAN_8021Q', ops, 0, [[null, sub]]);
    await k.ip(null, ops);
    const vlan = await link(null, sub);
    assert.deepEqual(
      { kind: vlan?.kind, vlanId: vlan?.vlanId, parent: vlan?.parent, mac: vlan?.mac, mtu: vlan?.mtu },
      { kind: 'vlan', vlanId: 10, parent, mac: (await link(null, parent))?.mac, mtu: 1500 },
    );
    assert.deepEqual(await k.link(null, sub), vlan);
    await rejectsKernel(k.ip(null, [{ op: 'vlan.add', name: nm('pbqd'), parent, id: 10 }]), 0);
    assert.equal(await link(null, nm('pbqd')), undefined);
    await k.ip(null, [{ op: 'vlan.add', name: nm('pbqe'), parent, id: 11 }]);
    await k.ip(null, [{ op: 'link.del', name: parent }]);
    assert.equal(await link(null, sub), undefined);
    assert.equal(await link(null, nm('pbqe')), undefined);
  });

  it('dummy: made and deleted (or a clear refusal, after the ops before it ran)', async () => {
    const c = ctx();
    const { k, nm, link } = c;
    const [d, br] = [nm('pbdu'), nm('pbdb')];
    c.cleanup(() => k.ip(null, [{ op: 'link.del', name: d }, { op: 'link.del', name: br }], { ignoreMissing: true }));
    const ops: IpOp[] = [{ op: 'bridge.add', name: br }, { op: 'dummy.add', name: d }];
    if (!(await k.supportsLinkKind('dummy'))) {
      await refused(c, 'dummy', 'CONFIG_DUMMY', ops, 1, [[null, d]]);
      assert.equal((await link(null, br))?.kind, 'bridge', 'the ops before it ran, as in any failed batch');
      return;
    }
    await k.ip(null, ops);
    assert.equal((await link(null, d))?.kind, 'dummy');
    await k.ip(null, [{ op: 'link.del', name: d }]);
    assert.equal(await link(null, d), undefined);
  });

  it('rejects bad link-kind ops before anything runs', async () => {
    const { k, nm, link } = ctx();
    const ok = nm('pbok');
    const bad: IpOp[] = [
      { op: 'macvlan.add', name: ok, parent: 'lo', mode: 'bogus' as 'bridge' },
      { op: 'macvlan.add', name: ok, parent: 'lo;x', mode: 'bridge' },
      { op: 'macvlan.add', name: ok, parent: 'lo', mode: 'bridge', netns: 'relative' },
      { op: 'macvlan.add', name: ok, parent: 'lo', mode: 'bridge', mac: '01:00:5e:00:00:01' },
      { op: 'ipvlan.add', name: ok, parent: 'lo', mode: 'l4' as 'l2' },
      { op: 'ipvlan.add', name: ok, parent: 'lo', mode: 'l2', flag: 'nope' as 'bridge' },
      { op: 'ipvlan.add', name: ok, parent: 'lo', mode: 'l2', mtu: 20 },
      { op: 'vlan.add', name: ok, parent: 'lo', id: 1.5 },
      { op: 'dummy.add', name: 'a'.repeat(16) },
    ];
    for (const op of bad) await rejectsInvalid(k.ip(null, [{ op: 'bridge.add', name: ok }, op]));
    assert.equal(await link(null, ok), undefined, 'nothing ran');
  });
}
