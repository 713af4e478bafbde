import { requireIsolatedNamespace } from '../helpers/isolation.js';
requireIsolatedNamespace();

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type TestDaemon } from '../helpers/daemon.js';

/**
 * What `docker network disconnect` + `connect` and a restarting container do: leave and join the
 * same sandbox over and over. The reaper's deletions are held (a test seam) for the whole run, so
 * a join that waited for them would never answer. First with every leave retiring its pair
 * (PATCHBAY_PARK_LINKS=0), then with left pairs parked and taken back (the default).
 */

let d: TestDaemon;
interface IpLink { ifname: string; ifindex: number; flags: string[]; operstate: string; address: string; master?: string; group?: string }
const linksIn = (key: string) => JSON.parse(inNs(key, ['ip', '-json', 'link', 'show']).out) as IpLink[];
const routesIn = (key: string) => JSON.parse(inNs(key, ['ip', '-json', 'route', 'show']).out) as { dst: string; dev: string; gateway?: string }[];
const ping = (key: string, ip: string) => inNs(key, ['ping', '-c', '1', '-W', '2', ip], { allowFail: true }).code === 0;

describe('connect right after a disconnect in the same sandbox, every pair retired (real kernel)', () => {
  before(async () => {
    d = createTestDaemon(['--bip', '10.140.0.1/24'], { env: { PATCHBAY_TEST_SEAMS: '1', PATCHBAY_PARK_LINKS: '0' } });
    await d.start();
  });
  after(async () => {
    await d?.req('POST', '/v1/debug/reaper', { hold: false }).catch(() => undefined);
    await d?.cleanup();
  });

  it('gets eth0 back at once while the retired links wait for the reaper; then the reaper deletes them', async () => {
    const sb = (await d.req('POST', '/v1/sandboxes', { name: 'rc' })).body as { key: string };
    assert.equal((await d.req('POST', '/v1/debug/reaper', { hold: true })).status, 200);
    const retired: string[] = [];
    for (let round = 0; round < 4; round++) {
      const c = await d.req('POST', '/v1/networks/bridge/connect', { sandbox: 'rc' });
      assert.equal(c.status, 201, `round ${round}: ${c.text}`);
      const eth0 = linksIn(sb.key).find((l) => l.ifname === 'eth0');
      assert.ok(eth0?.flags.includes('UP') && !eth0.flags.includes('NO-CARRIER'), `round ${round}: eth0 up with a carrier: ${JSON.stringify(eth0)}`);
      assert.ok(routesIn(sb.key).some((r) => r.dst === 'default' && r.dev === 'eth0' && r.gateway === '10.140.0.1'), `round ${round}: default route`);
      assert.ok(ping(sb.key, '10.140.0.1'), `round ${round}: rc → gateway`);
      const gone = await d.req('POST', '/v1/networks/bridge/disconnect', { sandbox: 'rc' });
      assert.equal(gone.status, 204, gone.text);
      retired.push(`pbr${(c.body as { id: string }).id.slice(0, 12)}`);
      const left = linksIn(sb.key);
      assert.equal(left.find((l) => l.ifname === 'eth0'), undefined, `round ${round}: eth0 is free at once`);
      const old = left.find((l) => l.ifname === retired.at(-1));
      assert.ok(old && !old.flags.includes('UP'), `round ${round}: the left peer is down and renamed: ${JSON.stringify(left)}`);
    }
    // every retired veth is still there: the reaper was held all along
    for (const name of retired) assert.ok(linksIn(sb.key).some((l) => l.ifname === name), `${name} waits for the reaper`);
    assert.equal((await d.req('POST', '/v1/networks/bridge/connect', { sandbox: 'rc' })).status, 201);
    assert.equal((await d.req('POST', '/v1/debug/reaper', { hold: false })).status, 200);
    const check = await d.req('GET', '/v1/system/check');
    assert.equal(check.body.consistent, true, check.text);
    const names = linksIn(sb.key).map((l) => l.ifname).sort();
    assert.deepEqual(names, ['eth0', 'lo']);
    const hostVeths = (JSON.parse(sh(['ip', '-json', 'link', 'show']).out) as IpLink[]).filter((l) => l.ifname.startsWith('pbv'));
    assert.equal(hostVeths.length, 1, 'only the live endpoint keeps a host veth');
    assert.ok(ping(sb.key, '10.140.0.1'));
  });
});

const v4Of = (key: string, dev: string) =>
  (JSON.parse(inNs(key, ['ip', '-json', '-4', 'addr', 'show', 'dev', dev]).out) as { addr_info: { local: string; prefixlen: number }[] }[]).flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
const hostLinks = () => JSON.parse(sh(['ip', '-json', '-details', 'link', 'show']).out) as IpLink[];
const until = async (what: string, done: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('connect right after a disconnect: the left pair is parked and taken back (real kernel)', () => {
  before(async () => {
    d = createTestDaemon(['--bip', '10.141.0.1/24']);
    await d.start();
  });
  after(async () => {
    await d?.cleanup();
  });

  it('each connect sets up again the pair the disconnect before it parked: the same links, readdressed, the MAC the endpoint says', async () => {
    const sb = (await d.req('POST', '/v1/sandboxes', { name: 'pk' })).body as { key: string };
    let first: { inside: number; host: number; hostIf: string } | undefined;
    for (let round = 0; round < 4; round++) {
      const ip = `10.141.0.${50 + round}`;
      const c = await d.req('POST', '/v1/networks/bridge/connect', { sandbox: 'pk', ipv4Address: ip });
      assert.equal(c.status, 201, `round ${round}: ${c.text}`);
      const ep = c.body as { id: string; macAddress: string; ipv4Address: string; hostIfName: string };
      const eth0 = linksIn(sb.key).find((l) => l.ifname === 'eth0')!;
      assert.ok(eth0?.flags.includes('UP') && !eth0.flags.includes('NO-CARRIER'), `round ${round}: eth0 up with a carrier: ${JSON.stringify(eth0)}`);
      assert.equal(eth0.address, ep.macAddress, `round ${round}: the endpoint's MAC`);
      assert.deepEqual(v4Of(sb.key, 'eth0'), [ep.ipv4Address], `round ${round}: only this round's address`);
      assert.ok(routesIn(sb.key).some((r) => r.dst === 'default' && r.dev === 'eth0' && r.gateway === '10.141.0.1'), `round ${round}: default route`);
      assert.ok(ping(sb.key, '10.141.0.1'), `round ${round}: pk → gateway`);
      const host = hostLinks().find((l) => l.ifname === ep.hostIfName)!;
      assert.ok(host?.flags.includes('UP') && host.master !== undefined && host.group === 'default', `round ${round}: the host end is up on the bridge, in the default group: ${JSON.stringify(host)}`);
      if (!first) first = { inside: eth0.ifindex, host: host.ifindex, hostIf: ep.hostIfName };
      else assert.deepEqual({ inside: eth0.ifindex, host: host.ifindex, hostIf: ep.hostIfName }, first, `round ${round}: the pair of round 0, set up again`);
      const gone = await d.req('POST', '/v1/networks/bridge/disconnect', { sandbox: 'pk' });
      assert.equal(gone.status, 204, gone.text);
      // parked: down, without its address, out of the default group
      const parkedPeer = linksIn(sb.key).find((l) => l.ifname === 'eth0');
      assert.ok(parkedPeer && !parkedPeer.flags.includes('UP'), `round ${round}: the left peer is down: ${JSON.stringify(parkedPeer)}`);
      assert.deepEqual(v4Of(sb.key, 'eth0'), [], `round ${round}: and has no address`);
      assert.notEqual(hostLinks().find((l) => l.ifname === ep.hostIfName)?.group, 'default', `round ${round}: the host end is parked`);
      // a parked pair is no drift, and the reaper (its deletions run between the rounds) leaves it alone
      await new Promise((r) => setTimeout(r, 40));
      const check = await d.req('GET', '/v1/system/check');
      assert.equal(check.body.consistent, true, `round ${round}: ${check.text}`);
    }
    // not taken back within its time, the pair is retired and deleted
    await until('the parked pair is deleted', () => linksIn(sb.key).every((l) => l.ifname === 'lo'));
    assert.equal(hostLinks().filter((l) => l.ifname.startsWith('pbv')).length, 0, 'no host end is left');
  });

  it('a connect to another network that wants the parked peer\'s name gets it at once: the parked pair is retired out of its way', async () => {
    const sb = (await d.req('POST', '/v1/sandboxes', { name: 'pk0' })).body as { key: string };
    assert.equal((await d.req('POST', '/v1/networks', { name: 'other', ipam: { config: [{ subnet: '10.143.0.0/24' }] } })).status, 201);
    const left = (await d.req('POST', '/v1/networks/bridge/connect', { sandbox: 'pk0' })).body as { id: string; hostIfName: string };
    assert.equal((await d.req('POST', '/v1/networks/bridge/disconnect', { sandbox: 'pk0' })).status, 204);
    const c = await d.req('POST', '/v1/networks/other/connect', { sandbox: 'pk0' });
    assert.equal(c.status, 201, c.text);
    const ep = c.body as { ifName: string; ipv4Address: string; hostIfName: string };
    assert.equal(ep.ifName, 'eth0');
    assert.notEqual(ep.hostIfName, left.hostIfName, 'a new pair');
    assert.deepEqual(v4Of(sb.key, 'eth0'), [ep.ipv4Address]);
    assert.ok(ping(sb.key, '10.143.0.1'), 'pk0 → the other network\'s gateway');
    await until('the retired pair is deleted', () => !linksIn(sb.key).some((l) => l.ifname === `pbr${left.id.slice(0, 12)}`) && !hostLinks().some((l) => l.ifname === left.hostIfName));
    const check = await d.req('GET', '/v1/system/check');
    assert.equal(check.body.consistent, true, check.text);
    assert.equal((await d.req('POST', '/v1/networks/other/disconnect', { sandbox: 'pk0' })).status, 204);
    assert.equal((await d.req('DELETE', '/v1/sandboxes/pk0')).status, 204);
    assert.equal((await d.req('DELETE', '/v1/networks/other')).status, 204);
  });

  it('a sandbox or network deleted with a pair parked takes it along', async () => {
    assert.equal((await d.req('POST', '/v1/networks', { name: 'pkn', ipam: { config: [{ subnet: '10.142.0.0/24' }] } })).status, 201);
    for (const name of ['pk1', 'pk2']) {
      assert.equal((await d.req('POST', '/v1/sandboxes', { name })).status, 201);
      assert.equal((await d.req('POST', '/v1/networks/pkn/connect', { sandbox: name })).status, 201);
      assert.equal((await d.req('POST', '/v1/networks/pkn/disconnect', { sandbox: name })).status, 204);
    }
    const parked = () => hostLinks().filter((l) => l.ifname.startsWith('pbv') && l.group !== 'default').length;
    assert.equal(parked(), 2, 'two pairs parked');
    assert.equal((await d.req('DELETE', '/v1/sandboxes/pk1')).status, 204);
    assert.equal((await d.req('DELETE', '/v1/networks/pkn')).status, 204);
    await until('both parked pairs are deleted', () => parked() === 0);
    const check = await d.req('GET', '/v1/system/check');
    assert.equal(check.body.consistent, true, check.text);
  });
});
