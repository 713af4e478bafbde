import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApp, type TestApp } from './helpers/native-app.js';

let t: TestApp;
const inject = async (method: string, url: string, payload?: unknown) => {
  const r = await t.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined, headers: r.headers };
};

describe('native API', () => {
  before(async () => {
    t = await buildTestApp();
  });
  after(() => t.close());

  it('lists the predefined networks with the default bridge from --bip', async () => {
    const r = await inject('GET', '/v1/networks');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.map((n: { name: string }) => n.name).sort(), ['bridge', 'host', 'none']);
    const bridge = r.body.find((n: { name: string }) => n.name === 'bridge');
    assert.deepEqual(bridge.ipam.config, [{ subnet: '10.200.0.0/24', gateway: '10.200.0.1' }]);
    assert.equal(bridge.bridge, 'pb0');
    assert.equal(bridge.predefined, true);
    const links = await t.kernel.links(null);
    assert.ok(links.some((l) => l.name === 'pb0' && l.kind === 'bridge' && l.up));
    const addrs = await t.kernel.addresses(null);
    assert.ok(addrs.some((a) => a.dev === 'pb0' && a.cidr === '10.200.0.1/24'));
  });

  it('health', async () => {
    const r = await inject('GET', '/v1/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.networks, 3);
  });

  it('creates, inspects and deletes a user network with explicit IPAM', async () => {
    const r = await inject('POST', '/v1/networks', {
      name: 'net1',
      ipam: { config: [{ subnet: '10.124.0.0/24', gateway: '10.124.0.254', ipRange: '10.124.0.128/25', auxAddresses: { printer: '10.124.0.10' } }] },
      labels: { team: 'a' },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.match(r.body.id, /^[0-9a-f]{64}$/);
    assert.equal(r.body.bridge, `pb-${r.body.id.slice(0, 12)}`);
    assert.deepEqual(r.body.labels, { team: 'a' });
    const byName = await inject('GET', '/v1/networks/net1');
    assert.equal(byName.body.id, r.body.id);
    const byPrefix = await inject('GET', `/v1/networks/${r.body.id.slice(0, 8)}`);
    assert.equal(byPrefix.body.name, 'net1');
    const ipam = await inject('GET', '/v1/networks/net1/ipam');
    assert.equal(ipam.status, 200);
    assert.equal(ipam.body.subnets[0].total, 254);
    assert.deepEqual(
      ipam.body.subnets[0].allocations.map((a: { address: string; kind: string }) => `${a.kind}:${a.address}`).sort(),
      ['aux:10.124.0.10', 'gateway:10.124.0.254'],
    );
    const del = await inject('DELETE', '/v1/networks/net1');
    assert.equal(del.status, 204);
    assert.equal((await inject('GET', '/v1/networks/net1')).status, 404);
    assert.ok(!(await t.kernel.links(null)).some((l) => l.name === r.body.bridge), 'bridge removed');
  });

  it('connects two sandboxes: addresses, eth0, default route, MAC from IP', async () => {
    const a = await inject('POST', '/v1/sandboxes', { name: 'sa' });
    assert.equal(a.status, 201);
    assert.equal(a.body.key, `/run/netns/pb-${a.body.id.slice(0, 12)}`);
    const c = await inject('POST', '/v1/networks/bridge/connect', { sandbox: 'sa' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.ipv4Address, '10.200.0.2/24');
    assert.equal(c.body.ifName, 'eth0');
    assert.equal(c.body.macAddress, '02:42:0a:c8:00:02');
    const inside = await t.kernel.addresses(a.body.key);
    assert.ok(inside.some((x) => x.dev === 'eth0' && x.cidr === '10.200.0.2/24'));
    const routes = await t.kernel.routes(a.body.key);
    assert.ok(routes.some((x) => x.dst === 'default' && x.gateway === '10.200.0.1'));
    const b = await inject('POST', '/v1/sandboxes', { name: 'sb' });
    const c2 = await inject('POST', '/v1/networks/bridge/connect', { sandbox: b.body.id, ipv4Address: '10.200.0.77' });
    assert.equal(c2.body.ipv4Address, '10.200.0.77/24');
    const again = await inject('POST', '/v1/networks/bridge/connect', { sandbox: 'sb' });
    assert.equal(again.status, 409);
    const taken = await inject('POST', '/v1/sandboxes', { name: 'sc' });
    const dup = await inject('POST', '/v1/networks/bridge/connect', { sandbox: taken.body.id, ipv4Address: '10.200.0.77' });
    assert.equal(dup.status, 403);
    assert.equal(dup.body.message, 'Address already in use');
    // nothing was left behind by the failed connect
    assert.equal((await t.kernel.links(taken.body.key)).filter((l) => l.name !== 'lo').length, 0);
    const busy = await inject('DELETE', '/v1/networks/bridge');
    assert.equal(busy.status, 403);
  });

  it('endpoint create, join, leave, delete as separate calls; second network gets eth1', async () => {
    await inject('POST', '/v1/networks', { name: 'n2', ipam: { config: [{ subnet: '10.125.0.0/24' }] } });
    const ep = await inject('POST', '/v1/networks/n2/endpoints', { name: 'e1' });
    assert.equal(ep.status, 201);
    assert.equal(ep.body.sandboxId, null);
    assert.equal(ep.body.ipv4Address, '10.125.0.2/24');
    const j = await inject('POST', '/v1/networks/n2/endpoints/e1/join', { sandbox: 'sa' });
    assert.equal(j.status, 200, JSON.stringify(j.body));
    assert.equal(j.body.ifName, 'eth1');
    const delJoined = await inject('DELETE', '/v1/networks/n2/endpoints/e1');
    assert.equal(delJoined.status, 403);
    const l = await inject('POST', '/v1/networks/n2/endpoints/e1/leave', {});
    assert.equal(l.status, 200);
    assert.equal(l.body.sandboxId, null);
    assert.equal((await inject('DELETE', '/v1/networks/n2/endpoints/e1')).status, 204);
    assert.equal((await inject('DELETE', '/v1/networks/n2')).status, 204);
  });

  it('deleting a sandbox leaves its endpoints and frees addresses', async () => {
    const d = await inject('DELETE', '/v1/sandboxes/sa');
    assert.equal(d.status, 204);
    const ipam = await inject('GET', '/v1/networks/bridge/ipam');
    assert.ok(!ipam.body.subnets[0].allocations.some((x: { address: string }) => x.address === '10.200.0.2'));
    assert.equal((await inject('GET', '/v1/sandboxes/sa')).status, 404);
  });

  const bad: [string, string, unknown, number, RegExp][] = [
    ['POST', '/v1/networks', { name: 'bad;rm' }, 400, /name/],
    ['POST', '/v1/networks', { name: 'x', bogus: 1 }, 400, /unknown field/],
    ['POST', '/v1/networks', { name: 'bridge' }, 403, /predefined bridge network/],
    ['POST', '/v1/networks', { name: 'h2', driver: 'host' }, 403, /only one instance/],
    ['POST', '/v1/networks', { name: 'x', ipam: { config: [{ subnet: '10.0.0.0/33' }] } }, 400, /subnet/],
    ['POST', '/v1/networks', { name: 'x', ipam: { config: [{ subnet: '10.200.0.0/16' }] } }, 403, /overlaps/],
    ['POST', '/v1/networks', { name: 'x', ipam: { config: [{ subnet: '10.9.0.0/24', gateway: '10.8.0.1' }] } }, 400, /gateway/],
    ['POST', '/v1/networks', { name: 'x', options: { 'com.docker.network.driver.mtu': '9' } }, 400, /mtu/],
    ['POST', '/v1/networks', { name: 'x', enableIPv6: true }, 400, /IPv6/],
    ['DELETE', '/v1/networks/host', undefined, 403, /pre-defined/],
    ['GET', '/v1/networks/nope', undefined, 404, /not found/],
    ['POST', '/v1/sandboxes', { netnsPath: '/etc/passwd' }, 400, /not a network namespace/],
    ['POST', '/v1/sandboxes', { netnsPath: '../../x' }, 400, /absolute/],
    ['POST', '/v1/networks/bridge/connect', { sandbox: 'ghost' }, 404, /not found/],
    ['POST', '/v1/networks/bridge/connect', { sandbox: 'sb', ipv4Address: 'fe80::1' }, 400, /IPv4/],
    ['POST', '/v1/networks/bridge/connect', { sandbox: 'sb', ports: [{ containerPort: 70000 }] }, 400, /containerPort/],
    ['GET', '/v1/nowhere', undefined, 404, /no route/],
  ];
  for (const [method, url, payload, status, message] of bad) {
    it(`${method} ${url} ${JSON.stringify(payload) ?? ''} → ${status}`, async () => {
      const before = (await inject('GET', '/v1/networks')).body.length;
      const r = await inject(method, url, payload);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.match(r.body.message, message);
      assert.equal(typeof r.body.code, 'string');
      assert.equal((await inject('GET', '/v1/networks')).body.length, before, 'nothing created');
    });
  }

  it('malformed JSON is a 400', async () => {
    const r = await t.app.inject({ method: 'POST', url: '/v1/networks', payload: '{"name":', headers: { 'content-type': 'application/json' } });
    assert.equal(r.statusCode, 400);
  });
});
