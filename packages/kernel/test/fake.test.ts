import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KernelError, PatchbayError } from '@patchbay/errors';
import { BRIDGE_MAX_PORTS, createFakeKernel, type IpOp } from '../src/index.js';
import { kernelContract } from './contract.js';

let foreignSeq = 0;
let current = createFakeKernel();

kernelContract(
  'fake',
  () => (current = createFakeKernel()),
  {
    // the fake kernel made for the test is `current`: register a "container" namespace in it
    foreignNetns: async () => {
      const path = `/proc/${40000 + ++foreignSeq}/ns/net`;
      const fake = current;
      fake.addForeignNetns(path);
      return { path, dispose: async () => fake.removeForeignNetns(path) };
    },
  },
);

// this machine's kernel: no ipvlan, 802.1Q or dummy links (the refusal paths of the contract)
kernelContract('fake, without ipvlan, vlan and dummy', () => createFakeKernel({ missingLinkKinds: ['ipvlan', 'vlan', 'dummy'] }));

const injected = (err: unknown) => err instanceof KernelError && err.details?.injected === true;

describe('fake kernel: its own rules and seams', () => {
  it(`limits a bridge to ${BRIDGE_MAX_PORTS} ports`, async () => {
    const k = createFakeKernel();
    const ops: IpOp[] = [{ op: 'bridge.add', name: 'br0' }];
    for (let i = 0; i <= BRIDGE_MAX_PORTS; i++) {
      ops.push({ op: 'veth.add', name: `v${i}`, peer: `p${i}`, peerNetns: null }, { op: 'link.set', name: `v${i}`, master: 'br0' });
    }
    await assert.rejects(k.ip(null, ops), (err: KernelError) => {
      assert.equal(err.details?.failedOp, ops.length - 1);
      assert.match(err.stderr, /Exchange full/);
      return true;
    });
    const ports = (await k.links(null)).filter((l) => l.master === 'br0');
    assert.equal(ports.length, BRIDGE_MAX_PORTS);
  });

  it('refuses to enslave a bridge or loopback, and a master in another namespace is not found', async () => {
    const k = createFakeKernel();
    const ns = await k.netnsAdd('a');
    await k.ip(null, [{ op: 'bridge.add', name: 'br0' }, { op: 'bridge.add', name: 'br1' }]);
    await k.ip(ns, [{ op: 'bridge.add', name: 'brn' }]);
    for (const name of ['br1', 'lo']) {
      await assert.rejects(k.ip(null, [{ op: 'link.set', name, master: 'br0' }]), KernelError);
    }
    await k.ip(null, [{ op: 'veth.add', name: 'v0', peer: 'v1', peerNetns: null }]);
    await assert.rejects(k.ip(null, [{ op: 'link.set', name: 'v0', master: 'brn' }]), /Device does not exist/);
  });

  it('link down flushes IPv6 addresses and routes through the link, keeps IPv4 addresses', async () => {
    const k = createFakeKernel();
    await k.ip(null, [
      { op: 'bridge.add', name: 'br0' },
      { op: 'link.set', name: 'br0', up: true },
      { op: 'addr.add', dev: 'br0', cidr: '10.0.0.1/24' },
      { op: 'addr.add', dev: 'br0', cidr: 'fd00::1/64' },
      { op: 'route.add', dst: '10.9.0.0/16', via: '10.0.0.9' },
    ]);
    await k.ip(null, [{ op: 'link.set', name: 'br0', up: false }]);
    assert.deepEqual((await k.addresses(null)).filter((a) => a.dev === 'br0').map((a) => a.cidr), ['10.0.0.1/24']);
    assert.deepEqual((await k.routes(null)).filter((r) => r.dev === 'br0'), []);
  });

  it('rejects a route destination with host bits and a device route on a down link', async () => {
    const k = createFakeKernel();
    await k.ip(null, [{ op: 'bridge.add', name: 'br0' }]);
    await assert.rejects(k.ip(null, [{ op: 'route.add', dst: '10.0.0.1/8', dev: 'br0' }]), /Invalid prefix/);
    await assert.rejects(k.ip(null, [{ op: 'route.add', dst: '10.0.0.0/8', dev: 'br0' }]), /not up/);
  });

  it('starts with the host links it is given', async () => {
    const k = createFakeKernel({ hostLinks: [{ name: 'eth0', addrs: ['192.168.1.10/24'] }] });
    const eth0 = (await k.links(null)).find((l) => l.name === 'eth0');
    assert.deepEqual([eth0?.kind, eth0?.up], ['', true]);
    assert.ok((await k.routes(null)).some((r) => r.dst === '192.168.1.0/24' && r.dev === 'eth0'));
    await k.ip(null, [{ op: 'route.add', dst: 'default', via: '192.168.1.1' }]);
  });

  it('removing a foreign namespace takes the host ends of its veths with it', async () => {
    const k = createFakeKernel();
    k.addForeignNetns('/proc/4242/ns/net');
    await k.ip(null, [{ op: 'veth.add', name: 'vh', peer: 'eth0', peerNetns: '/proc/4242/ns/net' }]);
    k.removeForeignNetns('/proc/4242/ns/net');
    assert.equal((await k.links(null)).find((l) => l.name === 'vh'), undefined);
    assert.equal(await k.isNetns('/proc/4242/ns/net'), false);
  });

  it('treats the daemon pid namespace path as the root namespace', async () => {
    const k = createFakeKernel({ pid: 777 });
    await k.ip('/proc/777/ns/net', [{ op: 'bridge.add', name: 'br0' }]);
    assert.ok((await k.links(null)).some((l) => l.name === 'br0'));
  });

  it('records every call in order', async () => {
    const k = createFakeKernel();
    await k.netnsAdd('a');
    await k.links('/run/netns/a');
    await k.sysctlSet('net.ipv4.ip_forward', '1');
    assert.deepEqual(
      k.calls.map((c) => c.method),
      ['netnsAdd', 'links', 'sysctlSet'],
    );
    assert.deepEqual(k.calls[2]!.args, ['net.ipv4.ip_forward', '1']);
    assert.equal(await k.sysctlGet('net.ipv4.conf.all.forwarding'), '1', 'ip_forward and conf.all.forwarding are one knob');
  });

  it('failNext(count) fails the next calls without changing anything', async () => {
    const k = createFakeKernel();
    k.failNext(2);
    await assert.rejects(k.ip(null, [{ op: 'bridge.add', name: 'br0' }]), (err) => injected(err) && (err as KernelError).details?.failedOp === 0);
    await assert.rejects(k.netnsAdd('a'), injected);
    assert.deepEqual(await k.netnsList(), []);
    assert.equal((await k.links(null)).some((l) => l.name === 'br0'), false);
    k.assertNoPending();
  });

  it('failNext(predicate) fails the first matching call; assertNoPending reports unused faults', async () => {
    const k = createFakeKernel();
    k.failNext((c) => c.method === 'nftApply');
    await k.netnsAdd('a');
    assert.throws(() => k.assertNoPending(), /never triggered/);
    await assert.rejects(k.nftApply('table inet t {}\n'), injected);
    await k.nftApply('table inet t {}\n');
    assert.ok(await k.nftListTable('inet', 't'));
    k.assertNoPending();
  });

  it('checkTools names the package of a missing tool', async () => {
    const k = createFakeKernel({ missingTools: ['nft'] });
    await k.checkTools(['ip']);
    await assert.rejects(k.checkTools(['ip', 'nft']), (err: PatchbayError) => {
      assert.equal(err.code, 'PB_ERR_INTERNAL');
      assert.match(err.message, /apt-get install -y nftables/);
      return true;
    });
  });

  it('nft: flush ruleset, create of an existing table, and commands on a missing table', async () => {
    const k = createFakeKernel();
    await k.nftApply('table ip nat {}\nadd chain ip nat post { type nat hook postrouting priority 100; }\n');
    assert.match((await k.nftListTable('ip', 'nat')) ?? '', /add chain ip nat post/);
    await assert.rejects(k.nftApply('create table ip nat\n'), /File exists/);
    await assert.rejects(k.nftApply('add rule inet nope c accept\n'), /No such file/);
    await k.nftApply('flush ruleset\n');
    assert.equal(await k.nftListTable('ip', 'nat'), undefined);
  });
});
