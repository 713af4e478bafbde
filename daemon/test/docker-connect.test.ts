import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DockerNetwork } from '@patchbay/api';
import { registerDockerRoutes } from '../src/docker/index.js';
import type { SandboxRecord } from '../src/store/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { assertDockerError, assertFixture, call, normalize } from './helpers/docker-fixtures.js';

let t: TestApp;
const ids: Record<string, string> = {};
let web: SandboxRecord;
let db: SandboxRecord;

const inspect = async (net: string) => {
  const r = await call(t.app, 'GET', `/v1.44/networks/${net}`);
  assert.equal(r.status, 200, r.text);
  return DockerNetwork.strict().parse(r.body);
};
/** Names every id the body may carry: networks, sandboxes, endpoints. */
function learnIds() {
  const store = t.controller.core.store;
  for (const n of store.networks()) ids[n.id] = `<net:${n.name}>`;
  for (const s of store.sandboxes()) ids[s.id] = `<sb:${s.name}>`;
  for (const e of store.endpoints()) ids[e.id] = `<ep:${e.name}@${store.networkById(e.networkId)!.name}>`;
}
const connect = (net: string, body: unknown) => call(t.app, 'POST', `/v1.44/networks/${net}/connect`, body);
const disconnect = (net: string, body: unknown) => call(t.app, 'POST', `/v1.44/networks/${net}/disconnect`, body);

before(async () => {
  t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], plugins: [registerDockerRoutes] });
  const mk = (body: object) => call(t.app, 'POST', '/v1.44/networks/create', body);
  assert.equal((await mk({ Name: 'app', IPAM: { Driver: 'default', Config: [{ Subnet: '10.30.0.0/24', Gateway: '10.30.0.1' }] } })).status, 201);
  assert.equal((await mk({ Name: 'auto' })).status, 201);
  assert.equal((await mk({ Name: 'dual', EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.31.0.0/24' }, { Subnet: 'fd00:31::/64' }] } })).status, 201);
  web = await t.controller.sandboxes.create({ name: 'web' });
  db = await t.controller.sandboxes.create({ name: 'db', containerId: 'c0ffee' });
});
after(() => t.close());

describe('POST /networks/{id}/connect', () => {
  test('joins a sandbox named as the container, honouring IP, MAC and aliases; 200 with no body', async () => {
    const r = await connect('app', {
      Container: 'web',
      EndpointConfig: { IPAMConfig: { IPv4Address: '10.30.0.10', IPv6Address: '', LinkLocalIPs: null }, Links: null, Aliases: ['www', 'front'], MacAddress: '02:42:0a:1e:00:99', DriverOpts: null },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '');
    const ep = t.controller.endpoints.list('app').find((e) => e.sandboxId === web.id)!;
    assert.equal(ep.ipv4, '10.30.0.10/24');
    assert.equal(ep.mac, '02:42:0a:1e:00:99');
    assert.deepStrictEqual(ep.aliases, ['www', 'front']);
    // the veth peer really is in the sandbox with that address
    const addrs = await t.kernel.addresses(web.key);
    assert.ok(addrs.some((a) => a.cidr === '10.30.0.10/24'), JSON.stringify(addrs));
  });

  test('the container is found by sandbox id prefix and by container id; a dynamic address is given', async () => {
    assert.equal((await connect('auto', { Container: web.id.slice(0, 12) })).status, 200);
    assert.equal((await connect('app', { Container: 'c0ffee', EndpointConfig: null })).status, 200);
    learnIds();
    const app = await inspect('app');
    assert.deepStrictEqual(Object.keys(app.Containers).sort(), [db.id, web.id].sort());
    assertFixture('network-inspect-connected', normalize(app, ids));
    const auto = await inspect('auto');
    const entry = auto.Containers[web.id]!;
    assert.equal(entry.Name, 'web');
    assert.match(entry.IPv4Address, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
    assert.equal(entry.IPv4Address.split('/')[1], auto.IPAM.Config[0]!.Subnet!.split('/')[1]);
  });

  test('connecting twice is a 403 with Docker wording', async () => {
    assertDockerError(await connect('app', { Container: 'web' }), 403, 'endpoint with name web already exists in network app');
  });

  test('a static IP on a predefined network is refused with Docker message', async () => {
    for (const net of ['bridge', 'host', 'none']) {
      for (const ipam of [{ IPv4Address: '10.200.0.50' }, { IPv6Address: 'fd00::5' }]) {
        assertDockerError(await connect(net, { Container: 'db', EndpointConfig: { IPAMConfig: ipam } }), 400, 'user specified IP address is supported on user defined networks only');
      }
    }
    assert.equal(t.controller.endpoints.list('bridge').length, 0);
  });

  test('a static IP on a user network without a user-configured subnet is refused with Docker message', async () => {
    const before = t.controller.endpoints.list('auto').length;
    assertDockerError(
      await connect('auto', { Container: 'db', EndpointConfig: { IPAMConfig: { IPv4Address: '172.17.0.50' } } }),
      400,
      'user specified IP address is supported only when connecting to networks with user configured subnets',
    );
    assert.equal(t.controller.endpoints.list('auto').length, before);
  });

  test('the default bridge accepts a container without a static IP', async () => {
    assert.equal((await connect('bridge', { Container: 'db' })).status, 200);
    assert.equal((await inspect('bridge')).Containers[db.id]!.Name, 'db');
  });

  test('an unknown container is 404 No such container (looked up before the network)', async () => {
    assertDockerError(await connect('app', { Container: 'ghost' }), 404, 'No such container: ghost');
    assertDockerError(await connect('nope', { Container: 'ghost' }), 404, 'No such container: ghost');
    assertDockerError(await connect('app', {}), 404, 'No such container: ');
  });

  test('an unknown network is a 404', async () => {
    assertDockerError(await connect('nope', { Container: 'web' }), 404, 'network nope not found');
  });

  test('bad endpoint settings are a 400 and leave nothing behind', async () => {
    const before = t.controller.endpoints.list().length;
    const sb = await t.controller.sandboxes.create({ name: 'tmp' });
    assertDockerError(await connect('dual', { Container: 'tmp', EndpointConfig: { IPAMConfig: { IPv4Address: 'ten' } } }), 400, 'EndpointConfig.IPAMConfig.IPv4Address: must be an IPv4 address');
    assertDockerError(await connect('dual', { Container: 'tmp', EndpointConfig: { MacAddress: '01:00:5e:00:00:01' } }), 400, 'EndpointConfig.MacAddress: must be a unicast MAC address like 02:42:ac:11:00:02');
    const outside = await connect('dual', { Container: 'tmp', EndpointConfig: { IPAMConfig: { IPv4Address: '10.99.0.5' } } });
    assert.equal(outside.status, 400, outside.text);
    assert.deepStrictEqual(Object.keys(outside.body), ['message']);
    const taken = await connect('app', { Container: 'tmp', EndpointConfig: { IPAMConfig: { IPv4Address: '10.30.0.10' } } });
    assert.equal(taken.status, 403, taken.text);
    assert.equal(taken.body.message, 'Address already in use');
    assert.equal(t.controller.endpoints.list().length, before);
    await t.controller.sandboxes.remove(sb.id);
  });
});

describe('POST /networks/{id}/disconnect', () => {
  test('leaves and deletes the endpoint; 200 with no body', async () => {
    const r = await disconnect('auto', { Container: 'web', Force: false });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.text, '');
    assert.deepStrictEqual((await inspect('auto')).Containers, {});
    assert.equal(t.controller.endpoints.list('auto').length, 0);
  });

  test('a container that is not connected is refused', async () => {
    assertDockerError(await disconnect('auto', { Container: 'web' }), 404, `container ${web.id} is not connected to network auto`);
  });

  test('an unknown container is 404 No such container', async () => {
    assertDockerError(await disconnect('app', { Container: 'ghost' }), 404, 'No such container: ghost');
  });

  test('an unknown network is a 404', async () => {
    assertDockerError(await disconnect('nope', { Container: 'web' }), 404, 'network nope not found');
  });

  test('Force removes a stale endpoint by name when its container is gone', async () => {
    // an endpoint left without a sandbox (an engine's container died without a disconnect)
    const stale = await t.controller.endpoints.create('app', { name: 'crashed' });
    learnIds();
    const app = await inspect('app');
    assert.deepStrictEqual(app.Containers[`ep-${stale.id}`], { Name: 'crashed', EndpointID: stale.id, MacAddress: stale.mac, IPv4Address: stale.ipv4, IPv6Address: '' });
    assertDockerError(await disconnect('app', { Container: 'crashed' }), 404, 'No such container: crashed');
    const r = await disconnect('app', { Container: 'crashed', Force: true });
    assert.equal(r.status, 200, r.text);
    assert.equal((await inspect('app')).Containers[`ep-${stale.id}`], undefined);
    assertDockerError(await disconnect('app', { Container: 'crashed', Force: true }), 404, 'No such container: crashed');
  });

  test('Force on a live container disconnects it like without', async () => {
    assert.equal((await disconnect('app', { Container: 'c0ffee', Force: true })).status, 200);
    assert.equal((await inspect('app')).Containers[db.id], undefined);
  });
});

describe('dual-stack endpoints', () => {
  test('connect gives both addresses, disconnect frees them', async () => {
    assert.equal((await connect('dual', { Container: 'web', EndpointConfig: { IPAMConfig: { IPv6Address: 'fd00:31::20' } } })).status, 200);
    const entry = (await inspect('dual')).Containers[web.id]!;
    assert.match(entry.IPv4Address, /^10\.31\.0\.\d+\/24$/);
    assert.equal(entry.IPv6Address, 'fd00:31::20/64');
    const r = await disconnect('dual', { Container: 'web' });
    assert.equal(r.status, 200, r.text);
    assert.deepStrictEqual((await inspect('dual')).Containers, {});
    assert.equal((await connect('dual', { Container: 'web', EndpointConfig: { IPAMConfig: { IPv6Address: 'fd00:31::20' } } })).status, 200);
  });
});

describe('list form by API version', () => {
  test('below API 1.28 the list carries the detailed Containers; from 1.28 it is empty', async () => {
    const old = await call(t.app, 'GET', `/v1.27/networks?filters=${encodeURIComponent('{"name":["^app$"]}')}`);
    assert.equal(old.status, 200);
    assert.deepStrictEqual(Object.keys(old.body[0].Containers), [web.id]);
    const current = await call(t.app, 'GET', `/v1.28/networks?filters=${encodeURIComponent('{"name":["^app$"]}')}`);
    assert.deepStrictEqual(current.body[0].Containers, {});
  });
});
