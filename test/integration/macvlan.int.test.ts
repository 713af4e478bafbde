import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type TestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

/**
 * macvlan on the real kernel, on an "outside LAN" this test makes: veth pairs whose one end
 * (lan0, lan1) is the parent in the daemon's namespace and whose other end sits in the
 * namespace `lanhost`, a LAN host with an address in each network's subnet.
 */
const LAN = '/run/netns/lanhost';
const ping = (key: string, ip: string) => inNs(key, ['ping', '-c', '1', '-W', '2', ip], { allowFail: true }).code === 0;
const rootLinks = () => (JSON.parse(sh(['ip', '-json', 'link', 'show']).out) as { ifname: string }[]).map((l) => l.ifname).sort();

describe('macvlan driver through the daemon, with an outside LAN', () => {
  let d: TestDaemon;
  const sandboxes: Record<string, { id: string; key: string }> = {};

  before(async () => {
    sh(['ip', 'netns', 'add', 'lanhost']);
    for (const [parent, peer, cidr] of [
      ['lan0', 'lanp0', '192.168.90.254/24'],
      ['lan1', 'lanp1', '192.168.91.254/24'],
    ] as const) {
      sh(['ip', 'link', 'add', parent, 'type', 'veth', 'peer', 'name', peer, 'netns', 'lanhost']);
      sh(['ip', 'link', 'set', parent, 'up']);
      inNs(LAN, ['ip', 'addr', 'add', cidr, 'dev', peer]);
      inNs(LAN, ['ip', 'link', 'set', peer, 'up']);
    }
    d = createTestDaemon(['--bip', '10.124.0.1/24']);
    await d.start();
  });
  after(async () => {
    await d?.cleanup();
    sh(['ip', 'netns', 'del', 'lanhost'], { allowFail: true });
  });

  async function sandboxOn(net: string, name: string) {
    const s = await d.req('POST', '/v1/sandboxes', { name });
    assert.equal(s.status, 201, s.text);
    sandboxes[name] = s.body;
    const c = await d.req('POST', `/v1/networks/${net}/connect`, { sandbox: name });
    assert.equal(c.status, 201, c.text);
    return c.body as { ipv4Address: string };
  }
  const ipOf = (cidr: string) => cidr.split('/')[0]!;

  it('bridge mode: two sandboxes reach each other and the LAN host, and the LAN host reaches them', async () => {
    const n = await d.req('POST', '/v1/networks', {
      name: 'lan',
      driver: 'macvlan',
      options: { parent: 'lan0' },
      ipam: { config: [{ subnet: '192.168.90.0/24', gateway: '192.168.90.254' }] },
    });
    assert.equal(n.status, 201, n.text);
    const a = ipOf((await sandboxOn('lan', 'a')).ipv4Address);
    const b = ipOf((await sandboxOn('lan', 'b')).ipv4Address);
    const details = JSON.parse(inNs(sandboxes.a!.key, ['ip', '-json', '-details', 'link', 'show', 'eth0']).out)[0];
    assert.equal(details.linkinfo.info_kind, 'macvlan', 'eth0 in the sandbox is a macvlan');
    assert.equal(details.linkinfo.info_data.mode, 'bridge', 'in bridge mode');
    assert.match(inNs(sandboxes.a!.key, ['ip', 'route', 'show', 'default']).out, /default via 192\.168\.90\.254 dev eth0/);
    assert.ok(ping(sandboxes.a!.key, b), 'a → b');
    assert.ok(ping(sandboxes.b!.key, a), 'b → a');
    assert.ok(ping(sandboxes.a!.key, '192.168.90.254'), 'a → LAN host');
    assert.ok(ping(LAN, a), 'LAN host → a');
    assert.ok(ping(LAN, b), 'LAN host → b');
  });

  it('ports on a macvlan network are refused with a 400', async () => {
    const r = await d.req('POST', '/v1/networks/lan/endpoints', { name: 'p', ports: [{ containerPort: 80, hostPort: 8080 }] });
    assert.equal(r.status, 400, r.text);
    assert.match(r.body.message, /network driver macvlan does not publish ports/);
  });

  it('private mode: sandboxes cannot reach each other, but reach the LAN host', async () => {
    const n = await d.req('POST', '/v1/networks', {
      name: 'priv',
      driver: 'macvlan',
      options: { parent: 'lan1', macvlan_mode: 'private' },
      ipam: { config: [{ subnet: '192.168.91.0/24', gateway: '192.168.91.254' }] },
    });
    assert.equal(n.status, 201, n.text);
    const c = ipOf((await sandboxOn('priv', 'c')).ipv4Address);
    const e = ipOf((await sandboxOn('priv', 'e')).ipv4Address);
    assert.ok(ping(sandboxes.c!.key, '192.168.91.254'), 'c → LAN host');
    assert.ok(ping(LAN, e), 'LAN host → e');
    assert.equal(ping(sandboxes.c!.key, e), false, 'c cannot reach e');
    assert.equal(ping(sandboxes.e!.key, c), false, 'e cannot reach c');
  });

  it('network delete leaves the parent alone', async () => {
    for (const [net, names] of [
      ['lan', ['a', 'b']],
      ['priv', ['c', 'e']],
    ] as const) {
      for (const name of names) assert.equal((await d.req('DELETE', `/v1/sandboxes/${name}`)).status, 204);
      const del = await d.req('DELETE', `/v1/networks/${net}`);
      assert.equal(del.status, 204, del.text);
    }
    const links = rootLinks();
    assert.ok(links.includes('lan0') && links.includes('lan1'), `parents kept: ${links.join(' ')}`);
    // and still carries traffic: with an address of its own it reaches the LAN host
    sh(['ip', 'addr', 'add', '192.168.90.1/24', 'dev', 'lan0']);
    assert.equal(sh(['ping', '-c', '1', '-W', '2', '192.168.90.254'], { allowFail: true }).code, 0, 'lan0 → LAN host');
  });

  it('ipvlan, where this kernel lacks it: a clear 400 naming the link type, and no leftover link', async () => {
    const before = rootLinks();
    const probe = sh(['unshare', '--net', '--', 'ip', 'link', 'add', 'x', 'link', 'lo', 'type', 'ipvlan'], { allowFail: true });
    const r = await d.req('POST', '/v1/networks', { name: 'ipv', driver: 'ipvlan', options: { parent: 'lan0' }, ipam: { config: [{ subnet: '192.168.92.0/24' }] } });
    if (/Unknown device type/.test(probe.err)) {
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.message, 'this kernel has no ipvlan link type (CONFIG_IPVLAN)');
      assert.equal((await d.req('GET', '/v1/networks/ipv')).status, 404);
    } else {
      assert.equal(r.status, 201, r.text);
      assert.equal((await d.req('DELETE', '/v1/networks/ipv')).status, 204);
    }
    assert.deepEqual(rootLinks(), before);
  });
  /** one more parent on the outside LAN: `parent` here, `peer` with `cidr` in the LAN host */
  function lanParent(parent: string, peer: string, cidr: string) {
    sh(['ip', 'link', 'add', parent, 'type', 'veth', 'peer', 'name', peer, 'netns', 'lanhost']);
    sh(['ip', 'link', 'set', parent, 'up']);
    inNs(LAN, ['ip', 'addr', 'add', cidr, 'dev', peer]);
    inNs(LAN, ['ip', 'link', 'set', peer, 'up']);
  }
  const macOf = (key: string | null, dev: string) =>
    (JSON.parse((key ? inNs(key, ['ip', '-json', 'link', 'show', dev]) : sh(['ip', '-json', 'link', 'show', dev])).out) as { address: string }[])[0]!.address;

  it('vepa mode: sandbox-to-sandbox traffic leaves through the parent, so only a hairpinning switch brings it back; the LAN host reaches both', async () => {
    lanParent('lan2', 'lanp2', '192.168.92.254/24');
    const n = await d.req('POST', '/v1/networks', {
      name: 'vepa',
      driver: 'macvlan',
      options: { parent: 'lan2', macvlan_mode: 'vepa' },
      ipam: { config: [{ subnet: '192.168.92.0/24', gateway: '192.168.92.254' }] },
    });
    assert.equal(n.status, 201, n.text);
    const v1 = ipOf((await sandboxOn('vepa', 'v1')).ipv4Address);
    const v2 = ipOf((await sandboxOn('vepa', 'v2')).ipv4Address);
    const details = JSON.parse(inNs(sandboxes.v1!.key, ['ip', '-json', '-details', 'link', 'show', 'eth0']).out)[0];
    assert.equal(details.linkinfo.info_data.mode, 'vepa');
    assert.ok(ping(sandboxes.v1!.key, '192.168.92.254'), 'v1 → LAN host');
    assert.ok(ping(LAN, v1), 'LAN host → v1');
    assert.ok(ping(LAN, v2), 'LAN host → v2');
    // the LAN host's port is a plain interface: it drops frames for other MACs, nothing comes back
    assert.equal(ping(sandboxes.v1!.key, v2), false, 'v1 cannot reach v2 without a hairpinning switch');
    // now the LAN host's end becomes a bridge port in hairpin mode: the frames come back through the parent
    for (const argv of [
      ['ip', 'addr', 'flush', 'dev', 'lanp2'],
      ['ip', 'link', 'add', 'sw2', 'type', 'bridge'],
      ['ip', 'link', 'set', 'lanp2', 'master', 'sw2'],
      ['bridge', 'link', 'set', 'dev', 'lanp2', 'hairpin', 'on'],
      ['ip', 'addr', 'add', '192.168.92.254/24', 'dev', 'sw2'],
      ['ip', 'link', 'set', 'sw2', 'up'],
    ]) inNs(LAN, argv);
    // the failed lookups above left FAILED neighbour entries, which the kernel re-probes only after a while
    for (const name of ['v1', 'v2']) inNs(sandboxes[name]!.key, ['ip', 'neigh', 'flush', 'all']);
    assert.ok(ping(sandboxes.v1!.key, v2), 'v1 → v2 through the hairpinning switch');
    assert.ok(ping(sandboxes.v2!.key, v1), 'v2 → v1 through the hairpinning switch');
    for (const name of ['v1', 'v2']) assert.equal((await d.req('DELETE', `/v1/sandboxes/${name}`)).status, 204);
    assert.equal((await d.req('DELETE', '/v1/networks/vepa')).status, 204);
    assert.ok(rootLinks().includes('lan2'), 'parent kept');
  });

  it('passthru mode: one endpoint owns the parent (its MAC, both ways to the LAN host); a second is refused with a clear 409 and nothing made', async () => {
    lanParent('lan3', 'lanp3', '192.168.93.254/24');
    const parentMac = macOf(null, 'lan3');
    const n = await d.req('POST', '/v1/networks', {
      name: 'pt',
      driver: 'macvlan',
      options: { parent: 'lan3', macvlan_mode: 'passthru' },
      ipam: { config: [{ subnet: '192.168.93.0/24', gateway: '192.168.93.254' }] },
    });
    assert.equal(n.status, 201, n.text);
    const first = await sandboxOn('pt', 'p1');
    const p1 = ipOf(first.ipv4Address);
    const details = JSON.parse(inNs(sandboxes.p1!.key, ['ip', '-json', '-details', 'link', 'show', 'eth0']).out)[0];
    assert.equal(details.linkinfo.info_data.mode, 'passthru');
    assert.equal(details.address, parentMac, 'the passthru link has the parent MAC');
    assert.ok(ping(sandboxes.p1!.key, '192.168.93.254'), 'p1 → LAN host');
    assert.ok(ping(LAN, p1), 'LAN host → p1');
    const check = await d.req('GET', '/v1/system/check');
    assert.deepEqual(check.body, { consistent: true, drifts: [] }, 'the parent MAC on the link is no drift');

    const s = await d.req('POST', '/v1/sandboxes', { name: 'p2' });
    assert.equal(s.status, 201, s.text);
    sandboxes.p2 = s.body;
    const ipamBefore = (await d.req('GET', '/v1/networks/pt/ipam')).body;
    const r = await d.req('POST', '/v1/networks/pt/connect', { sandbox: 'p2' });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.message, `network pt takes no more endpoints: macvlan mode passthru gives parent interface lan3 to 1 endpoint, and it has ${(first as { name?: string }).name}`);
    assert.deepEqual((await d.req('GET', '/v1/networks/pt/ipam')).body, ipamBefore, 'no address kept');
    const inside = (JSON.parse(inNs(sandboxes.p2!.key, ['ip', '-json', 'link', 'show']).out) as { ifname: string }[]).map((l) => l.ifname);
    assert.deepEqual(inside, ['lo'], 'no link made in p2');
    assert.ok(ping(sandboxes.p1!.key, '192.168.93.254'), 'p1 still reaches the LAN host');

    for (const name of ['p1', 'p2']) assert.equal((await d.req('DELETE', `/v1/sandboxes/${name}`)).status, 204);
    assert.equal((await d.req('DELETE', '/v1/networks/pt')).status, 204);
    assert.ok(rootLinks().includes('lan3'), 'parent kept');
    assert.equal(macOf(null, 'lan3'), parentMac, 'with its own MAC');
  });
  it('reconcile: a lost link in a sandbox is re-joined; a deleted parent is reported, and once it is back the endpoints re-join', async () => {
    lanParent('lan4', 'lanp4', '192.168.94.254/24');
    const n = await d.req('POST', '/v1/networks', {
      name: 'rec',
      driver: 'macvlan',
      options: { parent: 'lan4' },
      ipam: { config: [{ subnet: '192.168.94.0/24', gateway: '192.168.94.254' }] },
    });
    assert.equal(n.status, 201, n.text);
    const r1 = ipOf((await sandboxOn('rec', 'r1')).ipv4Address);
    const r2 = ipOf((await sandboxOn('rec', 'r2')).ipv4Address);
    const kindsOf = (drifts: { kind: string }[]) => drifts.map((x) => x.kind).sort();

    inNs(sandboxes.r1!.key, ['ip', 'link', 'del', 'eth0']);
    assert.deepEqual(kindsOf((await d.req('GET', '/v1/system/check')).body.drifts), ['endpoint-link-missing']);
    const fix = await d.req('POST', '/v1/system/reconcile');
    assert.equal(fix.body.repaired, true, fix.text);
    assert.ok(ping(sandboxes.r1!.key, r2), 'r1 → r2 after the re-join');
    assert.ok(ping(LAN, r1), 'LAN host → r1 after the re-join');

    // the parent goes (and the kernel takes both sandboxes' macvlans with it)
    sh(['ip', 'link', 'del', 'lan4']);
    const broken = await d.req('POST', '/v1/system/reconcile');
    assert.equal(broken.body.repaired, false, broken.text);
    const drifts = broken.body.drifts as { kind: string; action: string; error?: string }[];
    assert.deepEqual(kindsOf(drifts), ['endpoint-link-missing', 'endpoint-link-missing', 'parent-missing']);
    assert.equal(drifts.find((x) => x.kind === 'parent-missing')!.error, 'parent interface lan4 of network rec is gone; patchbay did not make it and cannot re-make it');
    for (const x of drifts.filter((y) => y.kind === 'endpoint-link-missing')) assert.equal(x.error, 'cannot re-join: parent interface lan4 of network rec is gone');
    assert.equal(rootLinks().includes('lan4'), false, 'patchbay made no parent of its own');

    lanParent('lan4', 'lanp4', '192.168.94.254/24');
    const back = await d.req('POST', '/v1/system/reconcile');
    assert.deepEqual(kindsOf(back.body.drifts), ['endpoint-link-missing', 'endpoint-link-missing']);
    assert.equal(back.body.repaired, true, back.text);
    assert.deepEqual((await d.req('GET', '/v1/system/check')).body, { consistent: true, drifts: [] });
    assert.ok(ping(sandboxes.r1!.key, r2), 'r1 → r2 on the restored parent');
    assert.ok(ping(LAN, r2), 'LAN host → r2 on the restored parent');
    for (const name of ['r1', 'r2']) assert.equal((await d.req('DELETE', `/v1/sandboxes/${name}`)).status, 204);
    assert.equal((await d.req('DELETE', '/v1/networks/rec')).status, 204);
  });
});
