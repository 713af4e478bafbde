import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createNetworkCache } from '../src/controller/network-cache.js';
import { buildTestApp } from './helpers/native-app.js';

const BRIDGE_NAME = 'com.docker.network.bridge.name';

it('the network cache reads only networks that are new or changed state, and always equals the store', async () => {
  const t = await buildTestApp(['--bridge', 'none']);
  const { store } = t.controller.core;
  const cache = createNetworkCache(store);
  const create = async (name: string, subnet: string) => {
    const r = await t.app.inject({ method: 'POST', url: '/v1/networks', payload: { name, ipam: { config: [{ subnet }] } } });
    assert.equal(r.statusCode, 201, r.body);
    return r.json<{ id: string }>().id;
  };
  const fresh = () => store.networks().map((record) => ({ record, pools: store.poolsOf(record.id) }));
  await create('c1', '10.63.0.0/24');
  await create('c2', '10.63.1.0/24');
  const first = cache.all();
  assert.deepEqual(first, fresh());
  assert.equal(cache.all(), first, 'the same list while nothing changed');

  const reads: string[] = [];
  const { networkById } = store;
  store.networkById = (id: string) => (reads.push(id), networkById(id));
  try {
    const c3 = await create('c3', '10.63.2.0/24');
    reads.length = 0;
    const second = cache.all();
    assert.deepEqual(reads, [c3], 'only the new network is read');
    assert.equal(second[0], first[0], 'the others keep their entries');
    assert.deepEqual(second, fresh());

    // a network being created is read again on every call: its driver state and pools come while it is `creating`
    store.setNetworkState(c3, 'creating');
    cache.all();
    reads.length = 0;
    store.setNetworkDriverState(c3, { bridge: 'br-later' });
    const third = cache.all();
    assert.deepEqual(reads, [c3]);
    assert.deepEqual(third.find((n) => n.record.id === c3)!.record.driverState, { bridge: 'br-later' });
    store.setNetworkState(c3, 'ready');
  } finally {
    store.networkById = networkById;
  }
  const removed = await t.app.inject({ method: 'DELETE', url: '/v1/networks/c2' });
  assert.equal(removed.statusCode, 204, removed.body);
  assert.deepEqual(cache.all(), fresh());
  cache.forget();
  assert.deepEqual(cache.all(), fresh());
  await t.close();
});

it("a bridge name another network uses is refused, whether given or derived, and free again once that network is gone", async () => {
  const t = await buildTestApp(['--bridge', 'none']);
  const create = (name: string, subnet: string, options: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/v1/networks', payload: { name, options, ipam: { config: [{ subnet }] } } });
  const first = await create('b1', '10.64.0.0/24', { [BRIDGE_NAME]: 'pbnamed0' });
  assert.equal(first.statusCode, 201, first.body);
  const derived = await create('b2', '10.64.1.0/24');
  assert.equal(derived.statusCode, 201, derived.body);
  const derivedBridge = t.controller.core.store.networkByName('b2')!.driverState.bridge as string;
  assert.ok(derivedBridge, 'the bridge driver stores the name it chose');

  const again = await create('b3', '10.64.2.0/24', { [BRIDGE_NAME]: 'pbnamed0' });
  assert.equal(again.statusCode, 409, again.body);
  assert.match(again.json<{ message: string }>().message, /bridge name pbnamed0 is already used by network b1/);
  const taken = await create('b4', '10.64.3.0/24', { [BRIDGE_NAME]: derivedBridge });
  assert.equal(taken.statusCode, 409, taken.body);
  assert.match(taken.json<{ message: string }>().message, new RegExp(`bridge name ${derivedBridge} is already used by network b2`));

  assert.equal((await t.app.inject({ method: 'DELETE', url: '/v1/networks/b1' })).statusCode, 204);
  const reused = await create('b5', '10.64.4.0/24', { [BRIDGE_NAME]: 'pbnamed0' });
  assert.equal(reused.statusCode, 201, reused.body);
  await t.close();
});
