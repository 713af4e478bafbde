import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { createStore, openDb } from '../src/store/index.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { writeOldStore } from './helpers/old-store.js';

it('migration 3 gives joined endpoints of earlier stores the interface name the bridge derived', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pbmig3-'));
  const path = join(dir, 'v2.db');
  writeOldStore(path, 2, `INSERT INTO networks (id, name, driver, created, options, state) VALUES
      ('n1', 'plain', 'bridge', 'x', '{}', 'ready'),
      ('n2', 'prefixed', 'bridge', 'x', '{"com.docker.network.container_iface_prefix":"net"}', 'ready'),
      ('n3', 'host', 'host', 'x', '{}', 'ready');
    INSERT INTO sandboxes (id, name, container_id, key, created, state) VALUES ('s1', 's', 'c', '/run/netns/pb-s1', 'x', 'ready');
    INSERT INTO endpoints (id, network_id, name, sandbox_id, if_index, host_if, created, state) VALUES
      ('e1', 'n1', 'a', 's1', 0, 'pbve1', 'x', 'ready'),
      ('e2', 'n2', 'b', 's1', 1, 'pbve2', 'x', 'ready'),
      ('e3', 'n1', 'c', NULL, NULL, NULL, 'x', 'ready');`);
  const store = createStore(openDb(path));
  assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.deepEqual(
    store.endpoints().map((e) => [e.name, e.ifName]),
    [['a', 'eth0'], ['b', 'net1'], ['c', null]],
  );
  store.db.close();
  rmSync(dir, { recursive: true, force: true });
});

it('migration 6 keeps the sandboxes of a version 5 store (no origin) and allows one CNI sandbox per container id', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pbmig6-'));
  const path = join(dir, 'v5.db');
  writeOldStore(path, 5, `INSERT INTO sandboxes (id, name, container_id, key, created, state) VALUES
      ('s1', 'a', 'c1', '/run/netns/pb-s1', 'x', 'ready'),
      ('s2', 'b', 'c1', '/run/netns/pb-s2', 'x', 'ready');`);
  const store = createStore(openDb(path));
  assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.deepEqual(store.sandboxes().map((s) => [s.name, s.origin]), [['a', undefined], ['b', undefined]]);
  const cni = { ...store.sandboxById('s1')!, external: true, key: '/var/run/netns/x', origin: 'cni' as const };
  store.insertSandbox({ ...cni, id: 's3', name: 'c' });
  assert.equal(store.sandboxByOrigin('cni', 'c1')?.id, 's3');
  assert.throws(() => store.insertSandbox({ ...cni, id: 's4', name: 'd' }), /UNIQUE constraint failed/);
  store.db.close();
  rmSync(dir, { recursive: true, force: true });
});
