import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEtcdClient } from '../src/cluster/etcd/index.js';
import { keys } from '../src/cluster/keys.js';
import { createLossyProxy, type LossyProxy } from '../../test/helpers/etcd-lossy-proxy.js';
import { createTestEtcd, type TestEtcd } from '../../test/helpers/etcd.js';
import { buildClusterHost, type ClusterTestHost } from './helpers/cluster-app.js';

/**
 * etcd's answer to a write can be lost after the write committed (the leader changed, the member
 * died): the client then sends it again to another member, where it meets its own effect. A
 * create or a connect must still be done exactly once, and a create whose answer never came
 * must leave nothing claimed. The member the host asks first is a proxy that loses the answer
 * of one chosen transaction.
 */
type TxnBody = { success?: { request_put?: { key?: string } }[] };
const putKeys = (body: string): string[] => {
  try {
    const txn = JSON.parse(body) as TxnBody;
    return (txn.success ?? []).flatMap((op) => (op.request_put?.key ? [Buffer.from(op.request_put.key, 'base64').toString('utf8')] : []));
  } catch {
    return [];
  }
};
/** loses the answer of the first transaction that puts a key `pick` accepts; the others pass */
const loseFirstTxn = (pick: (key: string) => boolean) => {
  let lost = false;
  return (path: string, body: string) => {
    if (lost || path !== '/v3/kv/txn' || !putKeys(body).some(pick)) return false;
    lost = true;
    return true;
  };
};
const json = (payload: unknown) => ({ payload: payload as object, headers: { 'content-type': 'application/json' } });

describe('etcd answers lost after the commit (the client sends the write again to another member)', () => {
  let etcd: TestEtcd;
  const proxies: LossyProxy[] = [];
  const hosts: ClusterTestHost[] = [];
  const req = (h: ClusterTestHost, method: 'GET' | 'POST', url: string, payload?: unknown) => h.app.inject({ method, url, ...(payload === undefined ? {} : json(payload)) });
  const storeKeys = async (prefix: string) => {
    const c = createEtcdClient({ endpoints: [etcd.endpoint] });
    try {
      return (await c.range(prefix, { prefix: true })).kvs;
    } finally {
      c.close();
    }
  };
  /** a host whose first member is a proxy losing what `drop` picks; the real member second, unless `only` */
  async function hostBehind(drop: (path: string, body: string) => boolean, address: string, only = false) {
    const proxy = await createLossyProxy(etcd.endpoint, drop);
    proxies.push(proxy);
    const h = await buildClusterHost(only ? proxy.endpoint : `${proxy.endpoint},${etcd.endpoint}`, address);
    hosts.push(h);
    return { h, proxy };
  }

  before(async () => {
    etcd = await createTestEtcd();
  });
  after(async () => {
    for (const h of hosts) await h.close();
    for (const p of proxies) await p.close();
    await etcd?.cleanup();
  });

  it('a create whose claim committed but whose answer was lost is created once: 201, not "already exists"', async () => {
    const { h, proxy } = await hostBehind(loseFirstTxn((k) => k === keys.name('lost-create')), '192.0.2.1');
    const r = await req(h, 'POST', '/v1/networks', { name: 'lost-create', driver: 'overlay' });
    assert.equal(proxy.dropped, 1, 'the claim went through the proxy and its answer was lost');
    assert.equal(r.statusCode, 201, r.body);
    const names = await storeKeys(keys.name('lost-create'));
    assert.deepEqual(names.map((kv) => kv.value), [r.json().id]);
    assert.equal((await storeKeys(keys.networks)).filter((kv) => kv.key === keys.network(r.json().id)).length, 1);
    assert.equal((await req(h, 'GET', '/v1/networks/lost-create')).json().id, r.json().id);
  });

  it("a connect whose address claim committed but whose answer was lost gets that address, and no other address is held", async () => {
    const subnet = '10.61.0.0/24';
    const { h, proxy } = await hostBehind(loseFirstTxn((k) => k.startsWith(keys.addresses(subnet))), '192.0.2.2');
    const created = await req(h, 'POST', '/v1/networks', { name: 'lost-connect', driver: 'overlay', ipam: { config: [{ subnet }] } });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((await req(h, 'POST', '/v1/sandboxes', { name: 's1' })).statusCode, 201);
    const c = await req(h, 'POST', '/v1/networks/lost-connect/connect', { sandbox: 's1' });
    assert.equal(proxy.dropped, 1, 'the address claim went through the proxy and its answer was lost');
    assert.equal(c.statusCode, 201, c.body);
    assert.equal(c.json().ipv4Address, '10.61.0.2/24');
    const held = await storeKeys(keys.addresses(subnet));
    assert.deepEqual(held.map((kv) => kv.key), [keys.address(subnet, '10.61.0.2')]);
    assert.equal(JSON.parse(held[0]!.value).ownerId, c.json().id);
  });

  it('a create whose answer never came (etcd unavailable) gives back a claim that committed: the name is free again', async () => {
    const { h, proxy } = await hostBehind(loseFirstTxn((k) => k === keys.name('lost-all')), '192.0.2.3', true);
    const r = await req(h, 'POST', '/v1/networks', { name: 'lost-all', driver: 'overlay' });
    assert.equal(proxy.dropped, 1);
    assert.equal(r.statusCode, 503, r.body);
    assert.equal(r.json().code, 'PB_ERR_CLUSTER_UNAVAILABLE');
    assert.deepEqual(await storeKeys(keys.name('lost-all')), []);
    const again = await req(h, 'POST', '/v1/networks', { name: 'lost-all', driver: 'overlay' });
    assert.equal(again.statusCode, 201, again.body);
    assert.deepEqual((await storeKeys(keys.name('lost-all'))).map((kv) => kv.value), [again.json().id]);
  });
});
