import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createFakeKernel } from '@patchbay/kernel';
import { createStore, openDb } from '../src/store/index.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { buildTestApp } from './helpers/native-app.js';
import { writeOldStore } from './helpers/old-store.js';

describe('store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pbstore-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates a new file to the current schema with WAL and foreign keys', () => {
    const db = openDb(join(dir, 'a.db'));
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    db.close();
  });

  it("finds a sandbox's endpoints and checks the sandboxes foreign key through one index on endpoints, with no index of its own", () => {
    const db = openDb(join(dir, 'idx.db'));
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'endpoints'").pluck().all();
    assert.ok(!indexes.includes('endpoints_sandbox'), 'the redundant endpoints(sandbox_id) index is gone');
    const plans = [
      db.prepare('EXPLAIN QUERY PLAN SELECT * FROM endpoints WHERE sandbox_id = ? ORDER BY if_index').all('x'),
      db.prepare('EXPLAIN QUERY PLAN DELETE FROM sandboxes WHERE id = ?').all('x'),
    ].map((rows) => (rows as { detail: string }[]).map((r) => r.detail).join('; '));
    for (const plan of plans) assert.match(plan, /SEARCH endpoints USING (COVERING )?INDEX \S+ \(sandbox_id=\?\)/, plan);
    assert.doesNotMatch(plans[0]!, /TEMP B-TREE/, 'if_index order comes from the index');
    db.close();
  });

  it('refuses a store from a newer patchbayd', () => {
    const path = join(dir, 'newer.db');
    const db = openDb(path);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => openDb(path), /newer than this patchbayd/);
  });

  it('an allocation is unique per pool and address', () => {
    const store = createStore(openDb(':memory:'));
    store.insertNetwork({ id: 'n1', name: 'n', driver: 'bridge', created: 'x', internal: false, attachable: false, enableIPv6: false, predefined: false, ipamDriver: 'default', ipamOptions: {}, options: {}, labels: {}, driverState: {}, state: 'ready' });
    const pool = store.insertPool({ networkId: 'n1', family: 4, subnet: '10.0.0.0/24', aux: {}, serial: false, userConfigured: true });
    store.insertAllocation({ poolId: pool, address: '10.0.0.2', kind: 'endpoint', owner: 'a' });
    assert.throws(() => store.insertAllocation({ poolId: pool, address: '10.0.0.2', kind: 'endpoint', owner: 'b' }), /UNIQUE/);
  });

  it('a restart (reopen) keeps networks, sandboxes, endpoints and allocations', async () => {
    const dbPath = join(dir, 'restart.db');
    const kernel = createFakeKernel();
    const first = await buildTestApp(['--bip', '10.210.0.1/24'], { kernel, dbPath });
    const sb = await first.app.inject({ method: 'POST', url: '/v1/sandboxes', payload: { name: 's1' } });
    await first.app.inject({ method: 'POST', url: '/v1/networks', payload: { name: 'keep', ipam: { config: [{ subnet: '10.211.0.0/24' }] } } });
    const c = await first.app.inject({ method: 'POST', url: '/v1/networks/keep/connect', payload: { sandbox: 's1' } });
    assert.equal(c.statusCode, 201, c.body);
    await first.close();

    const second = await buildTestApp(['--bip', '10.210.0.1/24'], { kernel, dbPath });
    const nets = JSON.parse((await second.app.inject({ method: 'GET', url: '/v1/networks' })).body) as { name: string; id: string }[];
    assert.deepEqual(nets.map((n) => n.name).sort(), ['bridge', 'host', 'keep', 'none']);
    const eps = JSON.parse((await second.app.inject({ method: 'GET', url: '/v1/networks/keep/endpoints' })).body);
    assert.equal(eps.length, 1);
    assert.equal(eps[0].ipv4Address, '10.211.0.2/24');
    assert.equal(eps[0].sandboxId, JSON.parse(sb.body).id);
    // the restored allocator knows .2 is taken
    await second.app.inject({ method: 'POST', url: '/v1/sandboxes', payload: { name: 's2' } });
    const c2 = await second.app.inject({ method: 'POST', url: '/v1/networks/keep/connect', payload: { sandbox: 's2' } });
    assert.equal(JSON.parse(c2.body).ipv4Address, '10.211.0.3/24');
    await second.close();
  });

  it('a second opener of a store in use is refused with a clear error and leaves the first working', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-store-lock-'));
    const path = join(dir, 'patchbay.db');
    const first = openDb(path);
    try {
      createStore(first);
      assert.throws(() => openDb(path, { busyTimeoutMs: 50 }), {
        message: `the store ${path} is locked by another process (is a patchbayd already running with this --data-root?)`,
      });
      assert.equal(first.pragma('user_version', { simple: true }), MIGRATIONS.length);
    } finally {
      first.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('store migrations', () => {
  it('upgrades a version-1 store in place and keeps its rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pbmig-'));
    const path = join(dir, 'v1.db');
    writeOldStore(path, 1, `INSERT INTO networks (id, name, driver, created, state) VALUES ('n1', 'old', 'bridge', 'x', 'ready');
      INSERT INTO pools (network_id, family, subnet) VALUES ('n1', 4, '10.9.0.0/24');`);
    const store = createStore(openDb(path));
    assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.deepEqual(store.poolsOf('n1').map((p) => [p.subnet, p.userConfigured]), [['10.9.0.0/24', false]]);
    store.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migration 5 runs on the pools table migration 4 rebuilt: pools made before keep showing their gateway', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pbmig-'));
    const path = join(dir, 'v4.db');
    writeOldStore(path, 4, `INSERT INTO networks (id, name, driver, created, state) VALUES ('n1', 'old', 'bridge', 'x', 'ready');
      INSERT INTO pools (id, network_id, family, subnet, gateway, user_configured) VALUES (3, 'n1', 4, '10.9.0.0/24', '10.9.0.1', 1);
      INSERT INTO pools (id, network_id, requested_by, family, subnet, options) VALUES (4, NULL, 'docker', 6, 'fd00:9::/64', '{"k":"v"}');`);
    const store = createStore(openDb(path));
    assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.deepEqual(
      store.pools().map((p) => [p.id, p.subnet, p.gateway, p.userConfigured, p.gatewayConfigured, p.requestedBy, p.options]),
      [
        [3, '10.9.0.0/24', '10.9.0.1', true, true, undefined, {}],
        [4, 'fd00:9::/64', undefined, false, true, 'docker', { k: 'v' }],
      ],
    );
    const picked = store.insertPool({ networkId: 'n1', family: 4, subnet: '10.8.0.0/24', gateway: '10.8.0.1', aux: {}, serial: false, userConfigured: true, gatewayConfigured: false });
    assert.equal(store.pools().find((p) => p.id === picked)!.gatewayConfigured, false);
    store.db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
