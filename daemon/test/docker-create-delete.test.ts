import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { registerDockerRoutes } from '../src/docker/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { assertDockerError, call } from './helpers/docker-fixtures.js';

/** The bridge driver's name for a network's bridge (its id, so any network name is safe). */
const bridgeNameFor = (networkId: string) => `pb-${networkId.slice(0, 12)}`;

let t: TestApp;

async function create(body: Record<string, unknown>, url = '/v1.44/networks/create'): Promise<string> {
  const r = await call(t.app, 'POST', url, body);
  assert.equal(r.status, 201, r.text);
  assert.deepStrictEqual(r.body, { Id: r.body.Id, Warning: '' });
  assert.match(r.body.Id, /^[0-9a-f]{64}$/);
  return r.body.Id as string;
}

before(async () => {
  t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], plugins: [registerDockerRoutes] });
  await create({ Name: 'plain' });
  await create({ Name: 'taken', IPAM: { Config: [{ Subnet: '10.50.0.0/16' }] } });
});
after(() => t.close());

describe('POST /networks/create', () => {
  test('a duplicate name is a 409, whatever CheckDuplicate says', async () => {
    for (const CheckDuplicate of [true, false, undefined]) {
      assertDockerError(await call(t.app, 'POST', '/networks/create', { Name: 'plain', CheckDuplicate }), 409, 'network with name plain already exists');
    }
  });

  test('the predefined names are a 403 (with the trailing space)', async () => {
    for (const name of ['bridge', 'host', 'none']) {
      assertDockerError(await call(t.app, 'POST', '/v1.44/networks/create', { Name: name }), 403, `operation is not permitted on predefined ${name} network `);
    }
  });

  test('an unknown driver or IPAM driver is a 404', async () => {
    assertDockerError(await call(t.app, 'POST', '/networks/create', { Name: 'd1', Driver: 'overlay2' }), 404, 'plugin "overlay2" not found');
    assertDockerError(await call(t.app, 'POST', '/networks/create', { Name: 'd1', IPAM: { Driver: 'dhcp' } }), 404, 'plugin "dhcp" not found');
  });

  test('invalid requests are a 400', async () => {
    assertDockerError(await call(t.app, 'POST', '/networks/create', { Name: '  ' }), 400, 'invalid name:   ');
    assertDockerError(await call(t.app, 'POST', '/networks/create', {}), 400, 'Name: Invalid input: expected string, received undefined');
    assertDockerError(await call(t.app, 'POST', '/networks/create', { Name: 'x', Internal: 'yes' }), 400, 'Internal: Invalid input: expected boolean, received string');
  });

  test('any name that is not blank is accepted, as by dockerd; the bridge is named after the id', async () => {
    for (const name of ['my net', 'bad/name', 'x;$(id)', ' lead', '-rf', 'ü-net', 'n'.repeat(100)]) {
      const r = await call(t.app, 'POST', '/networks/create', { Name: name });
      assert.equal(r.status, 201, `${JSON.stringify(name)}: ${r.text}`);
      const shown = await call(t.app, 'GET', `/networks/${encodeURIComponent(name)}`);
      assert.equal(shown.status, 200, shown.text);
      assert.equal(shown.body.Name, name);
      assert.equal(shown.body.Id, r.body.Id);
      const bridge = (await t.app.inject({ method: 'GET', url: `/v1/networks/${r.body.Id}` })).json().bridge as string | undefined;
      assert.equal(bridge, bridgeNameFor(r.body.Id));
      assert.ok(await t.kernel.link(null, bridge!), `bridge ${bridge} of ${JSON.stringify(name)}`);
      assert.equal((await call(t.app, 'DELETE', `/networks/${encodeURIComponent(name)}`)).status, 204);
    }
  });

  test('an invalid IPAM config is a 400 and creates nothing', async () => {
    const before = t.controller.networks.list().length;
    for (const config of [{ Subnet: 'foo' }, { Subnet: '10.70.0.0/24', Gateway: '10.71.0.1' }, { Subnet: '10.70.0.0/24', IPRange: '10.72.0.0/25' }, { Gateway: '10.70.0.1' }]) {
      const r = await call(t.app, 'POST', '/networks/create', { Name: 'badipam', IPAM: { Driver: 'default', Config: [config] } });
      assert.equal(r.status, 400, JSON.stringify(config));
      assert.equal(typeof r.body.message, 'string');
      assert.deepStrictEqual(Object.keys(r.body), ['message']);
    }
    assert.equal(t.controller.networks.list().length, before);
  });

  test('an overlapping subnet is refused', async () => {
    const r = await call(t.app, 'POST', '/networks/create', { Name: 'overlap', IPAM: { Config: [{ Subnet: '10.50.3.0/24' }] } });
    assert.equal(r.status, 403, r.text);
    assert.deepStrictEqual(Object.keys(r.body), ['message']);
  });

  test('swarm-only features are refused as not implemented', async () => {
    assertDockerError(await call(t.app, 'POST', '/networks/create', { Name: 'i', Ingress: true }), 501, 'ingress networks are not supported: patchbay has no swarm mode');
    assertDockerError(await call(t.app, 'POST', '/networks/create', { Name: 'i', ConfigOnly: true }), 501, 'config-only networks and --config-from are not supported');
  });

  test('a name longer than 100 characters (not usable in a path) is a 400 and creates nothing', async () => {
    const before = t.controller.networks.list().length;
    const name = 'n'.repeat(101);
    assertDockerError(await call(t.app, 'POST', '/networks/create', { Name: name }), 400, `invalid name: ${name}: longer than 100 characters`);
    assert.equal(t.controller.networks.list().length, before);
  });

  test('a swarm or global scope is a 403 with dockerd\'s message, and creates nothing', async () => {
    const before = t.controller.networks.list().length;
    assertDockerError(await call(t.app, 'POST', '/networks/create', { Name: 'i', Scope: 'swarm' }), 403, 'cannot create a swarm scoped network when swarm is not active');
    for (const Scope of ['global', 'nonsense']) {
      assertDockerError(
        await call(t.app, 'POST', '/networks/create', { Name: 'i', Scope }),
        403,
        'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
      );
    }
    assert.equal(t.controller.networks.list().length, before);
  });

  test('unknown fields are ignored, as dockerd does', async () => {
    const id = await create({ Name: 'extra', SomethingNew: { a: 1 }, EnableIPv4: true });
    assert.equal((await call(t.app, 'DELETE', `/networks/${id}`)).status, 204);
  });
});

describe('DELETE /networks/{id}', () => {
  test('removes by name and by id prefix with 204 and an empty body', async () => {
    const a = await create({ Name: 'gone-a' });
    await create({ Name: 'gone-b' });
    let r = await call(t.app, 'DELETE', '/v1.44/networks/gone-b');
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    r = await call(t.app, 'DELETE', `/networks/${a.slice(0, 10)}`);
    assert.equal(r.status, 204);
    assertDockerError(await call(t.app, 'GET', '/networks/gone-a'), 404, 'network gone-a not found');
    assert.equal(t.controller.networks.list().some((n) => n.id === a), false);
  });

  test('a predefined network is a 403', async () => {
    for (const name of ['bridge', 'host', 'none']) {
      assertDockerError(await call(t.app, 'DELETE', `/networks/${name}`), 403, `${name} is a pre-defined network and cannot be removed`);
    }
  });

  test('an unknown network is a 404', async () => {
    assertDockerError(await call(t.app, 'DELETE', '/networks/nope'), 404, 'network nope not found');
  });

  test('a network with endpoints is a 403 with Docker wording', async () => {
    const id = await create({ Name: 'busy' });
    const sb = await t.controller.sandboxes.create({ name: 'busy-sb' });
    assert.equal((await call(t.app, 'POST', '/networks/busy/connect', { Container: 'busy-sb' })).status, 200);
    assertDockerError(await call(t.app, 'DELETE', '/networks/busy'), 403, `error while removing network: network busy id ${id} has active endpoints`);
    await t.controller.sandboxes.remove(sb.id);
    assert.equal((await call(t.app, 'DELETE', '/networks/busy')).status, 204);
  });
});
