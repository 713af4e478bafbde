import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PatchbayError } from '@patchbay/errors';
import { createFakeKernel } from '@patchbay/kernel';
import type { CreateNetworkInput } from '../src/controller/networks.js';
import { GATEWAY_ADDRESS_TYPE, REQUEST_ADDRESS_TYPE } from '../src/controller/ipam-service.js';
import { createStore, openDb } from '../src/store/index.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { buildTestApp, type TestApp } from './helpers/native-app.js';
import { writeOldStore } from './helpers/old-store.js';

const GATEWAY = { [REQUEST_ADDRESS_TYPE]: GATEWAY_ADDRESS_TYPE };
const network = (name: string, more: Partial<CreateNetworkInput> = {}): CreateNetworkInput => ({
  name,
  driver: 'bridge',
  ipamDriver: 'default',
  ipamConfig: [],
  ipamOptions: {},
  enableIPv6: false,
  internal: false,
  attachable: false,
  options: {},
  labels: {},
  ...more,
});

async function refused(p: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(p, (err: unknown) => err instanceof PatchbayError && err.code === code && message.test(err.message));
}

describe('IPAM lifecycle with the controller (fake kernel, in-memory store)', () => {
  let t: TestApp;
  const inject = async (method: string, url: string, payload?: unknown) => {
    const r = await t.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
  };
  const ipam = () => t.controller.core.ipam;
  const store = () => t.controller.core.store;
  before(async () => {
    t = await buildTestApp();
    await inject('POST', '/v1/sandboxes', { name: 's1' });
  });
  after(() => t.close());

  it('a pool requested before the network is adopted by it; released, it goes with the network', async () => {
    const pool = await ipam().requestPool({ pool: '10.190.0.0/24', requestedBy: 'docker' });
    assert.equal((await ipam().requestAddress(pool.poolId, { options: GATEWAY })).address, '10.190.0.1/24');
    const net = await t.controller.networks.create(network('pnet', { ipamPools: [pool.poolId] }));
    const pools = store().poolsOf(net.id);
    assert.deepEqual(pools.map((p) => [p.subnet, p.gateway, p.requestedBy]), [['10.190.0.0/24', '10.190.0.1', 'docker']]);
    assert.ok((await t.kernel.addresses(null)).some((a) => a.cidr === '10.190.0.1/24'), 'the bridge has the gateway');
    const c = await inject('POST', '/v1/networks/pnet/connect', { sandbox: 's1' });
    assert.equal(c.body.ipv4Address, '10.190.0.2/24');
    const view = await inject('GET', '/v1/networks/pnet/ipam');
    assert.deepEqual(view.body.subnets[0].allocations.map((a: { address: string; kind: string; owner: string }) => [a.address, a.kind, a.owner]), [
      ['10.190.0.1', 'gateway', 'docker'],
      ['10.190.0.2', 'endpoint', 's1'],
    ]);
    await refused(ipam().releaseAddress(pool.poolId, '10.190.0.2'), 'PB_ERR_FORBIDDEN', /held by endpoint s1/);
    await refused(t.controller.networks.create(network('other', { ipamPools: [pool.poolId] })), 'PB_ERR_FORBIDDEN', /already used by network pnet/);
    assert.equal(store().networkByName('other'), undefined);

    // Docker's order: ReleaseAddress (gateway), ReleasePool, then DeleteNetwork
    await ipam().releaseAddress(pool.poolId, '10.190.0.1');
    await ipam().releasePool(pool.poolId);
    assert.equal(store().poolsOf(net.id)[0]!.gateway, '10.190.0.1', 'the network keeps its gateway while it exists');
    assert.equal((await inject('POST', '/v1/networks/pnet/disconnect', { sandbox: 's1' })).status, 204);
    await t.controller.networks.remove('pnet');
    assert.ok(!store().pools().some((p) => p.subnet === '10.190.0.0/24'), 'freed with its network');
    assert.equal(store().allocations().filter((a) => a.address.startsWith('10.190.')).length, 0);
    assert.equal((await ipam().requestPool({ pool: '10.190.0.0/24' })).poolId, pool.poolId, 'the subnet is free again');
    await ipam().releasePool(pool.poolId);
  });

  it('a network removed first hands its requested pool back; ReleasePool frees it later', async () => {
    const pool = await ipam().requestPool({ pool: '10.191.0.0/24', requestedBy: 'docker' });
    await ipam().requestAddress(pool.poolId, { options: GATEWAY });
    await t.controller.networks.create(network('early', { ipamPools: [pool.poolId] }));
    await t.controller.networks.remove('early');
    const [kept] = store().pools().filter((p) => p.subnet === '10.191.0.0/24');
    assert.equal(kept!.networkId, null);
    assert.deepEqual(store().allocationsOf(kept!.id).map((a) => [a.address, a.kind]), [['10.191.0.1', 'gateway']]);
    await ipam().releasePool(pool.poolId);
    assert.ok(!store().pools().some((p) => p.subnet === '10.191.0.0/24'));
  });

  it('bad adoptions are refused and leave no network behind', async () => {
    const bare = await ipam().requestPool({ pool: '10.192.0.0/24' });
    const before = { networks: store().networks().length, pools: store().pools() };
    await refused(t.controller.networks.create(network('x', { ipamPools: [bare.poolId] })), 'PB_ERR_INVALID_ADDRESS', /has no gateway/);
    await refused(t.controller.networks.create(network('x', { ipamPools: ['LocalDefault/10.9.9.0/24'] })), 'PB_ERR_POOL_NOT_FOUND', /not found/);
    await refused(
      t.controller.networks.create(network('x', { ipamPools: [bare.poolId], ipamConfig: [{ subnet: '10.193.0.0/24' }] })),
      'PB_ERR_INVALID_SUBNET',
      /either an IPAM config or requested pools/,
    );
    await refused(t.controller.networks.create(network('x', { ipamDriver: 'null', ipamPools: [bare.poolId] })), 'PB_ERR_INVALID_SUBNET', /takes no subnets/);
    assert.deepEqual({ networks: store().networks().length, pools: store().pools() }, before);
    await ipam().releasePool(bare.poolId);
  });

  it('a network subnet may not overlap a requested pool; the error names the requester', async () => {
    const pool = await ipam().requestPool({ pool: '10.194.0.0/16', requestedBy: 'docker' });
    const r = await inject('POST', '/v1/networks', { name: 'clash', ipam: { config: [{ subnet: '10.194.5.0/24' }] } });
    assert.equal(r.status, 403);
    assert.match(r.body.message, /overlaps with other one on this address space: 10\.194\.0\.0\/16 \(pool requested by docker\)/);
    await ipam().releasePool(pool.poolId);
    assert.equal((await inject('POST', '/v1/networks', { name: 'clash', ipam: { config: [{ subnet: '10.194.5.0/24' }] } })).status, 201);
  });

  it('an endpoint whose row cannot be written gives its address back', async () => {
    await inject('POST', '/v1/sandboxes', { name: 's2' });
    await inject('POST', '/v1/sandboxes', { name: 's3' });
    assert.equal((await inject('POST', '/v1/networks/clash/connect', { sandbox: 's2', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }] })).status, 201);
    const view = (await inject('GET', '/v1/networks/clash/ipam')).body;
    const r = await inject('POST', '/v1/networks/clash/connect', { sandbox: 's3', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }] });
    assert.equal(r.status, 409);
    assert.deepEqual((await inject('GET', '/v1/networks/clash/ipam')).body, view, 'nothing allocated');
    assert.equal((await inject('POST', '/v1/networks/clash/connect', { sandbox: 's3' })).body.ipv4Address, '10.194.5.3/24');
  });

  it('addresses claimed for an endpoint being created are not orphans; once abandoned they are', async () => {
    const net = store().networkByName('clash')!;
    const claimed = await ipam().allocateEndpoint(net.id, net.name, { id: 'e'.repeat(64), name: 'pending' }, {});
    assert.equal(claimed.ipv4, '10.194.5.4/24');
    assert.deepEqual(await inject('GET', '/v1/system/check'), { status: 200, body: { consistent: true, drifts: [] } });
    claimed.done(); // as if the endpoint's row never came
    const check = await inject('GET', '/v1/system/check');
    assert.deepEqual(check.body.drifts, [{ kind: 'orphan-allocation', object: 'address 10.194.5.4 in network clash', action: 'free it (owner pending is gone)' }]);
    await inject('POST', '/v1/system/reconcile');
    assert.ok(!store().allocations().some((a) => a.owner === 'pending'));
  });
});

describe('IPAM across a crash (store file, fake kernel)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-ipam-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a crash between the allocation and the endpoint row: the restart frees the address', async () => {
    const kernel = createFakeKernel();
    const dbPath = join(dir, 'crash.db');
    const first = await buildTestApp(undefined, { kernel, dbPath });
    await first.app.inject({ method: 'POST', url: '/v1/networks', payload: { name: 'n1', ipam: { config: [{ subnet: '10.124.0.0/24' }] } } });
    const net = first.controller.core.store.networkByName('n1')!;
    const claimed = await first.controller.core.ipam.allocateEndpoint(net.id, 'n1', { id: 'c'.repeat(64), name: 'lost' }, {});
    assert.equal(claimed.ipv4, '10.124.0.2/24');
    await first.close(); // the crash: no endpoint row, no undo

    const second = await buildTestApp(undefined, { kernel, dbPath });
    assert.ok(!second.controller.core.store.allocations().some((a) => a.owner === 'lost'), 'start-up reconcile freed it');
    await second.app.inject({ method: 'POST', url: '/v1/sandboxes', payload: { name: 'a' } });
    const c = await second.app.inject({ method: 'POST', url: '/v1/networks/n1/connect', payload: { sandbox: 'a' } });
    assert.equal(JSON.parse(c.body).ipv4Address, '10.124.0.2/24');
    assert.equal(JSON.parse((await second.app.inject({ method: 'GET', url: '/v1/system/check' })).body).consistent, true);
    await second.close();
  });

  it('an interrupted create of a network that adopted a requested pool: recovery hands the pool back', async () => {
    const kernel = createFakeKernel();
    const dbPath = join(dir, 'adopt.db');
    const first = await buildTestApp(undefined, { kernel, dbPath });
    const ipam = first.controller.core.ipam;
    const pool = await ipam.requestPool({ pool: '10.125.0.0/24', requestedBy: 'docker' });
    await ipam.requestAddress(pool.poolId, { options: GATEWAY });
    const net = await first.controller.networks.create(network('half', { ipamPools: [pool.poolId] }));
    first.controller.core.store.setNetworkState(net.id, 'creating'); // as a crash before 'ready' leaves it
    await first.close();

    const second = await buildTestApp(undefined, { kernel, dbPath });
    assert.equal(second.controller.core.store.networkByName('half'), undefined);
    const [kept] = second.controller.core.store.pools().filter((p) => p.subnet === '10.125.0.0/24');
    assert.deepEqual([kept!.networkId, kept!.requestedBy, kept!.gateway], [null, 'docker', '10.125.0.1']);
    assert.equal((await second.controller.core.ipam.requestAddress(pool.poolId)).address, '10.125.0.2/24');
    await second.close();
  });

  it('migration 4 keeps pool ids and allocations and lets a pool exist without a network', () => {
    const path = join(dir, 'v2.db');
    writeOldStore(path, 2, `INSERT INTO networks (id, name, driver, created, state) VALUES ('n1', 'old', 'bridge', 'x', 'ready');
      INSERT INTO pools (id, network_id, family, subnet, gateway, user_configured) VALUES (7, 'n1', 4, '10.9.0.0/24', '10.9.0.1', 1);
      INSERT INTO allocations (pool_id, address, kind, owner, owner_id) VALUES (7, '10.9.0.1', 'gateway', 'old', 'n1'), (7, '10.9.0.2', 'endpoint', 'ep', 'e1');`);
    const store = createStore(openDb(path));
    assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.deepEqual(store.poolsOf('n1').map((p) => [p.id, p.subnet, p.gateway, p.userConfigured, p.addressSpace, p.options]), [[7, '10.9.0.0/24', '10.9.0.1', true, 'LocalDefault', {}]]);
    assert.deepEqual(store.allocationsOf(7).map((a) => [a.address, a.kind]), [['10.9.0.1', 'gateway'], ['10.9.0.2', 'endpoint']]);
    assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are on again');
    const id = store.insertPool({ networkId: null, requestedBy: 'docker', family: 4, subnet: '10.8.0.0/24', aux: {}, serial: false, userConfigured: true });
    assert.equal(store.pools().find((p) => p.id === id)!.networkId, null);
    store.deleteNetwork('n1');
    assert.deepEqual(store.allocations().length, 0, 'a network still takes its pools and their allocations with it');
    store.db.close();
  });
});
