import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createBuiltinRegistry } from '@patchbay/drivers';
import { parseFlags } from '../src/config.js';
import { createEtcdClient } from '../src/cluster/etcd/index.js';
import { createTestEtcd, createTestEtcdCluster, type TestEtcd, type TestEtcdCluster } from '../../test/helpers/etcd.js';
import { buildClusterHost, type ClusterTestHost } from './helpers/cluster-app.js';
import { buildTestApp } from './helpers/native-app.js';

/**
 * Two hosts (controllers on fake kernels) following one real etcd on loopback: global networks
 * claimed in one transaction and mirrored on every host, addresses allocated in etcd, peers
 * programmed from the watch, and the failures: etcd away, a claim whose kernel work fails, a
 * claim whose host died before the kernel work.
 */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000, lastSeen?: () => string): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as Exclude<T, false | undefined>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastSeen ? `; last seen: ${lastSeen()}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const json = (payload: unknown) => ({ payload: payload as object, headers: { 'content-type': 'application/json' } });

describe('cluster flags', () => {
  it('--cluster-store needs --cluster-advertise, an etcd:// URL of HOST:PORT members, and cert with key', () => {
    assert.throws(() => parseFlags(['--cluster-store', 'etcd://127.0.0.1:2379']), /needs --cluster-advertise/);
    assert.throws(() => parseFlags(['--cluster-store', 'http://127.0.0.1:2379', '--cluster-advertise', 'eth0']), /want etcd:\/\/HOST:PORT/);
    assert.throws(() => parseFlags(['--cluster-store', 'etcd://a:1,b', '--cluster-advertise', 'eth0']), /want etcd:\/\/HOST:PORT/);
    assert.throws(() => parseFlags(['--cluster-advertise', 'eth0']), /need --cluster-store/);
    assert.throws(() => parseFlags(['--cluster-store', 'etcd://a:1', '--cluster-advertise', 'eth0', '--cluster-store-cert', '/c']), /go together/);
    assert.throws(() => parseFlags(['--cluster-store', 'etcd://a:1', '--cluster-advertise', 'eth0', '--cluster-lease-ttl', '1']), /cluster-lease-ttl/);
    const ok = parseFlags(['--cluster-store', 'etcd://10.0.0.1:2379,[fd00::1]:2379', '--cluster-advertise', '192.0.2.1']);
    assert.equal(ok.clusterAdvertise, '192.0.2.1');
    assert.equal(ok.clusterLeaseTtl, 15);
  });

  it('without them there is no overlay driver and nothing else changes', async () => {
    assert.ok(!createBuiltinRegistry().names().includes('overlay'));
    const t = await buildTestApp(['--bridge', 'none']);
    try {
      const r = await t.app.inject({ method: 'POST', url: '/v1/networks', ...json({ name: 'ov', driver: 'overlay' }) });
      assert.equal(r.statusCode, 400, r.body);
      assert.match(r.json().message, /plugin "overlay" not found/);
    } finally {
      await t.close();
    }
  });
});

describe('overlay networks on two hosts and one etcd (fake kernels)', () => {
  let etcd: TestEtcd;
  let a: ClusterTestHost;
  let b: ClusterTestHost;
  const req = (h: ClusterTestHost, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    h.app.inject({ method, url, ...(payload === undefined ? {} : json(payload)) });
  const vxlanOf = async (h: ClusterTestHost, id: string) => h.kernel.link(null, `pbx${id.slice(0, 12)}`);
  const peersOf = async (h: ClusterTestHost, id: string) => {
    const dev = `pbx${id.slice(0, 12)}`;
    const [neigh, fdb] = await Promise.all([h.kernel.neighbors(null), h.kernel.fdb(null)]);
    return { neigh: neigh.filter((n) => n.dev === dev).map((n) => `${n.address} ${n.mac}`).sort(), fdb: fdb.filter((f) => f.dev === dev).map((f) => `${f.mac} ${f.dst}`).sort() };
  };
  const keysUnder = async (prefix: string) => {
    const c = createEtcdClient({ endpoints: [etcd.endpoint] });
    try {
      return (await c.range(prefix, { prefix: true })).kvs.map((kv) => kv.key);
    } finally {
      c.close();
    }
  };
  async function connect(h: ClusterTestHost, network: string, name: string) {
    assert.equal((await req(h, 'POST', '/v1/sandboxes', { name })).statusCode, 201);
    const r = await req(h, 'POST', `/v1/networks/${network}/connect`, { sandbox: name });
    assert.equal(r.statusCode, 201, r.body);
    return r.json() as { ipv4Address: string; macAddress: string };
  }

  before(async () => {
    etcd = await createTestEtcd();
    a = await buildClusterHost(etcd.endpoint, '192.0.2.1', ['--cluster-lease-ttl', '2']);
    b = await buildClusterHost(etcd.endpoint, '192.0.2.2', ['--cluster-lease-ttl', '2']);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await etcd?.cleanup();
  });

  let netId = '';
  it('a network created on one host is mirrored on the other: same id and pool, its own bridge and vxlan (its VTEP, MTU 1450)', async () => {
    const r = await req(a, 'POST', '/v1/networks', { name: 'ov', driver: 'overlay', ipam: { config: [{ subnet: '10.60.0.0/24' }] } });
    assert.equal(r.statusCode, 201, r.body);
    netId = r.json().id;
    assert.equal(r.json().scope, 'global');
    const seen = (await waitFor('ov on b', async () => ((await req(b, 'GET', '/v1/networks/ov')).statusCode === 200 ? (await req(b, 'GET', '/v1/networks/ov')).json() : undefined))) as {
      id: string;
      ipam: { config: unknown[] };
    };
    assert.equal(seen.id, netId);
    assert.deepEqual(seen.ipam.config, [{ subnet: '10.60.0.0/24', gateway: '10.60.0.1' }]);
    for (const h of [a, b]) {
      const vx = await vxlanOf(h, netId);
      assert.deepEqual([vx?.vxlan?.vni, vx?.vxlan?.dstport, vx?.vxlan?.local, vx?.vxlan?.learning, vx?.vxlan?.proxy, vx?.mtu, vx?.master], [4096, 4789, h.address, false, true, 1450, `pbo${netId.slice(0, 12)}`]);
    }
  });

  it('names, VNIs and subnets are unique cluster-wide: 409 for the name, 403 for an overlapping subnet, 403 for a used VNI', async () => {
    assert.equal((await req(b, 'POST', '/v1/networks', { name: 'ov', driver: 'overlay' })).statusCode, 409);
    const overlap = await req(b, 'POST', '/v1/networks', { name: 'ov2', driver: 'overlay', ipam: { config: [{ subnet: '10.60.0.128/25' }] } });
    assert.equal(overlap.statusCode, 403, overlap.body);
    assert.equal(overlap.json().code, 'PB_ERR_POOL_OVERLAP');
    const vni = await req(b, 'POST', '/v1/networks', { name: 'ov3', driver: 'overlay', options: { 'com.docker.network.driver.overlay.vxlanid_list': '4096' } });
    assert.equal(vni.statusCode, 403, vni.body);
    assert.match(vni.json().message, /VXLAN id 4096 is already used/);
    assert.equal((await req(b, 'GET', '/v1/networks/ov2')).statusCode, 404, 'a refused create leaves nothing');
    assert.equal((await req(b, 'POST', '/v1/networks', { name: 'v6', driver: 'overlay', enableIPv6: true, ipam: { config: [{ subnet: 'fd00:1::/64' }] } })).statusCode, 400);
    const local = await req(b, 'POST', '/v1/networks', { name: 'lb', driver: 'bridge', ipam: { config: [{ subnet: '10.60.0.0/25' }] } });
    assert.equal(local.statusCode, 403, 'a local network cannot take a subnet a global one uses on this host');
    assert.equal(local.json().code, 'PB_ERR_POOL_OVERLAP');
  });

  it('endpoints on each host are programmed on the other: neighbour (IP → MAC) and FDB (MAC → VTEP) entries; none for its own', async () => {
    const ea = await connect(a, 'ov', 'sa');
    const eb = await connect(b, 'ov', 'sb');
    const ipA = ea.ipv4Address.split('/')[0]!;
    const ipB = eb.ipv4Address.split('/')[0]!;
    await waitFor('b programs a', async () => (await peersOf(b, netId)).neigh.length === 1);
    await waitFor('a programs b', async () => (await peersOf(a, netId)).neigh.length === 1);
    assert.deepEqual(await peersOf(a, netId), { neigh: [`${ipB} ${eb.macAddress}`], fdb: [`${eb.macAddress} 192.0.2.2`] });
    assert.deepEqual(await peersOf(b, netId), { neigh: [`${ipA} ${ea.macAddress}`], fdb: [`${ea.macAddress} 192.0.2.1`] });
  });

  it('an address a RequestAddress holds in etcd is adopted by an endpoint (kind and owner change, the host stays), once, and only that kind', async () => {
    const store = a.cluster.ipamStore;
    const [pool] = (await store.pools()).filter((p) => p.networkId === netId);
    assert.ok(pool, 'the overlay pool is mirrored on a');
    const address = pool.subnet.replace(/\.0\/24$/, '.250');
    await store.claimAddresses([{ poolId: pool.id, address, kind: 'address', owner: 'docker' }]);
    assert.equal(await store.adoptAddress(pool.id, address, { kind: 'endpoint', owner: 'ep', ownerId: 'e1' }), true);
    assert.deepEqual(await store.allocation(pool.id, address), { poolId: pool.id, address, kind: 'endpoint', owner: 'ep', ownerId: 'e1' });
    // an endpoint's address is not a RequestAddress's: no second adoption, nor of a free address
    assert.equal(await store.adoptAddress(pool.id, address, { kind: 'endpoint', owner: 'other', ownerId: 'e2' }), false);
    assert.equal(await store.adoptAddress(pool.id, pool.subnet.replace(/\.0\/24$/, '.251'), { kind: 'endpoint', owner: 'other', ownerId: 'e2' }), false);
    await store.releaseAddresses([{ poolId: pool.id, address, ownerId: 'e1' }]);
    assert.equal(await store.allocation(pool.id, address), undefined);
  });

  it('concurrent connects on both hosts get distinct addresses (allocated in etcd, create-if-absent per address)', async () => {
    const per = 25;
    for (const h of [a, b]) for (let i = 0; i < per; i++) assert.equal((await req(h, 'POST', '/v1/sandboxes', { name: `c${h.address}-${i}` })).statusCode, 201);
    const results = await Promise.all([a, b].flatMap((h) => Array.from({ length: per }, (_, i) => req(h, 'POST', '/v1/networks/ov/connect', { sandbox: `c${h.address}-${i}` }))));
    for (const r of results) assert.equal(r.statusCode, 201, r.body);
    const ips = results.map((r) => r.json().ipv4Address as string);
    assert.equal(new Set(ips).size, 2 * per);
    for (const h of [a, b]) for (let i = 0; i < per; i++) assert.equal((await req(h, 'DELETE', `/v1/sandboxes/c${h.address}-${i}`)).statusCode, 204);
    await waitFor('the peers of the removed endpoints gone', async () => (await peersOf(a, netId)).neigh.length === 1 && (await peersOf(b, netId)).neigh.length === 1);
  });

  it('a delete while another host has an endpoint is refused (403); once it left, a delete on any host removes it everywhere, etcd keys and kernel objects', async () => {
    const refused = await req(b, 'DELETE', '/v1/networks/ov');
    assert.equal(refused.statusCode, 403, refused.body);
    assert.equal((await req(b, 'POST', '/v1/networks/ov/disconnect', { sandbox: 'sb' })).statusCode, 204);
    const still = await req(b, 'DELETE', '/v1/networks/ov');
    assert.equal(still.statusCode, 403, 'a still has its endpoint');
    assert.equal((await req(a, 'POST', '/v1/networks/ov/disconnect', { sandbox: 'sa' })).statusCode, 204);
    const gone = await req(b, 'DELETE', '/v1/networks/ov');
    assert.equal(gone.statusCode, 204, gone.body);
    await waitFor('ov gone on a', async () => (await req(a, 'GET', '/v1/networks/ov')).statusCode === 404);
    await waitFor('a kernel objects gone', async () => (await vxlanOf(a, netId)) === undefined);
    assert.deepEqual(await keysUnder('/patchbay/v1/'), []);
  });

  it('the Docker API: networks/create with Driver overlay, inspect shows Scope global on the other host', async () => {
    const r = await req(a, 'POST', '/networks/create', { Name: 'dov', Driver: 'overlay', IPAM: { Config: [{ Subnet: '10.61.0.0/24' }] } });
    assert.equal(r.statusCode, 201, r.body);
    const id = r.json().Id as string;
    const seen = (await waitFor('dov on b', async () => {
      const x = await req(b, 'GET', `/networks/${id}`);
      return x.statusCode === 200 ? x.json() : undefined;
    })) as { Scope: string; Driver: string };
    assert.equal(seen.Scope, 'global');
    assert.equal(seen.Driver, 'overlay');
    assert.equal((await req(b, 'DELETE', `/networks/${id}`)).statusCode, 204);
  });

  it('a create whose kernel work fails gives its claim back: nothing in etcd, nothing on either host', async () => {
    a.kernel.failNext((call) => call.method === 'ip' && JSON.stringify(call.args).includes('vxlan.add'));
    assert.deepEqual(await keysUnder('/patchbay/v1/'), [], 'etcd holds no network before');
    const r = await req(a, 'POST', '/v1/networks', { name: 'broken', driver: 'overlay' });
    assert.equal(r.statusCode, 500, r.body);
    assert.deepEqual(await keysUnder('/patchbay/v1/'), []);
    assert.equal((await req(a, 'GET', '/v1/networks/broken')).statusCode, 404);
    // b may have mirrored the claim while it stood: its copy goes when the watch says the claim went
    await waitFor('no broken on b', async () => (await req(b, 'GET', '/v1/networks/broken')).statusCode === 404);
    assert.deepEqual((await b.kernel.links(null)).map((l) => l.name).filter((n) => n.startsWith('pbx')), []);
    assert.deepEqual((await a.kernel.links(null)).map((l) => l.name).filter((n) => n.startsWith('pbo') || n.startsWith('pbx')), []);
  });

  it('a claim whose host died before its kernel work stands: every host, the claimer too, mirrors it through the watch', async () => {
    const claimed = await a.cluster.port.networks.claim(
      { id: 'f'.repeat(64), name: 'orphaned', driver: 'overlay', created: new Date().toISOString(), internal: false, attachable: false, enableIPv6: false, ipamDriver: 'default', ipamOptions: {}, options: {}, labels: {} },
      [],
    );
    for (const h of [a, b]) await waitFor(`orphaned on ${h.address}`, async () => (await req(h, 'GET', '/v1/networks/orphaned')).statusCode === 200);
    assert.equal((await req(b, 'GET', '/v1/networks/orphaned')).json().ipam.config[0].subnet, claimed.pools[0]!.subnet);
    assert.equal((await req(b, 'DELETE', '/v1/networks/orphaned')).statusCode, 204);
    await waitFor('orphaned gone on a', async () => (await req(a, 'GET', '/v1/networks/orphaned')).statusCode === 404);
  });

  it('etcd away: a global create is a fast 503 leaving nothing, a local bridge network works; etcd back: global creates work again', async () => {
    await etcd.stop('SIGKILL');
    const t0 = Date.now();
    const r = await req(a, 'POST', '/v1/networks', { name: 'later', driver: 'overlay' });
    assert.equal(r.statusCode, 503, r.body);
    assert.equal(r.json().code, 'PB_ERR_CLUSTER_UNAVAILABLE');
    assert.ok(Date.now() - t0 < 2000, `fast: ${Date.now() - t0} ms`);
    assert.equal((await req(a, 'GET', '/v1/networks/later')).statusCode, 404);
    const local = await req(a, 'POST', '/v1/networks', { name: 'loc', driver: 'bridge' });
    assert.equal(local.statusCode, 201, local.body);
    assert.equal((await connect(a, 'loc', 'l1')).ipv4Address.includes('/'), true);
    await etcd.start();
    const back = await waitFor('a global create', async () => {
      const x = await req(a, 'POST', '/v1/networks', { name: 'later', driver: 'overlay' });
      return x.statusCode === 201 ? x : undefined;
    });
    assert.equal(back.json().scope, 'global');
    await waitFor('later on b', async () => (await req(b, 'GET', '/v1/networks/later')).statusCode === 200);
  });
});

describe('overlay on a 3-member etcd cluster whose leader is killed (fake kernels)', () => {
  let etcd: TestEtcdCluster;
  let a: ClusterTestHost;
  let b: ClusterTestHost;
  const req = (h: ClusterTestHost, method: 'GET' | 'POST', url: string, payload?: unknown) => h.app.inject({ method, url, ...(payload === undefined ? {} : json(payload)) });
  before(async () => {
    etcd = await createTestEtcdCluster(3);
    a = await buildClusterHost(etcd.endpoints.join(','), '192.0.2.1');
    b = await buildClusterHost(etcd.endpoints.join(','), '192.0.2.2');
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await etcd?.cleanup();
  });

  it('creates, mirrors, connects and programs peers before and after the leader dies', async () => {
    assert.equal((await req(a, 'POST', '/v1/networks', { name: 'ha', driver: 'overlay' })).statusCode, 201);
    await waitFor('ha on b', async () => (await req(b, 'GET', '/v1/networks/ha')).statusCode === 200);
    for (const [h, n] of [[a, 'x1'], [b, 'y1']] as const) {
      assert.equal((await req(h, 'POST', '/v1/sandboxes', { name: n })).statusCode, 201);
      assert.equal((await req(h, 'POST', '/v1/networks/ha/connect', { sandbox: n })).statusCode, 201);
    }
    const leader = await etcd.leader();
    await etcd.kill(leader);
    const t0 = Date.now();
    let answer = '';
    const created = await waitFor(
      'a create after the leader died',
      async () => {
        const r = await req(b, 'POST', '/v1/networks', { name: 'ha2', driver: 'overlay' });
        answer = `${r.statusCode} ${r.body}`;
        return r.statusCode === 201 ? r : undefined;
      },
      10_000,
      () => answer,
    );
    console.log(`# global create works again ${Date.now() - t0} ms after the etcd leader was killed`);
    assert.equal(created.json().scope, 'global');
    await waitFor('ha2 on a', async () => (await req(a, 'GET', '/v1/networks/ha2')).statusCode === 200);
    for (const [h, n] of [[a, 'x2'], [b, 'y2']] as const) {
      assert.equal((await req(h, 'POST', '/v1/sandboxes', { name: n })).statusCode, 201);
      const c = await req(h, 'POST', '/v1/networks/ha/connect', { sandbox: n });
      assert.equal(c.statusCode, 201, c.body);
    }
    // each host ends up with the other's two endpoints programmed
    for (const h of [a, b]) {
      let seen: string[] = [];
      await waitFor(
        `peers on ${h.address}`,
        async () => {
          const ha = (await req(h, 'GET', '/v1/networks/ha')).json().id as string;
          seen = (await h.kernel.neighbors(null)).filter((x) => x.dev === `pbx${ha.slice(0, 12)}`).map((x) => x.address);
          return seen.length === 2;
        },
        10_000,
        () => seen.join(', ') || 'none',
      );
    }
  });
});

describe('overlay: a fault at every kernel mutation of a create and of a connect leaves nothing (kernel, store, etcd)', () => {
  let etcd: TestEtcd;
  let a: ClusterTestHost;
  const req = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => a.app.inject({ method, url, ...(payload === undefined ? {} : json(payload)) });
  const etcdKeys = async () => {
    const c = createEtcdClient({ endpoints: [etcd.endpoint] });
    try {
      return (await c.range('/patchbay/v1/', { prefix: true })).kvs.map((kv) => kv.key).sort();
    } finally {
      c.close();
    }
  };
  const rootLinks = async () => (await a.kernel.links(null)).map((l) => l.name).sort();
  before(async () => {
    etcd = await createTestEtcd();
    a = await buildClusterHost(etcd.endpoint, '192.0.2.1');
  });
  after(async () => {
    await a?.close();
    await etcd?.cleanup();
  });

  it('create', async () => {
    const before = { keys: await etcdKeys(), links: await rootLinks() };
    const m0 = a.faults.mutations();
    assert.equal((await req('POST', '/v1/networks', { name: 'probe', driver: 'overlay' })).statusCode, 201);
    const count = a.faults.mutations() - m0;
    assert.equal((await req('DELETE', '/v1/networks/probe')).statusCode, 204);
    await a.controller.settled();
    assert.ok(count >= 2, `a create mutates the kernel (${count})`);
    for (let n = 1; n <= count; n++) {
      a.faults.failAt(a.faults.mutations() + n);
      const r = await req('POST', '/v1/networks', { name: `fault-${n}`, driver: 'overlay' });
      assert.notEqual(r.statusCode, 201, `fault at mutation ${n}`);
      await a.controller.settled();
      const made = await req('GET', `/v1/networks/fault-${n}`);
      if (made.statusCode === 200) {
        // the fault hit after the commit (the firewall's per-bridge sysctls): the network is whole, here and in etcd
        const id = made.json().id as string;
        assert.ok((await etcdKeys()).includes(`/patchbay/v1/networks/${id}`), `in etcd after a fault at mutation ${n}`);
        assert.ok((await rootLinks()).includes(`pbx${id.slice(0, 12)}`), `its vxlan after a fault at mutation ${n}`);
        assert.equal((await req('DELETE', `/v1/networks/fault-${n}`)).statusCode, 204);
        await a.controller.settled();
      }
      assert.deepEqual(await etcdKeys(), before.keys, `etcd after a fault at mutation ${n}`);
      assert.deepEqual(await rootLinks(), before.links, `links after a fault at mutation ${n}`);
      assert.equal((await req('GET', `/v1/networks/fault-${n}`)).statusCode, 404);
    }
  });

  it('connect', async () => {
    assert.equal((await req('POST', '/v1/networks', { name: 'ov', driver: 'overlay' })).statusCode, 201);
    assert.equal((await req('POST', '/v1/sandboxes', { name: 'probe' })).statusCode, 201);
    const before = { keys: await etcdKeys(), links: await rootLinks() };
    const m0 = a.faults.mutations();
    assert.equal((await req('POST', '/v1/networks/ov/connect', { sandbox: 'probe' })).statusCode, 201);
    const count = a.faults.mutations() - m0;
    assert.equal((await req('POST', '/v1/networks/ov/disconnect', { sandbox: 'probe' })).statusCode, 204);
    await a.controller.settled();
    // the published peer goes in the background: wait until etcd is as before
    await waitFor('the probe withdrawn', async () => JSON.stringify(await etcdKeys()) === JSON.stringify(before.keys));
    for (let n = 1; n <= count; n++) {
      a.faults.failAt(a.faults.mutations() + n);
      const r = await req('POST', '/v1/networks/ov/connect', { sandbox: 'probe' });
      assert.notEqual(r.statusCode, 201, `fault at mutation ${n}`);
      await a.controller.settled();
      assert.deepEqual(await etcdKeys(), before.keys, `etcd after a fault at mutation ${n}: no address or peer left`);
      assert.deepEqual(await rootLinks(), before.links, `links after a fault at mutation ${n}`);
      assert.deepEqual((await req('GET', '/v1/networks/ov/endpoints')).json(), []);
    }
  });
  it("reconcile frees this host's addresses in etcd that no endpoint owns (a crash between the claim and the row), never another host's", async () => {
    const c = createEtcdClient({ endpoints: [etcd.endpoint] });
    try {
      const subnet = (await req('GET', '/v1/networks/ov')).json().ipam.config[0].subnet as string;
      const prefix = `/patchbay/v1/ipam/${subnet.replace('/', '_')}/`;
      const base = subnet.split('.').slice(0, 3).join('.');
      await c.put(`${prefix}${base}.200`, JSON.stringify({ kind: 'endpoint', owner: 'lost', ownerId: 'e'.repeat(64), host: a.cluster.hostId }));
      await c.put(`${prefix}${base}.201`, JSON.stringify({ kind: 'endpoint', owner: 'theirs', ownerId: 'd'.repeat(64), host: 'another-host' }));
      const check = await req('GET', '/v1/system/check');
      assert.ok(check.json().drifts.some((d: { kind: string; object: string }) => d.kind === 'orphan-allocation' && d.object.includes(`${base}.200`)), check.body);
      assert.ok(!check.json().drifts.some((d: { object: string }) => d.object.includes(`${base}.201`)), "another host's allocation is not this host's to judge");
      assert.equal((await req('POST', '/v1/system/reconcile')).statusCode, 200);
      assert.equal(await c.get(`${prefix}${base}.200`), undefined);
      assert.ok(await c.get(`${prefix}${base}.201`));
      await c.delete(`${prefix}${base}.201`);
    } finally {
      c.close();
    }
  });
});
