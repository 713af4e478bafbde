import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { KernelError, PatchbayError } from '@patchbay/errors';
import type { Kernel, LinkInfo } from '../src/index.js';
import { linkKindCases } from './contract-links.js';
import { overlayCases } from './contract-overlay.js';
import { stateCases } from './contract-states.js';
import { vethCases } from './contract-veth.js';

/**
 * One behaviour, two kernels: the fake must fail where the real one fails, with the same
 * error shape (`details.failedOp`), so that drivers tested on the fake work on the machine.
 */

export interface ForeignNetns {
  /** a namespace file outside /run/netns, e.g. /proc/PID/ns/net of a "container" process */
  path: string;
  dispose(): Promise<void>;
}

export interface ContractHooks {
  /** makes a namespace that is not under /run/netns (tests of the nsenter path) */
  foreignNetns?: () => Promise<ForeignNetns>;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

let seq = 0;

export function kernelContract(name: string, makeKernel: () => Kernel, hooks: ContractHooks = {}): void {
  describe(`Kernel contract: ${name}`, () => {
    let k: Kernel;
    let n: number;
    let cleanups: (() => Promise<unknown>)[];

    beforeEach(() => {
      k = makeKernel();
      n = ++seq;
      cleanups = [];
    });
    afterEach(async () => {
      for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
    });

    /** unique interface names per test (the real kernel's tests share one namespace) */
    const nm = (prefix: string) => `${prefix}${n}`;
    const newNetns = async (): Promise<string> => {
      const ns = `pbt-${process.pid % 10000}-${n}-${cleanups.length}`;
      const path = await k.netnsAdd(ns);
      cleanups.push(() => k.netnsDelete(ns));
      return path;
    };
    const link = async (netns: string | null, ifname: string): Promise<LinkInfo | undefined> =>
      (await k.links(netns)).find((l) => l.name === ifname);

    const rejectsKernel = (p: Promise<unknown>, failedOp?: number) =>
      assert.rejects(p, (err: unknown) => {
        assert.ok(err instanceof KernelError && err.name === 'KernelError', `expected a KernelError, got ${String(err)}`);
        assert.equal(err.code, 'PB_ERR_KERNEL');
        if (failedOp !== undefined) assert.equal(err.details?.failedOp, failedOp, err.message);
        return true;
      });
    const rejectsInvalid = (p: Promise<unknown>) =>
      assert.rejects(p, (err: unknown) => {
        // (PatchbayError's Symbol.hasInstance makes every PatchbayError an `instanceof KernelError`)
        assert.ok(err instanceof PatchbayError && err.name !== 'KernelError', `expected a validation error, got ${String(err)}`);
        assert.equal(err.code, 'PB_ERR_INVALID');
        return true;
      });

    /** bridge `br` up with 10.77.n.1/24, veth `host` on it, its peer `eth0` in a new namespace */
    async function attached() {
      const ns = await newNetns();
      const br = nm('pbbr');
      const host = nm('pbve');
      await k.ip(null, [
        { op: 'bridge.add', name: br },
        { op: 'link.set', name: br, up: true },
        { op: 'addr.add', dev: br, cidr: `10.77.${n}.1/24` },
        { op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns },
        { op: 'link.set', name: host, master: br, up: true },
      ]);
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: br }, { op: 'link.del', name: host }], { ignoreMissing: true }));
      return { ns, br, host };
    }

    it('creates a bridge, brings it up and gives it an address', async () => {
      const br = nm('pbbr');
      await k.ip(null, [
        { op: 'bridge.add', name: br },
        { op: 'link.set', name: br, up: true },
        { op: 'addr.add', dev: br, cidr: `10.77.${n}.1/24` },
      ]);
      const l = await link(null, br);
      assert.ok(l);
      assert.equal(l.kind, 'bridge');
      assert.equal(l.up, true);
      assert.equal(l.mtu, 1500);
      assert.match(l.mac, MAC_RE);
      assert.ok(l.index > 0);
      // (an up link may also get an IPv6 link-local address, scope 'link')
      assert.deepEqual(
        (await k.addresses(null)).filter((a) => a.dev === br && a.scope !== 'link'),
        [{ dev: br, cidr: `10.77.${n}.1/24`, family: 4, scope: 'global' }],
      );
      const connected = (await k.routes(null)).find((r) => r.dst === `10.77.${n}.0/24`);
      assert.equal(connected?.dev, br);
      assert.equal(connected?.family, 4);
      await k.ip(null, [{ op: 'link.del', name: br }]);
      assert.equal(await link(null, br), undefined);
    });

    it('sets MTU and MAC at creation and later', async () => {
      const br = nm('pbbr');
      await k.ip(null, [{ op: 'bridge.add', name: br, mtu: 1400, mac: '02:42:ac:11:00:99' }]);
      assert.deepEqual(await link(null, br).then((l) => [l?.mtu, l?.mac]), [1400, '02:42:ac:11:00:99']);
      await k.ip(null, [{ op: 'link.set', name: br, mtu: 1300, mac: '02:42:ac:11:00:98' }]);
      assert.deepEqual(await link(null, br).then((l) => [l?.mtu, l?.mac, l?.up]), [1300, '02:42:ac:11:00:98', false]);
      await k.ip(null, [{ op: 'link.del', name: br }]);
    });

    it('creates a bridge with IGMP/MLD snooping on, or off when asked', async () => {
      const [on, off] = [nm('pbsn'), nm('pbsf')];
      await k.ip(null, [{ op: 'bridge.add', name: on }, { op: 'bridge.add', name: off, mcastSnooping: false }]);
      assert.equal((await link(null, on))?.mcastSnooping, true);
      assert.equal((await link(null, off))?.mcastSnooping, false);
      assert.equal((await k.link(null, off))?.mcastSnooping, false, 'one link asked for by name too');
      await k.ip(null, [{ op: 'link.del', name: on }, { op: 'link.del', name: off }]);
    });

    it('creates a named namespace with loopback up', async () => {
      const ns = await newNetns();
      assert.match(ns, /^\/run\/netns\/pbt-/);
      const lo = await link(ns, 'lo');
      assert.equal(lo?.kind, 'loopback');
      assert.equal(lo?.up, true);
      assert.ok((await k.addresses(ns)).some((a) => a.dev === 'lo' && a.cidr === '127.0.0.1/8' && a.scope === 'host'));
    });

    it('creates a veth pair with its peer directly inside a namespace, enslaved to a bridge', async () => {
      const ns = await newNetns();
      const br = nm('pbbr');
      const host = nm('pbve');
      await k.ip(null, [
        { op: 'bridge.add', name: br },
        { op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns, mtu: 1450, peerMac: '02:42:0a:4d:00:02' },
        { op: 'link.set', name: host, master: br, up: true },
      ]);
      const h = await link(null, host);
      assert.deepEqual([h?.kind, h?.master, h?.up, h?.mtu], ['veth', br, true, 1450]);
      const peer = await link(ns, 'eth0');
      assert.deepEqual([peer?.kind, peer?.master, peer?.up, peer?.mtu, peer?.mac], ['veth', undefined, false, 1450, '02:42:0a:4d:00:02']);
      assert.equal(await link(null, 'eth0'), undefined);
      await k.ip(null, [{ op: 'link.set', name: host, nomaster: true }]);
      assert.equal((await link(null, host))?.master, undefined);
      await k.ip(null, [{ op: 'link.del', name: host }, { op: 'link.del', name: br }]);
    });

    it('addresses and routes inside a namespace: default route via the gateway', async () => {
      const { ns } = await attached();
      await k.ip(ns, [
        { op: 'addr.add', dev: 'eth0', cidr: `10.77.${n}.2/24` },
        { op: 'link.set', name: 'eth0', up: true },
        { op: 'route.add', dst: 'default', via: `10.77.${n}.1` },
        { op: 'addr.add', dev: 'eth0', cidr: `fd77:${n}::2/64` },
        { op: 'route.add', dst: 'default', via: `fd77:${n}::1` },
      ]);
      const addrs = await k.addresses(ns);
      assert.ok(addrs.some((a) => a.dev === 'eth0' && a.cidr === `10.77.${n}.2/24` && a.family === 4));
      assert.ok(addrs.some((a) => a.dev === 'eth0' && a.cidr === `fd77:${n}::2/64` && a.family === 6));
      const routes = await k.routes(ns);
      assert.ok(routes.some((r) => r.dst === 'default' && r.gateway === `10.77.${n}.1` && r.dev === 'eth0' && r.family === 4));
      assert.ok(routes.some((r) => r.dst === 'default' && r.gateway === `fd77:${n}::1` && r.dev === 'eth0' && r.family === 6));
      assert.ok(routes.some((r) => r.dst === `10.77.${n}.0/24` && r.dev === 'eth0' && r.scope === 'link'));
      // one default route per family
      await rejectsKernel(k.ip(ns, [{ op: 'route.add', dst: 'default', via: `10.77.${n}.3` }]), 0);
      await k.ip(ns, [
        { op: 'route.del', dst: 'default', via: `10.77.${n}.1` },
        { op: 'addr.del', dev: 'eth0', cidr: `fd77:${n}::2/64` },
      ]);
      const after = await k.routes(ns);
      assert.equal(after.filter((r) => r.dst === 'default' && r.family === 4).length, 0);
      assert.ok(!(await k.addresses(ns)).some((a) => a.cidr === `fd77:${n}::2/64`));
    });

    it('a route needs an on-link gateway; the batch stops at that op and keeps what ran', async () => {
      const { ns } = await attached();
      await rejectsKernel(
        k.ip(ns, [
          { op: 'addr.add', dev: 'eth0', cidr: `10.77.${n}.2/24` },
          { op: 'route.add', dst: '10.99.0.0/16', via: '10.66.0.1' },
          { op: 'link.set', name: 'eth0', up: true },
        ]),
        1,
      );
      assert.ok((await k.addresses(ns)).some((a) => a.cidr === `10.77.${n}.2/24`), 'op 0 stays applied');
      assert.equal((await link(ns, 'eth0'))?.up, false, 'op 2 never ran');
      // the address's subnet is on-link only while the link is up
      await rejectsKernel(k.ip(ns, [{ op: 'route.add', dst: '10.99.0.0/16', via: `10.77.${n}.1` }]), 0);
      await k.ip(ns, [{ op: 'link.set', name: 'eth0', up: true }, { op: 'route.add', dst: '10.99.0.0/16', via: `10.77.${n}.1` }]);
      assert.ok((await k.routes(ns)).some((r) => r.dst === '10.99.0.0/16' && r.gateway === `10.77.${n}.1`));
    });

    it('deleting one veth end deletes the other, with its addresses and routes', async () => {
      const { ns, host } = await attached();
      await k.ip(ns, [
        { op: 'addr.add', dev: 'eth0', cidr: `10.77.${n}.2/24` },
        { op: 'link.set', name: 'eth0', up: true },
        { op: 'route.add', dst: '10.98.0.0/16', via: `10.77.${n}.1` },
      ]);
      await k.ip(null, [{ op: 'link.del', name: host }]);
      assert.equal(await link(ns, 'eth0'), undefined);
      assert.ok(!(await k.routes(ns)).some((r) => r.dev === 'eth0'));
      assert.ok(!(await k.addresses(ns)).some((a) => a.dev === 'eth0'));
      // and from the other side
      const other = nm('pbvf');
      await k.ip(null, [{ op: 'veth.add', name: other, peer: 'eth1', peerNetns: ns }]);
      await k.ip(ns, [{ op: 'link.del', name: 'eth1' }]);
      assert.equal(await link(null, other), undefined);
    });

    it('group.del deletes every link of a group in one op, veth peers in other namespaces with them', async () => {
      const ns = await newNetns();
      const group = 0x7062_0000 + n;
      const [a, b, keep] = [nm('pbga'), nm('pbgb'), nm('pbgk')];
      cleanups.push(() => k.ip(null, [a, b, keep].map((name) => ({ op: 'link.del' as const, name })), { ignoreMissing: true }));
      await k.ip(null, [
        { op: 'veth.add', name: a, peer: 'eth0', peerNetns: ns },
        { op: 'veth.add', name: b, peer: 'eth1', peerNetns: ns },
        { op: 'bridge.add', name: keep },
        { op: 'link.set', name: a, group, up: false },
        { op: 'link.set', name: b, group },
      ]);
      assert.equal((await link(null, a))?.group, group);
      assert.equal((await link(null, keep))?.group, undefined);
      await k.ip(null, [{ op: 'group.del', group }]);
      assert.equal(await link(null, a), undefined);
      assert.equal(await link(null, b), undefined);
      assert.equal(await link(ns, 'eth0'), undefined);
      assert.equal(await link(ns, 'eth1'), undefined);
      assert.equal((await link(null, keep))?.kind, 'bridge');
      await rejectsKernel(k.ip(null, [{ op: 'group.del', group }]), 0);
      await k.ip(null, [{ op: 'group.del', group }], { ignoreMissing: true });
      await assert.rejects(k.ip(null, [{ op: 'group.del', group: 0 }]), /default group cannot be deleted/);
    });

    it('link.set newName renames a link (down or up), its addresses and routes follow; a taken name fails', async () => {
      const ns = await newNetns();
      const host = nm('pbrn');
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: host }], { ignoreMissing: true }));
      await k.ip(null, [
        { op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns },
        { op: 'link.set', name: host, up: true },
      ]);
      await k.ip(ns, [
        { op: 'link.set', name: 'eth0', up: true },
        { op: 'addr.add', dev: 'eth0', cidr: `10.78.${n}.2/24` },
        { op: 'route.add', dst: 'default', via: `10.78.${n}.1` },
      ]);
      const index = (await link(ns, 'eth0'))!.index;
      await k.ip(ns, [{ op: 'link.set', name: 'eth0', newName: 'pbrold' }]);
      assert.equal(await link(ns, 'eth0'), undefined, 'the name is free at once');
      const renamed = await link(ns, 'pbrold');
      assert.equal(renamed?.index, index, 'the same link');
      assert.equal(renamed?.up, true);
      assert.ok((await k.addresses(ns)).some((a) => a.dev === 'pbrold' && a.cidr === `10.78.${n}.2/24`));
      assert.ok((await k.routes(ns)).some((r) => r.dst === 'default' && r.dev === 'pbrold'));
      // down, then renamed back in one batch: what an undo does
      await k.ip(ns, [{ op: 'link.set', name: 'pbrold', up: false }, { op: 'link.set', name: 'pbrold', newName: 'eth0', up: true }]);
      assert.equal((await link(ns, 'eth0'))?.index, index);
      await k.ip(ns, [{ op: 'bridge.add', name: 'taken' }]);
      await rejectsKernel(k.ip(ns, [{ op: 'link.set', name: 'eth0', newName: 'taken' }]), 0);
      assert.ok(await link(ns, 'eth0'));
      await rejectsInvalid(k.ip(ns, [{ op: 'link.set', name: 'eth0', newName: 'bad name' }]));
    });

    it('rejects a duplicate link, naming the failing op; earlier ops stay, later ones never run', async () => {
      const [a, b, c] = [nm('pbda'), nm('pbdb'), nm('pbdc')];
      cleanups.push(() => k.ip(null, [a, b, c].map((name) => ({ op: 'link.del' as const, name })), { ignoreMissing: true }));
      await k.ip(null, [{ op: 'bridge.add', name: a }]);
      await rejectsKernel(k.ip(null, [{ op: 'bridge.add', name: a }]), 0);
      await rejectsKernel(
        k.ip(null, [
          { op: 'bridge.add', name: b },
          { op: 'veth.add', name: a, peer: nm('pbdp'), peerNetns: null },
          { op: 'bridge.add', name: c },
        ]),
        1,
      );
      assert.equal((await link(null, b))?.kind, 'bridge');
      assert.equal(await link(null, c), undefined);
      assert.equal(await link(null, nm('pbdp')), undefined, 'a failed veth leaves no peer behind');
    });

    it('rejects a veth whose peer name is taken in the peer namespace, creating neither end', async () => {
      const ns = await newNetns();
      await k.ip(null, [{ op: 'veth.add', name: nm('pbva'), peer: 'eth0', peerNetns: ns }]);
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: nm('pbva') }], { ignoreMissing: true }));
      await rejectsKernel(k.ip(null, [{ op: 'veth.add', name: nm('pbvb'), peer: 'eth0', peerNetns: ns }]), 0);
      assert.equal(await link(null, nm('pbvb')), undefined);
    });

    it('a missing link fails, unless in teardown mode (ignoreMissing)', async () => {
      const gone = nm('pbgone');
      await rejectsKernel(k.ip(null, [{ op: 'link.del', name: gone }]), 0);
      await rejectsKernel(k.ip(null, [{ op: 'addr.add', dev: gone, cidr: '10.1.2.3/24' }]), 0);
      await k.ip(null, [{ op: 'link.del', name: gone }], { ignoreMissing: true });

      const br = nm('pbbr');
      await k.ip(null, [{ op: 'bridge.add', name: br }]);
      await k.ip(
        null,
        [
          { op: 'addr.del', dev: br, cidr: '10.1.2.3/24' },
          { op: 'addr.del', dev: br, cidr: 'fd01::3/64' },
          { op: 'route.del', dst: '10.123.0.0/16' },
          { op: 'link.set', name: gone, nomaster: true },
          { op: 'link.del', name: gone },
          { op: 'link.del', name: br },
        ],
        { ignoreMissing: true },
      );
      assert.equal(await link(null, br), undefined, 'teardown went on past the missing things');
    });

    it('teardown mode still fails on real errors, after trying every op', async () => {
      const [dup, fresh] = [nm('pbtd'), nm('pbtf')];
      cleanups.push(() => k.ip(null, [dup, fresh].map((name) => ({ op: 'link.del' as const, name })), { ignoreMissing: true }));
      await k.ip(null, [{ op: 'bridge.add', name: dup }]);
      await rejectsKernel(
        k.ip(
          null,
          [
            { op: 'link.del', name: nm('pbgone') },
            { op: 'bridge.add', name: dup },
            { op: 'bridge.add', name: fresh },
          ],
          { ignoreMissing: true },
        ),
        1,
      );
      assert.equal((await link(null, fresh))?.kind, 'bridge');
    });

    it('a master must be an existing bridge in the same namespace', async () => {
      const [br, a, b] = [nm('pbmb'), nm('pbma'), nm('pbmp')];
      cleanups.push(() => k.ip(null, [a, br].map((name) => ({ op: 'link.del' as const, name })), { ignoreMissing: true }));
      await rejectsKernel(
        k.ip(null, [
          { op: 'bridge.add', name: br },
          { op: 'veth.add', name: a, peer: b, peerNetns: null },
          { op: 'link.set', name: a, master: nm('pbnone') },
          { op: 'link.set', name: a, up: true },
        ]),
        2,
      );
      assert.equal((await link(null, a))?.up, false);
      await rejectsKernel(k.ip(null, [{ op: 'link.set', name: a, master: b }]), 0);
      // the missing master is "missing" in teardown mode, and later ops still run
      const after = nm('pbmz');
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: after }], { ignoreMissing: true }));
      await k.ip(
        null,
        [
          { op: 'link.set', name: a, master: nm('pbnone') },
          { op: 'bridge.add', name: after },
        ],
        { ignoreMissing: true },
      );
      assert.equal((await link(null, after))?.kind, 'bridge');
      await k.ip(null, [{ op: 'link.set', name: a, master: br }]);
      assert.equal((await link(null, a))?.master, br);
    });

    it('link(name) finds one link, or undefined when there is none', async () => {
      const br = nm('pblk');
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: br }], { ignoreMissing: true }));
      await k.ip(null, [{ op: 'bridge.add', name: br, mtu: 1400 }]);
      const one = await k.link(null, br);
      assert.equal(one?.name, br);
      assert.equal(one?.kind, 'bridge');
      assert.equal(one?.mtu, 1400);
      assert.deepEqual(one, (await k.links(null)).find((l) => l.name === br));
      assert.equal(await k.link(null, nm('pbnone')), undefined);
      await assert.rejects(k.link(null, 'eth0;rm'), /interface name|invalid/i);
    });

    it('addrgenmode none before up leaves a link without an IPv6 link-local address', async () => {
      const [a, b] = [nm('pbga'), nm('pbgp')];
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: a }], { ignoreMissing: true }));
      await k.ip(null, [
        { op: 'veth.add', name: a, peer: b, peerNetns: null },
        { op: 'link.set', name: a, addrgenmode: 'none' },
        { op: 'link.set', name: a, up: true },
        { op: 'link.set', name: b, up: true },
      ]);
      const v6 = async (dev: string) => (await k.addresses(null)).filter((x) => x.dev === dev && x.family === 6);
      assert.deepEqual(await v6(a), []);
      // the other end kept the default mode; the kernel adds its link-local address (real kernel: soon after up)
      for (let i = 0; i < 50 && (await v6(b)).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await v6(b)).length, 1);
      await assert.rejects(k.ip(null, [{ op: 'link.set', name: a, addrgenmode: 'bogus' as 'none' }]), /addrgenmode/);
    });

    it('hairpin is a bridge-port flag: set after the master, lost with it, refused on a link without one', async () => {
      const [br, a, b] = [nm('pbhb'), nm('pbha'), nm('pbhp')];
      cleanups.push(() => k.ip(null, [a, br].map((name) => ({ op: 'link.del' as const, name })), { ignoreMissing: true }));
      await k.ip(null, [
        { op: 'bridge.add', name: br },
        { op: 'veth.add', name: a, peer: b, peerNetns: null },
        { op: 'link.set', name: a, master: br, up: true },
        { op: 'link.set', name: a, hairpin: true },
      ]);
      assert.deepEqual([(await link(null, a))?.master, (await link(null, a))?.hairpin], [br, true]);
      await k.ip(null, [{ op: 'link.set', name: a, hairpin: false, mtu: 1400 }]);
      assert.deepEqual([(await link(null, a))?.hairpin, (await link(null, a))?.mtu], [false, 1400]);
      await k.ip(null, [{ op: 'link.set', name: a, hairpin: true }]);
      // a link that leaves the bridge is no port any more; enslaved again, it starts without hairpin
      await k.ip(null, [{ op: 'link.set', name: a, nomaster: true }]);
      assert.equal((await link(null, a))?.hairpin, undefined);
      await k.ip(null, [{ op: 'link.set', name: a, master: br }]);
      assert.equal((await link(null, a))?.hairpin, false);
      // not a port: the whole op fails, nothing of it applies
      await rejectsKernel(k.ip(null, [{ op: 'link.set', name: b, up: true, hairpin: true }]), 0);
      assert.deepEqual([(await link(null, b))?.up, (await link(null, b))?.hairpin], [false, undefined]);
      // the kernel reads port flags before a master change, so one op cannot do both
      await rejectsInvalid(k.ip(null, [{ op: 'link.set', name: b, master: br, hairpin: true }]));
      await rejectsInvalid(k.ip(null, [{ op: 'link.set', name: a, nomaster: true, hairpin: false }]));
      await rejectsInvalid(k.ip(null, [{ op: 'link.set', name: a, hairpin: 'on' as unknown as boolean }]));
    });

    it('a veth into a namespace that does not exist fails at that op', async () => {
      const x = nm('pbnx');
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: x }], { ignoreMissing: true }));
      await rejectsKernel(
        k.ip(null, [
          { op: 'bridge.add', name: x },
          { op: 'veth.add', name: nm('pbny'), peer: 'eth0', peerNetns: '/run/netns/pbt-never-made' },
        ]),
        1,
      );
      assert.ok(await link(null, x));
      assert.equal(await link(null, nm('pbny')), undefined);
    });

    it('adds, lists and deletes named namespaces', async () => {
      const name = `pbt-list-${n}`;
      const path = await k.netnsAdd(name);
      assert.equal(path, `/run/netns/${name}`);
      assert.ok((await k.netnsList()).includes(name));
      await rejectsKernel(k.netnsAdd(name));
      await k.netnsDelete(name);
      assert.ok(!(await k.netnsList()).includes(name));
      await k.netnsDelete(name);
      assert.equal(await k.isNetns(path), false);
      await rejectsKernel(k.links(path));
      await rejectsKernel(k.ip(path, [{ op: 'link.set', name: 'lo', up: true }]), 0);
      // teardown in a namespace that is already gone has nothing left to do
      await k.ip(path, [{ op: 'link.del', name: 'eth0' }], { ignoreMissing: true });
    });

    it('deleting a namespace destroys the veths inside it, and so their host ends', async () => {
      const name = `pbt-del-${n}`;
      const ns = await k.netnsAdd(name);
      const host = nm('pbvd');
      await k.ip(null, [{ op: 'veth.add', name: host, peer: 'eth0', peerNetns: ns }]);
      await k.netnsDelete(name);
      // the kernel dismantles a namespace asynchronously
      for (let i = 0; i < 100 && (await link(null, host)); i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(await link(null, host), undefined);
    });

    it('isNetns is true only for network-namespace files', async () => {
      const ns = await newNetns();
      assert.equal(await k.isNetns(ns), true);
      assert.equal(await k.isNetns('/proc/self/ns/net'), true);
      for (const path of [
        '/proc/self/ns/mnt',
        '/proc/self/ns/uts',
        '/tmp',
        '/proc/self/status',
        '/etc/hostname',
        '/run/netns/pbt-does-not-exist',
        'relative/net',
        '/run/netns/../netns/x',
        '',
      ]) {
        assert.equal(await k.isNetns(path), false, path);
      }
    });

    it('drives a namespace outside /run/netns by its path', { skip: !hooks.foreignNetns }, async () => {
      const foreign = await hooks.foreignNetns!();
      cleanups.push(() => foreign.dispose());
      assert.equal(await k.isNetns(foreign.path), true);
      const host = nm('pbfh');
      await k.ip(null, [{ op: 'veth.add', name: host, peer: 'eth1', peerNetns: foreign.path }]);
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: host }], { ignoreMissing: true }));
      await k.ip(foreign.path, [
        { op: 'addr.add', dev: 'eth1', cidr: `10.79.${n}.2/24` },
        { op: 'link.set', name: 'eth1', up: true },
      ]);
      assert.equal((await link(foreign.path, 'eth1'))?.up, true);
      assert.ok((await k.addresses(foreign.path)).some((a) => a.cidr === `10.79.${n}.2/24`));
      // a veth made from inside, with its peer sent to the daemon's namespace (peerNetns null)
      const [inside, back] = [nm('pbfi'), nm('pbfb')];
      await k.ip(foreign.path, [{ op: 'veth.add', name: inside, peer: back, peerNetns: null }]);
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: back }], { ignoreMissing: true }));
      assert.equal((await link(null, back))?.kind, 'veth');
      assert.equal((await link(foreign.path, inside))?.kind, 'veth');
    });

    it('applies, lists and deletes nft tables, atomically', async () => {
      const table = 'pbtest';
      cleanups.push(() => k.nftDeleteTable('inet', table));
      await k.nftApply(`table inet ${table} {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t}\n}\n`);
      const first = await k.nftListTable('inet', table);
      assert.match(first ?? '', /^table inet pbtest \{/m);
      assert.match(first ?? '', /chain input \{/);

      // the replace idiom: create-if-missing, delete, re-create, in one transaction
      await k.nftApply(
        `table inet ${table} {}\ndelete table inet ${table}\n` +
          `table inet ${table} {\n\tchain forward {\n\t\ttype filter hook forward priority 0; policy accept;\n\t}\n}\n`,
      );
      const second = await k.nftListTable('inet', table);
      assert.match(second ?? '', /chain forward \{/);
      assert.doesNotMatch(second ?? '', /chain input/);

      // a failing document changes nothing
      await rejectsKernel(k.nftApply(`delete table inet ${table}\ndelete table inet pbnever\n`));
      await rejectsKernel(k.nftApply(`table inet ${table} {\n\tchain broken {\n`));
      assert.match((await k.nftListTable('inet', table)) ?? '', /chain forward/);

      await k.nftDeleteTable('inet', table);
      assert.equal(await k.nftListTable('inet', table), undefined);
      await k.nftDeleteTable('inet', table);
      assert.equal(await k.nftListTable('ip', 'pbnever'), undefined);
    });

    it('adds and deletes elements of named sets and maps, as `nft list` shows them', async () => {
      const table = 'pbelems';
      cleanups.push(() => k.nftDeleteTable('inet', table));
      const elements = async (name: string) => {
        const listing = (await k.nftListTable('inet', table)) ?? '';
        const m = new RegExp(`(?:set|map) ${name} \\{[^}]*?elements = \\{([^}]*)\\}`).exec(listing);
        return (m?.[1] ?? '').split(',').map((e) => e.replace(/\s+/g, ' ').trim()).filter(Boolean).sort();
      };
      await k.nftApply(
        `table inet ${table} {\n\tset ports {\n\t\ttype inet_service\n\t}\n` +
          `\tmap pmap {\n\t\ttype inet_proto . inet_service : ipv4_addr . inet_service\n\t\telements = { tcp . 8080 : 10.9.0.2 . 80 }\n\t}\n}\n`,
      );
      await k.nftApply(`add element inet ${table} ports { 8081, 8082 }\nadd element inet ${table} pmap { tcp . 8081 : 10.9.0.3 . 81 }\n`);
      assert.deepEqual(await elements('ports'), ['8081', '8082']);
      assert.deepEqual(await elements('pmap'), ['tcp . 8080 : 10.9.0.2 . 80', 'tcp . 8081 : 10.9.0.3 . 81']);

      await k.nftApply(`delete element inet ${table} ports { 8081 }\ndelete element inet ${table} pmap { tcp . 8080 }\n`);
      assert.deepEqual(await elements('ports'), ['8082']);
      assert.deepEqual(await elements('pmap'), ['tcp . 8081 : 10.9.0.3 . 81']);

      // a missing element or set fails the whole batch
      await rejectsKernel(k.nftApply(`delete element inet ${table} ports { 8082 }\ndelete element inet ${table} ports { 9999 }\n`));
      await rejectsKernel(k.nftApply(`add element inet ${table} ports { 8083 }\nadd element inet ${table} nope { 1 }\n`));
      assert.deepEqual(await elements('ports'), ['8082']);

      await k.nftApply(`flush set inet ${table} ports\n`);
      assert.deepEqual(await elements('ports'), []);
    });

    it('reads and writes sysctls', async () => {
      const before = await k.sysctlGet('net.ipv4.ip_forward');
      assert.match(before ?? '', /^[01]$/);
      cleanups.push(() => k.sysctlSet('net.ipv4.ip_forward', before!));
      await k.sysctlSet('net.ipv4.ip_forward', '1');
      assert.equal(await k.sysctlGet('net.ipv4.ip_forward'), '1');
      assert.equal(await k.sysctlGet('net.ipv4.pb_no_such_knob'), undefined);
      await rejectsKernel(k.sysctlSet('net.ipv4.pb_no_such_knob', '1'));

      const br = nm('pbsy');
      assert.equal(await k.sysctlGet(`net.ipv4.conf.${br}.forwarding`), undefined);
      await k.ip(null, [{ op: 'bridge.add', name: br }]);
      cleanups.push(() => k.ip(null, [{ op: 'link.del', name: br }], { ignoreMissing: true }));
      assert.match((await k.sysctlGet(`net.ipv4.conf.${br}.forwarding`)) ?? '', /^[01]$/);
      await k.sysctlSet(`net.ipv4.conf.${br}.route_localnet`, '1');
      assert.equal(await k.sysctlGet(`net.ipv4.conf.${br}.route_localnet`), '1');
    });

    it('rejects unsafe input before anything runs', async () => {
      const ok = nm('pbok');
      await rejectsInvalid(k.ip(null, [{ op: 'bridge.add', name: ok }, { op: 'bridge.add', name: 'eth0;rm' }]));
      assert.equal(await link(null, ok), undefined, 'nothing ran');
      for (const name of ['a'.repeat(16), '', 'has space', '../x', '$(id)']) {
        await rejectsInvalid(k.ip(null, [{ op: 'bridge.add', name }]));
      }
      for (const cidr of ['10.0.0.1', '10.0.0.300/24', '10.0.0.1/33', 'fd00::1/129', '10.0.0.1/24 dev lo']) {
        await rejectsInvalid(k.ip(null, [{ op: 'addr.add', dev: 'lo', cidr }]));
      }
      for (const mac of ['zz:00:00:00:00:01', '01:00:5e:00:00:01', '00:00:00:00:00:00', '02:42:ac:11:00']) {
        await rejectsInvalid(k.ip(null, [{ op: 'bridge.add', name: ok, mac }]));
      }
      await rejectsInvalid(k.ip(null, [{ op: 'bridge.add', name: ok, mtu: 70000 }]));
      await rejectsInvalid(k.ip(null, [{ op: 'route.add', dst: '10.0.0.0/8', via: 'fd00::1' }]));
      await rejectsInvalid(k.ip(null, [{ op: 'route.add', dst: 'nowhere', dev: 'lo' }]));
      await rejectsInvalid(k.ip(null, [{ op: 'veth.add', name: ok, peer: 'eth0', peerNetns: 'relative/ns' }]));
      for (const netns of ['relative', '/run/netns/../x', '/tmp/a b', '/run/netns/x;y']) {
        await rejectsInvalid(k.ip(netns, [{ op: 'link.set', name: 'lo', up: true }]));
        await rejectsInvalid(k.links(netns));
      }
      for (const name of ['a/b', '..', 'x;y', '-n']) {
        await rejectsInvalid(k.netnsAdd(name));
        await rejectsInvalid(k.netnsDelete(name));
      }
      await rejectsInvalid(k.nftListTable('foo', 't'));
      await rejectsInvalid(k.nftListTable('inet', 't;x'));
      await rejectsInvalid(k.nftDeleteTable('inet', '-x'));
      await rejectsInvalid(k.sysctlGet('../../etc/passwd'));
      await rejectsInvalid(k.sysctlGet('net..ipv4'));
      await rejectsInvalid(k.sysctlSet('net.ipv4.ip_forward', '1\n0'));
    });

    it('finds its tools', async () => {
      await k.checkTools(['ip', 'nft']);
    });

    const linkCases = () => ({ k, nm, newNetns, link, cleanup: (undo: () => Promise<unknown>) => cleanups.push(undo) });
    linkKindCases(linkCases);
    overlayCases(linkCases);
    stateCases(linkCases);
    vethCases(linkCases);
  });
}
