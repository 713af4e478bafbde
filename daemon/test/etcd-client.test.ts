import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PatchbayError } from '@patchbay/errors';
import { pino } from 'pino';
import { createEtcdClient, keepLease, watchPrefix, type EtcdClient, type WatchEvent } from '../src/cluster/etcd/index.js';
import { createTestEtcd, freePort, type TestEtcd } from '../../test/helpers/etcd.js';

/** The JSON-gateway client against a real etcd (Debian etcd-server) on 127.0.0.1, random ports. */
const log = pino({ level: 'silent' });
const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('etcd client over the JSON gateway', () => {
  let etcd: TestEtcd;
  let c: EtcdClient;
  before(async () => {
    etcd = await createTestEtcd();
    c = createEtcdClient({ endpoints: [etcd.endpoint] });
  });
  after(async () => {
    c?.close();
    await etcd?.cleanup();
  });

  it('puts, gets and lists a prefix (keys and values are UTF-8, not base64, to the caller)', async () => {
    await c.put('/t/a/1', 'één');
    await c.put('/t/a/2', '{"x":2}');
    await c.put('/t/b', 'other');
    assert.equal((await c.get('/t/a/1'))?.value, 'één');
    const { kvs, revision } = await c.range('/t/a/', { prefix: true });
    assert.deepEqual(kvs.map((k) => [k.key, k.value]), [['/t/a/1', 'één'], ['/t/a/2', '{"x":2}']]);
    assert.ok(revision >= 3);
    assert.equal(await c.get('/t/none'), undefined);
    assert.equal(await c.delete('/t/a/', { prefix: true }), 2);
    assert.deepEqual((await c.range('/t/a/', { prefix: true })).kvs, []);
  });

  it('a create-if-absent transaction succeeds once; the loser sees the winner in its failure branch', async () => {
    const claim = (who: string) => c.txn([{ key: '/t/claim', target: 'create', equals: 0 }], [{ put: '/t/claim', value: who }], [{ range: '/t/claim' }]);
    const results = await Promise.all(['h1', 'h2', 'h3', 'h4'].map(claim));
    assert.equal(results.filter((r) => r.succeeded).length, 1);
    const winner = (await c.get('/t/claim'))!.value;
    for (const r of results.filter((x) => !x.succeeded)) assert.equal(r.ranges[0]![0]!.value, winner);
  });

  it('a prefix compare on mod revisions detects a key added under the prefix since a read', async () => {
    const { revision } = await c.range('/t/subnets/', { prefix: true });
    const guard = [{ key: '/t/subnets/', prefix: true, target: 'mod' as const, op: 'less' as const, revision: revision + 1 }];
    assert.equal((await c.txn(guard, [{ put: '/t/subnets/10.0.0.0-24', value: 'n1' }])).succeeded, true);
    // the same read revision again: the prefix changed since, so the guard fails
    assert.equal((await c.txn(guard, [{ put: '/t/subnets/10.0.0.0-16', value: 'n2' }])).succeeded, false);
    assert.equal(await c.get('/t/subnets/10.0.0.0-16'), undefined);
  });

  it('a key under a lease disappears when the lease is revoked, and stays while it is kept alive', async () => {
    const lease = await c.leaseGrant(2);
    await c.put('/t/leased', 'x', { lease: lease.id });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 800));
      assert.ok((await c.leaseKeepAlive(lease.id)) > 0);
    }
    assert.equal((await c.get('/t/leased'))?.value, 'x', 'kept alive past its TTL');
    await c.leaseRevoke(lease.id);
    assert.equal(await c.get('/t/leased'), undefined);
    assert.equal(await c.leaseKeepAlive(lease.id), 0, 'a revoked lease reports TTL 0');
    await c.leaseRevoke(lease.id); // already gone: success
  });

  it('a put under a lease that does not exist is refused with etcd\'s error, not retried', async () => {
    await assert.rejects(c.put('/t/x', 'y', { lease: '12345' }), /lease not found/);
  });

  it('moves on to the next member when the first does not answer', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const two = createEtcdClient({ endpoints: [dead, etcd.endpoint] });
    try {
      await two.put('/t/failover', 'ok');
      assert.equal((await two.get('/t/failover'))?.value, 'ok');
    } finally {
      two.close();
    }
  });
});

describe('etcd client when etcd goes away and comes back', () => {
  let etcd: TestEtcd;
  let c: EtcdClient;
  before(async () => {
    etcd = await createTestEtcd();
    c = createEtcdClient({ endpoints: [etcd.endpoint], timeoutMs: 1000 });
  });
  after(async () => {
    c?.close();
    await etcd?.cleanup();
  });

  it('fails fast with PB_ERR_CLUSTER_UNAVAILABLE while down, works again when back; a watch resumes without loss or duplicates', async () => {
    const seen: WatchEvent[] = [];
    let resyncs = 0;
    const w = watchPrefix(c, {
      prefix: '/w/',
      log,
      resync: async () => {
        resyncs++;
        return (await c.range('/w/', { prefix: true })).revision;
      },
      onEvents: (events) => void seen.push(...events),
    });
    await w.ready;
    await c.put('/w/1', 'a');
    await waitFor('the first event', () => seen.length === 1);

    await etcd.stop('SIGKILL');
    const t0 = Date.now();
    const err = await c.put('/w/2', 'b').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof PatchbayError && err.code === 'PB_ERR_CLUSTER_UNAVAILABLE', String(err));
    assert.ok(Date.now() - t0 < 1500, `failed within the request timeout (${Date.now() - t0} ms)`);

    await etcd.start();
    const back = Date.now();
    await c.put('/w/2', 'b');
    await c.put('/w/3', 'c');
    await waitFor('events after the restart', () => seen.length >= 3);
    const resumedMs = Date.now() - back;
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(seen.map((e) => `${e.type} ${e.kv.key}=${e.kv.value}`), ['put /w/1=a', 'put /w/2=b', 'put /w/3=c']);
    assert.equal(resyncs, 1, 'resumed from its revision, no resync');
    assert.ok(resumedMs < 3000, `resumed in ${resumedMs} ms`);
    w.stop();
  });

  it('resyncs from a full list when the revision to resume from was compacted', async () => {
    const state = new Map<string, string>();
    let resyncs = 0;
    const w = watchPrefix(c, {
      prefix: '/r/',
      log,
      resync: async () => {
        resyncs++;
        const { kvs, revision } = await c.range('/r/', { prefix: true });
        state.clear();
        for (const kv of kvs) state.set(kv.key, kv.value);
        if (resyncs === 1) {
          // history moves on and is compacted between the list and the watch
          await c.put('/r/a', '1');
          await c.delete('/r/a');
          const rev = await c.put('/r/b', '2');
          await fetch(`http://${etcd.endpoint}/v3/kv/compaction`, { method: 'POST', body: JSON.stringify({ revision: String(rev) }) });
        }
        return revision;
      },
      onEvents: (events) => {
        for (const e of events) e.type === 'put' ? state.set(e.kv.key, e.kv.value) : state.delete(e.kv.key);
      },
    });
    try {
      await w.ready;
      await waitFor('the resync', () => resyncs === 2 && state.get('/r/b') === '2');
      assert.deepEqual([...state], [['/r/b', '2']]);
      await c.put('/r/c', '3');
      await waitFor('an event after the resync', () => state.get('/r/c') === '3');
    } finally {
      w.stop();
    }
  });

  it('a lease keeper renews through an outage shorter than the TTL and grants a new lease (re-publishing) after a longer one', async () => {
    const granted: string[] = [];
    const keeper = keepLease(c, {
      ttlSeconds: 2,
      log,
      retryMs: 100,
      onGranted: async (id) => {
        granted.push(id);
        await c.put('/l/me', 'here', { lease: id });
      },
    });
    await keeper.ready;
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(granted.length, 1, 'renewed, not re-granted');
    assert.equal((await c.get('/l/me'))?.value, 'here');
    // etcd restarted: it extends every lease's TTL, so the keeper renews the same one
    await etcd.stop('SIGKILL');
    await etcd.start();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(granted.length, 1);
    // the lease revoked behind its back (as if it expired): a new one, and the key is back
    await c.leaseRevoke(granted[0]!);
    await waitFor('a new lease', () => granted.length === 2);
    await waitFor('the key re-published', async () => (await c.get('/l/me'))?.lease === granted[1]);
    assert.equal(keeper.id(), granted[1]);
    await keeper.stop({ revoke: true });
    assert.equal(await c.get('/l/me'), undefined, 'revoked on stop');
  });
});
