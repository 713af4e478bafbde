import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireIsolatedNamespace } from '../../../test/helpers/isolation.js';
import { KernelError } from '@patchbay/errors';
import { createRealKernel, type LinkInfo } from '../src/index.js';
import { NAMESPACES_PER_PASS } from '../src/netlink/netns-read.js';

requireIsolatedNamespace();

/**
 * The linear-cost reads (LinkScan, NetnsState) against the reads they stand for, on the same
 * kernel state: a bridge with veth ports whose peers live in sandboxes (one port down, one in a
 * group), a veth that is on no bridge, an address on the bridge.
 */
describe('scanLinks, netnsState and netnsStates (netlink) agree with links, addresses and routes', () => {
  const k = createRealKernel({ backend: 'netlink' });
  const sandboxes = ['scan-a', 'scan-b', 'scan-c'];

  it('builds the state', async () => {
    await k.ip(null, [{ op: 'bridge.add', name: 'scanbr0' }, { op: 'addr.add', dev: 'scanbr0', cidr: '10.231.0.1/24' }, { op: 'link.set', name: 'scanbr0', up: true }]);
    for (const [i, sb] of sandboxes.entries()) {
      const netns = await k.netnsAdd(sb);
      await k.ip(null, [
        { op: 'veth.add', name: `scanv${i}`, peer: 'eth0', peerNetns: netns },
        { op: 'link.set', name: `scanv${i}`, master: 'scanbr0', up: i !== 1 },
        { op: 'link.set', name: `scanv${i}`, hairpin: i === 0 },
        ...(i === 2 ? [{ op: 'link.set' as const, name: `scanv${i}`, group: 7 }] : []),
      ]);
      await k.ip(netns, [{ op: 'addr.add', dev: 'eth0', cidr: `10.231.0.${10 + i}/24` }, { op: 'link.set', name: 'eth0', up: true }, { op: 'route.add', dst: 'default', via: '10.231.0.1' }]);
    }
    await k.ip(null, [{ op: 'veth.add', name: 'scanloose', peer: 'eth9', peerNetns: '/run/netns/scan-a' }]);
  });

  it('names every link, and shows each bridge port as the full read does', async () => {
    const all = await k.links(null);
    const scan = await k.scanLinks!(null);
    assert.deepEqual([...scan.names].sort(), all.map((l) => l.name).sort());
    const ports = all.filter((l) => l.master === 'scanbr0');
    assert.deepEqual([...scan.ports.keys()].sort(), ports.map((l) => l.name).sort());
    for (const full of ports) {
      const port = scan.ports.get(full.name)!;
      assert.deepEqual(
        { name: port.name, index: port.index, master: port.master, mtu: port.mtu, mac: port.mac, up: port.up, hairpin: port.hairpin, linked: port.linked },
        { name: full.name, index: full.index, master: full.master, mtu: full.mtu, mac: full.mac, up: full.up, hairpin: full.hairpin, linked: true },
      );
    }
  });

  it('details give exactly what the full read gives for the named links (missing names left out)', async () => {
    const all = new Map((await k.links(null)).map((l) => [l.name, l]));
    const scan = await k.scanLinks!(null);
    const wanted = ['scanbr0', 'scanv1', 'scanv2', 'scanloose', 'lo', 'nosuchlink'];
    const details = await scan.details(wanted);
    assert.deepEqual(details, wanted.flatMap((n): LinkInfo[] => (all.has(n) ? [all.get(n)!] : [])));
    assert.equal(details.find((l) => l.name === 'scanv2')?.group, 7);
    assert.deepEqual(await scan.addresses(), await k.addresses(null));
  });

  it("a sandbox's state in one read is its links, addresses and routes", async () => {
    for (const sb of sandboxes) {
      const netns = `/run/netns/${sb}`;
      assert.deepEqual(await k.netnsState!(netns), { links: await k.links(netns), addresses: await k.addresses(netns), routes: await k.routes(netns) });
    }
  });

  it('many namespaces in passes: each state as netnsState reads it, a missing namespace its error in place', async () => {
    const paths = [...sandboxes.map((sb) => `/run/netns/${sb}`), '/run/netns/scan-missing', '/proc/self/ns/uts', `/run/netns/${sandboxes[0]}`];
    const states = await k.netnsStates!(paths);
    assert.equal(states.length, paths.length);
    for (const [i, path] of paths.entries()) {
      if (path === '/proc/self/ns/uts') {
        // a namespace, not a network namespace: setns refuses it, as netnsState reports
        assert.ok(states[i] instanceof KernelError);
        await assert.rejects(k.netnsState!(path), { message: (states[i] as KernelError).message });
        assert.match((states[i] as KernelError).message, /EINVAL: setns to/);
        continue;
      }
      if (path.endsWith('scan-missing')) {
        assert.ok(states[i] instanceof KernelError);
        // the error netnsState throws for it
        await assert.rejects(k.netnsState!(path), { message: (states[i] as KernelError).message });
        assert.match((states[i] as KernelError).message, /ENOENT: Cannot open network namespace "\/run\/netns\/scan-missing": No such file or directory/);
        continue;
      }
      assert.deepEqual(states[i], await k.netnsState!(path));
    }
    assert.equal((states[2] as { addresses: { cidr: string }[] }).addresses.find((a) => a.cidr.startsWith('10.231'))?.cidr, '10.231.0.12/24');
    // the worker threads came back to the daemon's namespace: the host's links are still the host's
    assert.ok((await k.links(null)).some((l) => l.name === 'scanbr0'));
  });

  it('more namespaces than one pass holds, in their order', async () => {
    const paths = Array.from({ length: NAMESPACES_PER_PASS * 2 + 3 }, (_, i) => `/run/netns/${sandboxes[i % sandboxes.length]}`);
    const states = await k.netnsStates!(paths);
    const expected = await Promise.all(sandboxes.map((sb) => k.netnsState!(`/run/netns/${sb}`)));
    assert.deepEqual(states, paths.map((_, i) => expected[i % sandboxes.length]));
  });

  it('refuses what is not a namespace path before reading anything', async () => {
    await assert.rejects(k.netnsStates!(['/run/netns/../etc']), /netns path/);
  });
});
