import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createModelCache, firewallModel } from '../src/controller/firewall-sync.js';
import { buildTestApp } from './helpers/native-app.js';

it('the firewall model keeps its networks part until a network changes, and always equals a fresh one', async () => {
  const t = await buildTestApp(['--bridge', 'none']);
  const { store, registry } = t.controller.core;
  const model = createModelCache(store, registry);
  await t.app.inject({ method: 'POST', url: '/v1/networks', payload: { name: 'n1', ipam: { config: [{ subnet: '10.60.0.0/24' }] } } });
  const first = model();
  await t.app.inject({ method: 'POST', url: '/v1/sandboxes', payload: { name: 's1' } });
  const c = await t.app.inject({ method: 'POST', url: '/v1/networks/n1/connect', payload: { sandbox: 's1', ports: [{ containerPort: 80, hostPort: 8080 }] } });
  assert.equal(c.statusCode, 201, c.body);
  const second = model();
  assert.equal(second.networks, first.networks, 'same networks array: nothing per network was rebuilt');
  assert.equal(second.ports.length, 1, 'ports are always read fresh');
  assert.deepEqual(second, firewallModel(store, registry));
  await t.app.inject({ method: 'POST', url: '/v1/networks', payload: { name: 'n2', ipam: { config: [{ subnet: '10.61.0.0/24' }] } } });
  const third = model();
  assert.notEqual(third.networks, first.networks);
  assert.deepEqual(third.networks.map((n) => n.name).sort(), ['n1', 'n2']);
  assert.deepEqual(third, firewallModel(store, registry));
  await t.close();
});

it('a network create reads only the new network: the others keep their entries, and the model always equals a fresh one', async () => {
  const t = await buildTestApp(['--bridge', 'none']);
  const { store, registry } = t.controller.core;
  const model = createModelCache(store, registry);
  const create = async (name: string, subnet: string) => {
    const r = await t.app.inject({ method: 'POST', url: '/v1/networks', payload: { name, ipam: { config: [{ subnet }] } } });
    assert.equal(r.statusCode, 201, r.body);
  };
  await create('a1', '10.62.0.0/24');
  await create('a2', '10.62.1.0/24');
  const first = model();
  const byId = new Map<string, unknown[]>();
  const read = (what: string) => (id: string) => void byId.set(what, [...(byId.get(what) ?? []), id]);
  const { networkById, poolsOf } = store;
  store.networkById = (id: string) => (read('networkById')(id), networkById(id));
  store.poolsOf = (id: string) => (read('poolsOf')(id), poolsOf(id));
  try {
    await create('a3', '10.62.2.0/24');
    byId.clear();
    const second = model();
    const a3 = store.networkByName('a3')!.id;
    assert.deepEqual(byId.get('networkById'), [a3], 'only the new network is read');
    assert.deepEqual(byId.get('poolsOf'), [a3]);
    for (const name of ['a1', 'a2']) {
      assert.equal(second.networks.find((n) => n.name === name), first.networks.find((n) => n.name === name), `${name}'s entry is kept`);
    }
    assert.deepEqual(second, firewallModel(store, registry));
  } finally {
    store.networkById = networkById;
    store.poolsOf = poolsOf;
  }
  const removed = await t.app.inject({ method: 'DELETE', url: '/v1/networks/a2' });
  assert.equal(removed.statusCode, 204, removed.body);
  const third = model();
  assert.deepEqual(third.networks.map((n) => n.name), ['a1', 'a3']);
  assert.deepEqual(third, firewallModel(store, registry));
  model.forget();
  const fourth = model();
  assert.notEqual(fourth.networks.find((n) => n.name === 'a1'), third.networks.find((n) => n.name === 'a1'), 'forget drops the kept entries');
  assert.deepEqual(fourth, firewallModel(store, registry));
  await t.close();
});

it('a connect or disconnect without published ports waits for no firewall sync (the firewall holds nothing of it); one with ports does', async () => {
  const t = await buildTestApp(['--bridge', 'none']);
  const firewallSync = t.controller.core.firewallSync;
  const sync = firewallSync.sync;
  let calls = 0;
  firewallSync.sync = () => {
    calls++;
    return sync();
  };
  try {
    const post = async (url: string, payload: object, status: number) => {
      const r = await t.app.inject({ method: 'POST', url, payload });
      assert.equal(r.statusCode, status, r.body);
    };
    await post('/v1/networks', { name: 'fw', ipam: { config: [{ subnet: '10.63.0.0/24' }] } }, 201);
    calls = 0;
    for (const name of ['plain', 'ported']) await post('/v1/sandboxes', { name }, 201);
    await post('/v1/networks/fw/connect', { sandbox: 'plain' }, 201);
    await post('/v1/networks/fw/disconnect', { sandbox: 'plain' }, 204);
    assert.equal(calls, 0, 'no sync for an endpoint without ports');
    await post('/v1/networks/fw/connect', { sandbox: 'ported', ports: [{ containerPort: 80, hostPort: 8081 }] }, 201);
    assert.equal(calls, 1, 'its ports go live with the join');
    assert.equal(firewallModel(t.controller.core.store, t.controller.core.registry).ports.length, 1);
    await post('/v1/networks/fw/disconnect', { sandbox: 'ported' }, 204);
    assert.equal(calls, 2, 'and go with the leave');
    assert.equal(firewallModel(t.controller.core.store, t.controller.core.registry).ports.length, 0);
  } finally {
    firewallSync.sync = sync;
    await t.close();
  }
});
