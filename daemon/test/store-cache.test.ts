import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStore, openDb } from '../src/store/index.js';
import type { NetworkRecord } from '../src/store/index.js';

const network = (id: string): NetworkRecord => ({
  id,
  name: `net-${id}`,
  driver: 'bridge',
  created: 'x',
  internal: false,
  attachable: false,
  enableIPv6: false,
  predefined: false,
  ipamDriver: 'default',
  ipamOptions: {},
  options: { 'com.docker.network.bridge.name': `br-${id}` },
  labels: {},
  driverState: {},
  state: 'creating',
});

function storeWithNetwork() {
  const store = createStore(openDb(':memory:'));
  store.insertNetwork(network('n1'));
  const pool = store.insertPool({ networkId: 'n1', family: 4, subnet: '10.0.0.0/24', gateway: '10.0.0.1', aux: {}, serial: false, userConfigured: true });
  return { store, pool };
}

describe('store: networks and pools read once until a write', () => {
  it('hands out frozen records: nothing a caller does changes what the next one reads', () => {
    const { store } = storeWithNetwork();
    const a = store.networkById('n1')!;
    assert.equal(store.networkById('n1'), a, 'the same decoded record');
    assert.throws(() => ((a as { name: string }).name = 'x'), TypeError);
    assert.throws(() => ((a.options as Record<string, string>).x = 'y'), TypeError);
    const pools = store.poolsOf('n1');
    pools.push(pools[0]!);
    assert.equal(store.poolsOf('n1').length, 1, 'a fresh array each time');
    assert.throws(() => ((pools[0] as { gateway: string }).gateway = 'z'), TypeError);
    assert.equal(store.networkById('none'), undefined);
  });

  it('the store\'s own writes are read back', () => {
    const { store } = storeWithNetwork();
    assert.equal(store.networkById('n1')!.state, 'creating');
    store.setNetworkDriverState('n1', { bridge: 'br-n1' });
    assert.deepEqual(store.networkById('n1')!.driverState, { bridge: 'br-n1' });
    store.setNetworkState('n1', 'ready');
    assert.equal(store.networkById('n1')!.state, 'ready');
    assert.equal(store.poolsOf('n1').length, 1);
    store.insertPool({ networkId: 'n1', family: 6, subnet: 'fd00::/64', aux: {}, serial: false, userConfigured: true });
    assert.equal(store.poolsOf('n1').length, 2);
    store.deleteNetwork('n1');
    assert.equal(store.networkById('n1'), undefined);
  });

  it('writes through store.prepare (the IPAM stores) are read back', () => {
    const { store, pool } = storeWithNetwork();
    assert.equal(store.poolsOf('n1')[0]!.gateway, '10.0.0.1');
    store.prepare('UPDATE pools SET gateway = ? WHERE id = ?').run('10.0.0.254', pool);
    assert.equal(store.poolsOf('n1')[0]!.gateway, '10.0.0.254');
    store.prepare('  delete   from pools WHERE id = ?').run(pool);
    assert.deepEqual(store.poolsOf('n1'), []);
    store.prepare(`UPDATE networks SET name = 'renamed' WHERE id = ?`).run('n1');
    assert.equal(store.networkById('n1')!.name, 'renamed');
    // a write with RETURNING runs through get()
    assert.deepEqual(store.prepare(`UPDATE networks SET name = 'again' WHERE id = ? RETURNING name`).get('n1'), { name: 'again' });
    assert.equal(store.networkById('n1')!.name, 'again');
  });

  it('a transaction that rolls back leaves no read of its own behind', () => {
    const { store } = storeWithNetwork();
    assert.equal(store.networkById('n1')!.state, 'creating');
    assert.throws(() =>
      store.tx(() => {
        store.setNetworkState('n1', 'ready');
        assert.equal(store.networkById('n1')!.state, 'ready', 'read inside the transaction');
        throw new Error('refused');
      }),
    );
    assert.equal(store.networkById('n1')!.state, 'creating', 'the committed row again');
  });
});
