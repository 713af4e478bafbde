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
