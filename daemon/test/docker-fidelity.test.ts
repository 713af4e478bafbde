import assert from 'node:assert/strict';
import { availableParallelism, hostname, machine, release, totalmem } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { DockerEvent, DockerInfo } from '@patchbay/api';
import { registerDockerRoutes } from '../src/docker/index.js';
import { NETWORK_ONLY_WARNING } from '../src/docker/info-route.js';
import { buildTestApp, type TestApp } from './helpers/app.js';
import { assertDockerError, call } from './helpers/docker-fixtures.js';

/** Differences from dockerd 20.10 found by driving both with the same docker CLI commands. */
let t: TestApp;
before(async () => {
  t = await buildTestApp({ flags: ['--bip', '10.200.0.1/24'], plugins: [registerDockerRoutes] });
});
after(() => t.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unixNow = () => (Date.now() / 1000).toFixed(9);
const create = async (body: object) => {
  const r = await call(t.app, 'POST', '/v1.44/networks/create', body);
  assert.equal(r.status, 201, r.text);
  return r.body.Id as string;
};
const ipamConfig = async (app: TestApp['app'], net: string) => {
  const r = await call(app, 'GET', `/v1.44/networks/${encodeURIComponent(net)}`);
  assert.equal(r.status, 200, r.text);
  return r.body.IPAM.Config;
};

describe('GET /info', () => {
  test('serves what a network daemon knows, the rest as dockerd leaves unset fields', async () => {
    await t.controller.sandboxes.create({ name: 'info-a' });
    await t.controller.sandboxes.create({ name: 'info-b' });
    for (const url of ['/info', '/v1.44/info', '/v1.24/info']) {
      const r = await call(t.app, 'GET', url);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['content-type'], 'application/json');
      const info = DockerInfo.strict().parse(r.body);
      assert.deepStrictEqual(info.Plugins, { Volume: null, Network: ['bridge', 'host', 'ipvlan', 'macvlan', 'null'], Authorization: null, Log: null });
      assert.equal(info.Containers, 2);
      assert.equal(info.ContainersRunning, 2);
      assert.equal(info.ContainersStopped, 0);
      assert.equal(info.Images, 0);
      assert.equal(info.ServerVersion, '0.1.0');
      assert.equal(info.KernelVersion, release());
      assert.equal(info.OSType, 'linux');
      assert.equal(info.Architecture, machine());
      assert.equal(info.NCPU, availableParallelism());
      assert.equal(info.MemTotal, totalmem());
      assert.equal(info.Name, hostname());
      assert.equal(info.DockerRootDir, t.controller.core.config.dataRoot);
      assert.match(info.OperatingSystem, /\S/);
      assert.match(info.SystemTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      assert.ok(info.NFd > 0);
      assert.deepStrictEqual(info.Swarm, { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null });
      // patchbay turned forwarding on for its bridge network, so only the one warning
      assert.equal(info.IPv4Forwarding, true);
      assert.deepStrictEqual(info.Warnings, [NETWORK_ONLY_WARNING]);
      assert.equal('DefaultAddressPools' in info, false);
      assert.equal(info.NEventsListener, 0);
    }
  });

  test('NEventsListener counts the open /events streams', async () => {
    const until = ((Date.now() + 300) / 1000).toFixed(3);
    const stream = t.app.inject({ method: 'GET', url: `/events?until=${until}` });
    await sleep(100);
    assert.equal((await call(t.app, 'GET', '/info')).body.NEventsListener, 1);
    await stream;
    assert.equal((await call(t.app, 'GET', '/info')).body.NEventsListener, 0);
  });

  test('forwarding off is reported with dockerd\'s warning; configured default pools are shown', async () => {
    const other = await buildTestApp({ flags: ['--ip-forward=false', '--default-address-pool', 'base=10.240.0.0/16,size=24'], plugins: [registerDockerRoutes] });
    try {
      const info = DockerInfo.strict().parse((await call(other.app, 'GET', '/info')).body);
      assert.equal(info.IPv4Forwarding, false);
      assert.deepStrictEqual(info.Warnings, ['WARNING: IPv4 forwarding is disabled', NETWORK_ONLY_WARNING]);
      assert.deepStrictEqual(info.DefaultAddressPools, [{ Base: '10.240.0.0/16', Size: 24 }]);
      assert.equal(info.Containers, 0);
    } finally {
      await other.close();
    }
  });
});

describe('IPAM.Config shows what was configured (moby buildIpamResources)', () => {
  test('a given subnet without a gateway shows no gateway; a given gateway is shown', async () => {
    await create({ Name: 'cfg-sub', IPAM: { Driver: 'default', Config: [{ Subnet: '10.81.0.0/24' }] } });
    assert.deepStrictEqual(await ipamConfig(t.app, 'cfg-sub'), [{ Subnet: '10.81.0.0/24' }]);
    await create({ Name: 'cfg-gw', IPAM: { Config: [{ Subnet: '10.82.0.0/24', IPRange: '10.82.0.128/25', Gateway: '10.82.0.254' }] } });
    assert.deepStrictEqual(await ipamConfig(t.app, 'cfg-gw'), [{ Subnet: '10.82.0.0/24', IPRange: '10.82.0.128/25', Gateway: '10.82.0.254' }]);
    // the gateway was still allocated and is on the bridge: only the view changed
    const native = (await t.app.inject({ method: 'GET', url: '/v1/networks/cfg-sub' })).json();
    assert.deepStrictEqual(native.ipam.config, [{ subnet: '10.81.0.0/24', gateway: '10.81.0.1' }]);
  });

  test('a pool IPAM chose shows its subnet and gateway; per family', async () => {
    const auto = await ipamConfig(t.app, (await create({ Name: 'cfg-auto' })).slice(0, 12));
    assert.equal(auto.length, 1);
    assert.deepStrictEqual(Object.keys(auto[0]).sort(), ['Gateway', 'Subnet']);
    await create({ Name: 'cfg-v6', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd00:83::/64' }] } });
    const [v4, v6] = await ipamConfig(t.app, 'cfg-v6');
    assert.deepStrictEqual(Object.keys(v4).sort(), ['Gateway', 'Subnet']);
    assert.deepStrictEqual(v6, { Subnet: 'fd00:83::/64' });
  });

  test('the default bridge shows a gateway only when --bip or an existing bridge gave it', async () => {
    assert.deepStrictEqual(await ipamConfig(t.app, 'bridge'), [{ Subnet: '10.200.0.0/24', Gateway: '10.200.0.1' }]);
    const fresh = await buildTestApp({ plugins: [registerDockerRoutes] });
    const existing = await buildTestApp({ plugins: [registerDockerRoutes], kernel: { hostLinks: [{ name: 'pb0', kind: 'bridge', addrs: ['10.201.0.1/24'] }] } });
    try {
      const [pool] = await ipamConfig(fresh.app, 'bridge');
      assert.deepStrictEqual(Object.keys(pool), ['Subnet']);
      assert.deepStrictEqual(await ipamConfig(existing.app, 'bridge'), [{ Subnet: '10.201.0.0/24', Gateway: '10.201.0.1' }]);
    } finally {
      await fresh.close();
      await existing.close();
    }
  });
});

describe('the none network is exclusive', () => {
  const message = 'container cannot be connected to multiple networks with one of the networks in private (none) mode';
  test('a sandbox on none cannot join another network, and one on another network cannot join none', async () => {
    await create({ Name: 'excl', IPAM: { Config: [{ Subnet: '10.84.0.0/24' }] } });
    const alone = await t.controller.sandboxes.create({ name: 'alone' });
    const wired = await t.controller.sandboxes.create({ name: 'wired' });
    assert.equal((await call(t.app, 'POST', '/networks/none/connect', { Container: 'alone' })).status, 200);
    assert.equal((await call(t.app, 'POST', '/networks/excl/connect', { Container: 'wired' })).status, 200);
    await t.controller.settled(); // the background work of the joins above (IPv6 off on their host veths) is done
    const before = t.controller.endpoints.list().length;
    const calls = t.kernel.calls.length;
    assertDockerError(await call(t.app, 'POST', '/networks/excl/connect', { Container: 'alone' }), 400, message);
    assertDockerError(await call(t.app, 'POST', '/networks/bridge/connect', { Container: 'alone' }), 400, message);
    assertDockerError(await call(t.app, 'POST', '/networks/none/connect', { Container: 'wired' }), 400, message);
    // the native API and a join of an existing endpoint say the same, and change nothing
    const native = await t.app.inject({ method: 'POST', url: '/v1/networks/none/connect', payload: { sandbox: 'wired' } });
    assert.deepStrictEqual([native.statusCode, native.json()], [400, { message, code: 'PB_ERR_INVALID' }]);
    const ep = await t.controller.endpoints.create('excl', { name: 'spare' });
    const join = await t.app.inject({ method: 'POST', url: `/v1/networks/excl/endpoints/${ep.id}/join`, payload: { sandbox: 'alone' } });
    assert.deepStrictEqual([join.statusCode, join.json().message], [400, message]);
    await t.controller.endpoints.remove('excl', ep.id);
    assert.equal(t.controller.endpoints.list().length, before);
    assert.deepStrictEqual(t.kernel.calls.slice(calls).filter((c) => c.method !== 'sysctlGet' && c.method !== 'links' && c.method !== 'link'), []);
    // after leaving none, the sandbox may join anything
    assert.equal((await call(t.app, 'POST', '/networks/none/disconnect', { Container: alone.id })).status, 200);
    assert.equal((await call(t.app, 'POST', '/networks/excl/connect', { Container: 'alone' })).status, 200);
    assert.deepStrictEqual(t.controller.sandboxes.get(wired.id).id, wired.id);
  });
});

describe('docker network prune', () => {
  test('emits one prune event with reclaimed=0, like dockerd, also when nothing was deleted', async () => {
    await create({ Name: 'prune-me' });
    const since = unixNow();
    await sleep(5);
    assert.deepStrictEqual((await call(t.app, 'POST', '/networks/prune', undefined)).body.NetworksDeleted.includes('prune-me'), true);
    assert.deepStrictEqual((await call(t.app, 'POST', '/networks/prune', undefined)).body, { NetworksDeleted: [] });
    await sleep(5);
    const r = await t.app.inject({ method: 'GET', url: `/events?since=${since}&until=${unixNow()}&filters=${encodeURIComponent('{"event":["prune"]}')}` });
    const events = r.body.split('\n').filter((l) => l !== '').map((l) => DockerEvent.strict().parse(JSON.parse(l)));
    assert.deepStrictEqual(
      events.map(({ time: _t, timeNano: _n, ...rest }) => rest),
      [1, 2].map(() => ({ Type: 'network', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: '0' } }, scope: 'local' })),
    );
  });
});
