import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerDockerRoutes } from '../src/docker/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { assertDockerError, call } from './helpers/docker-fixtures.js';

/** macvlan/ipvlan through the native API and Docker's, on a fake kernel with a LAN interface eth0 and no ipvlan, vlan or dummy (like this machine). */
let t: TestApp;
const inject = async (method: string, url: string, payload?: unknown) => {
  const r = await t.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
};
const rootLinks = async () => (await t.kernel.links(null)).map((l) => l.name).sort();

before(async () => {
  t = await buildTestApp({
    flags: ['--bip', '10.200.0.1/24'],
    kernel: { hostLinks: [{ name: 'eth0', up: true }], missingLinkKinds: ['ipvlan', 'vlan', 'dummy'] },
    plugins: [registerDockerRoutes],
  });
});
after(() => t.close());

describe('native API: macvlan', () => {
  it('creates a network on eth0, joins a sandbox (macvlan eth0 inside, default route via the gateway), refuses ports with a 400, deletes it leaving eth0', async () => {
    const before = await rootLinks();
    const net = await inject('POST', '/v1/networks', {
      name: 'lan',
      driver: 'macvlan',
      options: { parent: 'eth0', macvlan_mode: 'bridge' },
      ipam: { config: [{ subnet: '192.168.60.0/24', gateway: '192.168.60.1' }] },
    });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    assert.equal(net.body.driver, 'macvlan');
    assert.equal(net.body.scope, 'local');
    const sb = await inject('POST', '/v1/sandboxes', { name: 'm1' });
    assert.equal(sb.status, 201);
    const c = await inject('POST', '/v1/networks/lan/connect', { sandbox: 'm1' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const inside = await t.kernel.links(sb.body.key);
    assert.equal(inside.find((l) => l.name === 'eth0')?.kind, 'macvlan');
    assert.ok((await t.kernel.routes(sb.body.key)).some((r) => r.dst === 'default' && r.gateway === '192.168.60.1'));

    const ports = await inject('POST', '/v1/networks/lan/endpoints', { name: 'p1', ports: [{ containerPort: 80, hostPort: 8080 }] });
    assert.equal(ports.status, 400);
    assert.match(ports.body.message, /ports cannot be published on network lan: network driver macvlan does not publish ports/);

    assert.equal((await inject('POST', '/v1/networks/lan/disconnect', { sandbox: 'm1' })).status, 204);
    assert.equal((await inject('DELETE', '/v1/networks/lan')).status, 204);
    assert.deepEqual(await rootLinks(), before);
  });

  it("Docker's rule: a second macvlan network on the same parent is refused", async () => {
    const first = await inject('POST', '/v1/networks', { name: 'lan1', driver: 'macvlan', options: { parent: 'eth0' }, ipam: { config: [{ subnet: '192.168.61.0/24' }] } });
    assert.equal(first.status, 201);
    const second = await inject('POST', '/v1/networks', { name: 'lan2', driver: 'macvlan', options: { parent: 'eth0' }, ipam: { config: [{ subnet: '192.168.62.0/24' }] } });
    assert.equal(second.status, 409);
    assert.equal(second.body.message, 'network lan1 is already using parent interface eth0');
    assert.equal((await inject('DELETE', '/v1/networks/lan1')).status, 204);
  });

  it('passthru: one endpoint per parent; a second is refused with a 409 naming the rule, and nothing changes', async () => {
    const net = await inject('POST', '/v1/networks', {
      name: 'pt', driver: 'macvlan', options: { parent: 'eth0', macvlan_mode: 'passthru' }, ipam: { config: [{ subnet: '192.168.63.0/24', gateway: '192.168.63.1' }] },
    });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    for (const name of ['pt1', 'pt2']) assert.equal((await inject('POST', '/v1/sandboxes', { name })).status, 201);
    const first = await inject('POST', '/v1/networks/pt/connect', { sandbox: 'pt1' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const key2 = (await inject('GET', '/v1/sandboxes/pt2')).body.key;
    const ipamBefore = (await inject('GET', '/v1/networks/pt/ipam')).body;
    const linksBefore = await t.kernel.links(key2);
    for (const [url, body] of [
      ['/v1/networks/pt/connect', { sandbox: 'pt2' }],
      ['/v1/networks/pt/endpoints', { name: 'spare' }],
    ] as const) {
      const r = await inject('POST', url, body);
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal(r.body.message, `network pt takes no more endpoints: macvlan mode passthru gives parent interface eth0 to 1 endpoint, and it has ${first.body.name}`);
    }
    assert.deepEqual((await inject('GET', '/v1/networks/pt/ipam')).body, ipamBefore);
    assert.deepEqual(await t.kernel.links(key2), linksBefore);
    assert.equal((await inject('POST', '/v1/networks/pt/disconnect', { sandbox: 'pt1' })).status, 204);
    const again = await inject('POST', '/v1/networks/pt/connect', { sandbox: 'pt2' });
    assert.equal(again.status, 201, 'the parent is free again once the first endpoint left');
    assert.equal((await inject('POST', '/v1/networks/pt/disconnect', { sandbox: 'pt2' })).status, 204);
    for (const name of ['pt1', 'pt2']) assert.equal((await inject('DELETE', `/v1/sandboxes/${name}`)).status, 204);
    assert.equal((await inject('DELETE', '/v1/networks/pt')).status, 204);
  });

  it('what this kernel lacks is refused with a 400 naming it, and nothing is left (ipvlan; vlan for parent eth0.10; dummy without parent)', async () => {
    const before = await rootLinks();
    const cases = [
      { driver: 'ipvlan', options: { parent: 'eth0' }, missing: 'ipvlan' },
      { driver: 'macvlan', options: { parent: 'eth0.10' }, missing: 'vlan' },
      { driver: 'macvlan', options: {}, missing: 'dummy' },
    ];
    for (const [i, c] of cases.entries()) {
      const r = await inject('POST', '/v1/networks', { name: `k${i}`, driver: c.driver, options: c.options, ipam: { config: [{ subnet: `192.168.7${i}.0/24` }] } });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.match(r.body.message, new RegExp(`this kernel has no ${c.missing} link type`));
      assert.equal((await inject('GET', `/v1/networks/k${i}`)).status, 404);
    }
    assert.deepEqual(await rootLinks(), before);
  });
});

describe('Docker API: macvlan', () => {
  it('POST /networks/create with Driver macvlan, inspect, delete', async () => {
    const r = await call(t.app, 'POST', '/v1.44/networks/create', {
      Name: 'dlan',
      Driver: 'macvlan',
      Options: { parent: 'eth0' },
      IPAM: { Config: [{ Subnet: '192.168.80.0/24', Gateway: '192.168.80.1' }] },
    });
    assert.equal(r.status, 201, r.text);
    const inspect = await call(t.app, 'GET', '/v1.44/networks/dlan');
    assert.equal(inspect.body.Driver, 'macvlan');
    assert.deepEqual(inspect.body.Options, { parent: 'eth0' });
    assert.equal((await call(t.app, 'DELETE', '/v1.44/networks/dlan')).status, 204);
    assert.ok((await t.kernel.link(null, 'eth0'))?.up);
  });

  it("refusals in dockerd 20.10's words (the native API keeps patchbay's own)", async () => {
    const first = await call(t.app, 'POST', '/networks/create', { Name: 'dl1', Driver: 'macvlan', Options: { parent: 'eth0' }, IPAM: { Config: [{ Subnet: '192.168.81.0/24' }] } });
    assert.equal(first.status, 201, first.text);
    const create = (Options: Record<string, string>) => call(t.app, 'POST', '/networks/create', { Name: 'dl2', Driver: 'macvlan', Options, IPAM: { Config: [{ Subnet: '192.168.82.0/24' }] } });
    assertDockerError(await create({ parent: 'eth0' }), 409, `network dm-${first.body.Id.slice(0, 12)} is already using parent interface eth0`);
    assertDockerError(await create({ parent: 'eth0.10', macvlan_mode: 'foo' }), 400, "requested macvlan mode 'foo' is not valid, 'bridge' mode is the macvlan driver default");
    assertDockerError(await create({ parent: 'nosuch' }), 400, 'invalid subinterface vlan name nosuch, example formatting is eth0.10');
    assertDockerError(await create({ parent: 'nosuch.10' }), 400, '-o parent interface does was not found on the host: nosuch');
    assertDockerError(await create({ parent: 'eth0.5000' }), 400, 'vlan id must be between 1-4094, received: 5000');
    const native = await inject('POST', '/v1/networks', { name: 'dl2', driver: 'macvlan', options: { parent: 'nosuch' }, ipam: { config: [{ subnet: '192.168.82.0/24' }] } });
    assert.equal(native.body.message, '-o parent interface was not found on the host: nosuch');
    assert.equal((await inject('GET', '/v1/networks/dl2')).status, 404);
    assert.equal((await call(t.app, 'DELETE', '/networks/dl1')).status, 204);
  });

  it('ipvlan on this kernel: a 400 naming the missing link type', async () => {
    assertDockerError(
      await call(t.app, 'POST', '/networks/create', { Name: 'dip', Driver: 'ipvlan', Options: { parent: 'eth0' } }),
      400,
      'this kernel has no ipvlan link type (CONFIG_IPVLAN)',
    );
  });
});
