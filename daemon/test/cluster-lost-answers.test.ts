import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEtcdClient } from '../src/cluster/etcd/index.js';
import { keys } from '../src/cluster/keys.js';
import { createLossyProxy, type LossyProxy, type ProxyFate } from '../../test/helpers/etcd-lossy-proxy.js';
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
  return (path: string, body: string): ProxyFate => {
    if (lost || path !== '/v3/kv/txn' || !putKeys(body).some(pick)) return 'pass';
    lost = true;
    return 'lose-answer';
  };
};
const waitFor = async (what: string, cond: () => Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
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
  async function hostBehind(drop: (path: string, body: string) => ProxyFate, address: string, only = false) {
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

  it("an adoption of a RequestAddress's address whose answer was lost is an adoption all the same", async () => {
    const subnet = '10.62.0.0/24';
    const address = '10.62.0.250';
    let puts = 0;
    // the first write of the address is the RequestAddress's claim; the second, the adoption, loses its answer
    const drop = (path: string, body: string): ProxyFate => (path === '/v3/kv/txn' && putKeys(body).includes(keys.address(subnet, address)) && ++puts === 2 ? 'lose-answer' : 'pass');
    const { h, proxy } = await hostBehind(drop, '192.0.2.6');
    assert.equal((await req(h, 'POST', '/v1/networks', { name: 'lost-adopt', driver: 'overlay', ipam: { config: [{ subnet }] } })).statusCode, 201);
    const [pool] = (await h.cluster.ipamStore.pools()).filter((p) => p.subnet === subnet);
    assert.ok(pool);
    await h.cluster.ipamStore.claimAddresses([{ poolId: pool.id, address, kind: 'address', owner: 'docker' }]);
    assert.equal(await h.cluster.ipamStore.adoptAddress(pool.id, address, { kind: 'endpoint', owner: 'ep', ownerId: 'e1' }), true);
    assert.equal(proxy.dropped, 1, "the adoption's answer was lost");
    assert.deepEqual(await h.cluster.ipamStore.allocation(pool.id, address), { poolId: pool.id, address, kind: 'endpoint', owner: 'ep', ownerId: 'e1' });
  });

  it('a create whose answer never came (etcd unavailable) gives back a claim that committed: the name is free again', async () => {
    const { h, proxy } = await hostBehind(loseFirstTxn((k) => k === keys.name('lost-all')), '192.0.2.3', true);
    const r = await req(h, 'POST', '/v1/networks', { name: 'lost-all', driver: 'overlay' });
    assert.equal(proxy.dropped, 1);
    assert.equal(r.statusCode, 503, r.body);
    assert.equal(r.json().code, 'PB_ERR_CLUSTER_UNAVAILABLE');
    await waitFor('the claim given back', async () => (await storeKeys(keys.name('lost-all'))).length === 0);
    const again = await req(h, 'POST', '/v1/networks', { name: 'lost-all', driver: 'overlay' });
    assert.equal(again.statusCode, 201, again.body);
    assert.deepEqual((await storeKeys(keys.name('lost-all'))).map((kv) => kv.value), [again.json().id]);
  });

  it('a claim whose answer was lost while etcd stays unreachable a while is given back once etcd answers, and never mirrored here', async () => {
    let lostAt = 0;
    const outageMs = 1500;
    const drop = (path: string, body: string): ProxyFate => {
      if (lostAt === 0) {
        if (path !== '/v3/kv/txn' || !putKeys(body).includes(keys.name('lost-late'))) return 'pass';
        lostAt = Date.now();
        return 'lose-answer';
      }
      // then every read and write is lost for a while (the watch's stream stays open)
      return path.startsWith('/v3/kv/') && Date.now() - lostAt < outageMs ? 'lose-answer' : 'pass';
    };
    const { h, proxy } = await hostBehind(drop, '192.0.2.4', true);
    const mirrored: string[] = [];
    const unsubscribe = h.controller.changes.subscribe((c) => void (c.type === 'network.created' && c.network.name === 'lost-late' && mirrored.push(c.network.name)));
    const r = await req(h, 'POST', '/v1/networks', { name: 'lost-late', driver: 'overlay' });
    assert.equal(r.statusCode, 503, r.body);
    const id = await waitFor('the claim committed', async () => (await storeKeys(keys.name('lost-late'))).length === 1).then(async () => (await storeKeys(keys.name('lost-late')))[0]!.value);
    assert.ok(Date.now() - lostAt < outageMs, 'the claim was seen before the outage ended');
    await waitFor('the claim given back', async () => (await storeKeys(keys.name('lost-late'))).length === 0);
    assert.ok(Date.now() - lostAt >= outageMs, 'given back only once etcd answered');
    assert.ok(proxy.dropped > 1, 'the first give-backs were lost too');
    assert.deepEqual(await storeKeys(keys.network(id)), []);
    assert.equal((await req(h, 'GET', '/v1/networks/lost-late')).statusCode, 404);
    unsubscribe();
    assert.deepEqual(mirrored, [], 'the watch saw the claim, and gave it back rather than mirror it');
    assert.equal((await req(h, 'POST', '/v1/networks', { name: 'lost-late', driver: 'overlay' })).statusCode, 201);
  });

  it('a claim that commits only after its create gave up (and found nothing to give back) is given back when the watch brings it, not mirrored', async () => {
    let sentAt = 0;
    const lateMs = 1000;
    const drop = (path: string, body: string): ProxyFate => {
      if (sentAt !== 0 || path !== '/v3/kv/txn' || !putKeys(body).includes(keys.name('lost-later'))) return 'pass';
      sentAt = Date.now();
      return lateMs;
    };
    const { h, proxy } = await hostBehind(drop, '192.0.2.5', true);
    const mirrored: string[] = [];
    const unsubscribe = h.controller.changes.subscribe((c) => void (c.type === 'network.created' && c.network.name === 'lost-later' && mirrored.push(c.network.name)));
    const r = await req(h, 'POST', '/v1/networks', { name: 'lost-later', driver: 'overlay' });
    assert.equal(r.statusCode, 503, r.body);
    assert.ok(Date.now() - sentAt < lateMs, 'the create failed before its claim reached etcd');
    // the give-back may follow the commit faster than a poll of etcd: etcd's answer to the late claim says it committed
    await waitFor('the late claim carried out', async () => proxy.lateAnswers.length === 1);
    assert.equal((JSON.parse(proxy.lateAnswers[0]!) as { succeeded?: boolean }).succeeded, true, proxy.lateAnswers[0]);
    await waitFor('the late claim given back', async () => (await storeKeys(keys.name('lost-later'))).length === 0);
    assert.equal((await req(h, 'GET', '/v1/networks/lost-later')).statusCode, 404);
    unsubscribe();
    assert.deepEqual(mirrored, [], 'never mirrored here');
  });
});
