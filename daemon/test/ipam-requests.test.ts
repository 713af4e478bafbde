import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatchbayError } from '@patchbay/errors';
import { createFakeKernel } from '@patchbay/kernel';
import { createIpamService, GATEWAY_ADDRESS_TYPE, REQUEST_ADDRESS_TYPE } from '../src/controller/ipam-service.js';
import { toErrorBody } from '../src/http/errors.js';
import { AllocationConflict, createSqliteIpamStore, createStore, openDb, type IpamStore, type Store } from '../src/store/index.js';

const GATEWAY = { [REQUEST_ADDRESS_TYPE]: GATEWAY_ADDRESS_TYPE };

function setup(store: Store = createStore(openDb(':memory:')), stores?: IpamStore[]) {
  return { store, ipam: createIpamService(store, createFakeKernel(), [], stores ? { stores } : {}) };
}

/** Rejects with a PatchbayError of `code` whose message matches `message`. */
async function refused(p: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PatchbayError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

/** Everything the SQLite store holds about pools and allocations. */
const rows = (store: Store) => ({ pools: store.pools(), allocations: store.allocations() });

/** The local store, with every claim delayed a little: allocation that takes time, as against etcd. */
function slowStore(store: Store): IpamStore {
  const inner = createSqliteIpamStore(store);
  return {
    ...inner,
    async claimAddresses(claims, cursors) {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      return inner.claimAddresses(claims, cursors);
    },
  };
}

describe('IPAM pools and addresses on their own (Docker IpamDriver semantics)', () => {
  it('names the default address spaces', () => {
    assert.deepEqual(setup().ipam.defaultAddressSpaces(), { local: 'LocalDefault', global: 'GlobalDefault' });
  });

  it('RequestPool with a subnet and sub-pool: the pool exists without a network, addresses come from the sub-pool', async () => {
    const { store, ipam } = setup();
    const pool = await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '10.190.0.0/24', subPool: '10.190.0.128/25', options: { foo: 'bar' }, requestedBy: 'docker' });
    assert.deepEqual(pool, { poolId: 'LocalDefault/10.190.0.0/24', pool: '10.190.0.0/24', data: {} });
    const [row] = store.pools();
    assert.equal(row!.networkId, null);
    assert.equal(row!.requestedBy, 'docker');
    assert.equal(row!.ipRange, '10.190.0.128/25');
    assert.deepEqual(row!.options, { foo: 'bar' });
    assert.deepEqual(await ipam.requestAddress(pool.poolId), { address: '10.190.0.128/24', data: {} });
    assert.deepEqual(store.allocations(), [{ poolId: row!.id, address: '10.190.0.128', kind: 'address', owner: 'docker' }]);
  });

  it('RequestPool without a subnet takes the next free default pool', async () => {
    const { ipam } = setup();
    const a = await ipam.requestPool({ addressSpace: 'LocalDefault' });
    const b = await ipam.requestPool({ addressSpace: 'LocalDefault' });
    assert.equal(a.pool, '172.17.0.0/16');
    assert.equal(b.pool, '172.18.0.0/16');
  });

  it('RequestPool refuses bad input and changes nothing', async () => {
    const { store, ipam } = setup();
    await ipam.requestPool({ pool: '10.1.0.0/16' });
    const before = rows(store);
    await refused(ipam.requestPool({ pool: '10.1.2.0/24' }), 'PB_ERR_POOL_OVERLAP', /overlaps with other one on this address space: 10\.1\.0\.0\/16 \(pool requested by ipam\)/);
    await refused(ipam.requestPool({ subPool: '10.2.0.0/24' }), 'PB_ERR_INVALID_SUBNET', /sub-pool 10\.2\.0\.0\/24 needs a pool/);
    await refused(ipam.requestPool({ pool: '10.3.0.0/24', subPool: '10.4.0.0/24' }), 'PB_ERR_INVALID_SUBNET', /not inside subnet/);
    await refused(ipam.requestPool({ v6: true }), 'PB_ERR_INVALID_SUBNET', /no default IPv6 pools/);
    await refused(ipam.requestPool({ pool: 'fd00::/64' }), 'PB_ERR_INVALID_SUBNET', /not an IPv4 subnet \(set V6 for IPv6\)/);
    await refused(ipam.requestPool({ pool: '10.5.0.0/24', v6: true }), 'PB_ERR_INVALID_SUBNET', /not an IPv6 subnet/);
    await refused(ipam.requestPool({ addressSpace: 'GlobalDefault', pool: '10.6.0.0/24' }), 'PB_ERR_INVALID', /address space GlobalDefault is not available here/);
    await refused(ipam.requestPool({ addressSpace: 'Nowhere', pool: '10.6.0.0/24' }), 'PB_ERR_INVALID', /address space Nowhere/);
    assert.deepEqual(rows(store), before);
  });

  it('an IPv6 pool hands out IPv6 addresses in canonical form', async () => {
    const { ipam } = setup();
    const pool = await ipam.requestPool({ pool: 'fd00:0:0:1::/64', v6: true });
    assert.equal(pool.poolId, 'LocalDefault/fd00:0:0:1::/64');
    assert.equal((await ipam.requestAddress(pool.poolId, { options: GATEWAY })).address, 'fd00:0:0:1::1/64');
    assert.equal((await ipam.requestAddress(pool.poolId, { address: 'fd00:0:0:1:0:0:0:20' })).address, 'fd00:0:0:1::20/64');
  });

  it('ReleasePool frees the subnet with its addresses', async () => {
    const { store, ipam } = setup();
    const pool = await ipam.requestPool({ pool: '10.190.0.0/24' });
    await ipam.requestAddress(pool.poolId);
    await ipam.releasePool(pool.poolId);
    assert.deepEqual(rows(store), { pools: [], allocations: [] });
    await refused(ipam.requestAddress(pool.poolId), 'PB_ERR_POOL_NOT_FOUND', /pool LocalDefault\/10\.190\.0\.0\/24 not found/);
    await refused(ipam.releasePool(pool.poolId), 'PB_ERR_POOL_NOT_FOUND', /not found/);
    const again = await ipam.requestPool({ pool: '10.190.0.0/25' });
    assert.equal((await ipam.requestAddress(again.poolId)).address, '10.190.0.1/25', 'the new pool starts empty');
  });

  it('RequestAddress of a given address, then the same again: a clear error and nothing changed', async () => {
    const { store, ipam } = setup();
    const pool = await ipam.requestPool({ pool: '10.190.0.0/24' });
    assert.equal((await ipam.requestAddress(pool.poolId, { address: '10.190.0.7' })).address, '10.190.0.7/24');
    const before = rows(store);
    await refused(ipam.requestAddress(pool.poolId, { address: '10.190.0.7' }), 'PB_ERR_ADDRESS_IN_USE', /Address already in use/);
    await refused(ipam.requestAddress(pool.poolId, { address: '10.191.0.7' }), 'PB_ERR_IP_OUT_OF_RANGE', /not inside subnet 10\.190\.0\.0\/24/);
    await refused(ipam.requestAddress(pool.poolId, { address: '10.190.0.255' }), 'PB_ERR_INVALID_ADDRESS', /broadcast address/);
    await refused(ipam.requestAddress(pool.poolId, { address: 'fd00::1' }), 'PB_ERR_INVALID_ADDRESS', /not an IPv4 address/);
    assert.deepEqual(rows(store), before);
    assert.equal((await ipam.requestAddress(pool.poolId)).address, '10.190.0.1/24', 'the refused requests took nothing');
  });

  it('an exhausted pool is a 503-class error and changes nothing', async () => {
    const { store, ipam } = setup();
    const pool = await ipam.requestPool({ pool: '10.190.0.0/29' });
    const got = [];
    for (let i = 0; i < 6; i++) got.push((await ipam.requestAddress(pool.poolId)).address);
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6].map((n) => `10.190.0.${n}/29`));
    const before = rows(store);
    const err = await ipam.requestAddress(pool.poolId).then(
      () => assert.fail('allocated from a full pool'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof PatchbayError);
    assert.equal(err.code, 'PB_ERR_POOL_EXHAUSTED');
    assert.equal(toErrorBody(err).status, 503);
    assert.match(err.message, /no available IPv4 addresses .*LocalDefault\/10\.190\.0\.0\/29/);
    assert.deepEqual(rows(store), before);
  });

  it('a gateway request sets the pool gateway; asked again it answers the same; released it is free again', async () => {
    const { store, ipam } = setup();
    const pool = await ipam.requestPool({ pool: '10.190.0.0/24' });
    assert.equal((await ipam.requestAddress(pool.poolId, { options: GATEWAY })).address, '10.190.0.1/24');
    assert.equal(store.pools()[0]!.gateway, '10.190.0.1');
    assert.equal(store.allocations()[0]!.kind, 'gateway');
    assert.equal((await ipam.requestAddress(pool.poolId, { options: GATEWAY })).address, '10.190.0.1/24', 'a replay');
    await refused(ipam.requestAddress(pool.poolId, { address: '10.190.0.9', options: GATEWAY }), 'PB_ERR_INVALID_ADDRESS', /already has gateway 10\.190\.0\.1/);
    assert.equal((await ipam.requestAddress(pool.poolId)).address, '10.190.0.2/24', 'the gateway is not handed out');
    await ipam.releaseAddress(pool.poolId, '10.190.0.1');
    assert.equal(store.pools()[0]!.gateway, undefined);
    const explicit = await ipam.requestAddress(pool.poolId, { address: '10.190.0.254', options: GATEWAY });
    assert.equal(explicit.address, '10.190.0.254/24');
    assert.equal((await ipam.requestAddress(pool.poolId)).address, '10.190.0.1/24', 'the old gateway was freed');
  });

  it('ReleaseAddress: a free address is success; a bad one a clear error', async () => {
    const { store, ipam } = setup();
    const pool = await ipam.requestPool({ pool: '10.190.0.0/24' });
    const a = await ipam.requestAddress(pool.poolId);
    await ipam.releaseAddress(pool.poolId, a.address.split('/')[0]!);
    await ipam.releaseAddress(pool.poolId, '10.190.0.1');
    assert.deepEqual(store.allocations(), []);
    await refused(ipam.releaseAddress(pool.poolId, 'nonsense'), 'PB_ERR_INVALID_ADDRESS', /not an IPv4 address/);
    await refused(ipam.releaseAddress('LocalDefault/10.9.9.0/24', '10.9.9.1'), 'PB_ERR_POOL_NOT_FOUND', /not found/);
  });

  it('concurrent requests never give one address twice, within one service or across two sharing a store', async () => {
    const store = createStore(openDb(':memory:'));
    const one = setup(store, [slowStore(store)]).ipam;
    const two = setup(store, [slowStore(store)]).ipam;
    const pool = await one.requestPool({ pool: '10.190.0.0/24' });
    const requests = Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? one : two).requestAddress(pool.poolId));
    const got = (await Promise.all(requests)).map((r) => r.address);
    assert.equal(new Set(got).size, 120, 'all distinct');
    assert.equal(store.allocations().length, 120);
  });

  it('the store wins: an address the cache did not know about is skipped and the cache rebuilt', async () => {
    const { store, ipam } = setup();
    const pool = await ipam.requestPool({ pool: '10.190.0.0/24' });
    assert.equal((await ipam.requestAddress(pool.poolId)).address, '10.190.0.1/24');
    // another writer (another host, a hand edit) took .2 and .3 behind this cache's back
    const id = store.pools()[0]!.id;
    store.insertAllocation({ poolId: id, address: '10.190.0.2', kind: 'address', owner: 'elsewhere' });
    store.insertAllocation({ poolId: id, address: '10.190.0.3', kind: 'address', owner: 'elsewhere' });
    assert.equal((await ipam.requestAddress(pool.poolId)).address, '10.190.0.4/24');
    await refused(ipam.requestAddress(pool.poolId, { address: '10.190.0.3' }), 'PB_ERR_ADDRESS_IN_USE', /in use/);
    assert.deepEqual(
      store.allocations().map((a) => [a.address, a.owner]),
      [['10.190.0.1', 'ipam'], ['10.190.0.2', 'elsewhere'], ['10.190.0.3', 'elsewhere'], ['10.190.0.4', 'ipam']],
    );
  });

  it('serial pools go on after the last address, across a fresh cache', async () => {
    const store = createStore(openDb(':memory:'));
    const first = setup(store).ipam;
    const pool = await first.requestPool({ pool: '10.190.0.0/24', options: { 'com.docker.network.ipam.serial': 'true' } });
    await first.requestAddress(pool.poolId);
    const b = await first.requestAddress(pool.poolId);
    await first.releaseAddress(pool.poolId, b.address);
    assert.equal((await setup(store).ipam.requestAddress(pool.poolId)).address, '10.190.0.3/24');
  });
});

describe('the SQLite IPAM store', () => {
  it('claims addresses all together or none, and names a vanished pool', async () => {
    const store = createStore(openDb(':memory:'));
    const ipamStore = createSqliteIpamStore(store);
    const pool = await ipamStore.claimPool({ addressSpace: 'LocalDefault', networkId: null, requestedBy: 'x', family: 4, subnet: '10.7.0.0/24', aux: {}, serial: true, userConfigured: true, options: {} }, []);
    await ipamStore.claimAddresses([{ poolId: pool.id, address: '10.7.0.3', kind: 'address', owner: 'x' }]);
    const row = (address: string) => ({ poolId: pool.id, address, kind: 'address' as const, owner: 'y' });
    await assert.rejects(ipamStore.claimAddresses([row('10.7.0.2'), row('10.7.0.3')], [{ poolId: pool.id, cursor: '10.7.0.4' }]), (err: unknown) => err instanceof AllocationConflict && err.address === '10.7.0.3');
    assert.deepEqual((await ipamStore.allocations(pool.id)).map((a) => a.address), ['10.7.0.3'], 'the first claim of the two was not kept');
    assert.equal((await ipamStore.pool(pool.id))!.cursor, undefined, 'nor the cursor');
    await ipamStore.dropPool(pool.id);
    await refused(ipamStore.claimAddresses([row('10.7.0.2')]), 'PB_ERR_POOL_NOT_FOUND', /is gone/);
  });
});
