import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiError, ConnectionError, ProtocolError, createClient, type PatchbayClient } from '../src/index.js';
import { startFakeDaemon, type FakeDaemon } from './helpers/fake-daemon.js';
import { endpoint, ipamView, network, sandbox } from './helpers/fixtures.js';

describe('every route: method, path, body and decoded answer', () => {
  const ep = endpoint();
  const drifts = [{ kind: 'link', object: 'pb-a1a1a1a1a1', action: 'recreate' }];
  let daemon: FakeDaemon;
  let client: PatchbayClient;

  before(async () => {
    daemon = await startFakeDaemon({
      'GET /v1/health': { body: { status: 'ok', version: '0.1.0', uptimeSeconds: 3, networks: 1, sandboxes: 0, endpoints: 0 } },
      'POST /v1/networks': { status: 201, body: network() },
      'GET /v1/networks': { body: [network()] },
      'GET /v1/networks/front': { body: network() },
      'DELETE /v1/networks/front': { status: 204 },
      'POST /v1/networks/front/connect': { status: 201, body: ep },
      'POST /v1/networks/front/disconnect': { status: 204 },
      'POST /v1/sandboxes': { status: 201, body: sandbox() },
      'GET /v1/sandboxes': { body: [sandbox()] },
      'GET /v1/sandboxes/web': { body: sandbox() },
      'DELETE /v1/sandboxes/web': { status: 204 },
      'POST /v1/networks/front/endpoints': { status: 201, body: ep },
      'GET /v1/networks/front/endpoints': { body: [ep] },
      'GET /v1/endpoints': { body: [ep] },
      'GET /v1/networks/front/endpoints/web-front': { body: ep },
      'DELETE /v1/networks/front/endpoints/web-front': { status: 204 },
      'POST /v1/networks/front/endpoints/web-front/join': { body: ep },
      'POST /v1/networks/front/endpoints/web-front/leave': { body: { ...ep, sandboxId: null } },
      'GET /v1/networks/front/ipam': { body: ipamView() },
      'GET /v1/firewall/plan': { body: 'table inet patchbay {\n}\n' },
      'GET /v1/firewall/rules': { body: 'table ip patchbay {\n}\n' },
      'GET /v1/system/check': { body: { consistent: false, drifts } },
      'POST /v1/system/reconcile?dryRun=true': { body: { drifts, repaired: false } },
      'POST /v1/system/reconcile': { body: { drifts, repaired: true } },
      'GET /v1/networks/a%20b%2Fc': { body: network({ name: 'odd' }) },
    });
    client = createClient({ host: daemon.host });
  });
  after(() => daemon.close());

  const last = () => daemon.requests.at(-1)!;

  test('health', async () => {
    assert.equal((await client.health()).version, '0.1.0');
    assert.deepEqual(last(), { method: 'GET', path: '/v1/health', contentType: undefined, body: undefined });
  });

  test('networks', async () => {
    const created = await client.networks.create({ name: 'front', ipam: { config: [{ subnet: '10.1.0.0/24' }] } });
    assert.equal(created.id, network().id);
    assert.equal(last().contentType, 'application/json');
    assert.deepEqual(last().body, { name: 'front', ipam: { config: [{ subnet: '10.1.0.0/24' }] } });
    assert.deepEqual(await client.networks.list(), [network()]);
    assert.equal((await client.networks.inspect('front')).name, 'front');
    assert.equal(await client.networks.remove('front'), undefined);
    assert.equal(last().method, 'DELETE');
    assert.equal(last().body, undefined);
  });

  test('names are path-encoded', async () => {
    assert.equal((await client.networks.inspect('a b/c')).name, 'odd');
  });

  test('connect and disconnect', async () => {
    const joined = await client.networks.connect('front', {
      sandbox: 'web',
      ipv4Address: '10.1.0.9',
      ports: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }],
    });
    assert.equal(joined.id, ep.id);
    assert.deepEqual(last().body, { sandbox: 'web', ipv4Address: '10.1.0.9', ports: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }] });
    assert.equal(await client.networks.disconnect('front', { sandbox: 'web', force: true }), undefined);
    assert.deepEqual(last(), { method: 'POST', path: '/v1/networks/front/disconnect', contentType: 'application/json', body: { sandbox: 'web', force: true } });
  });

  test('sandboxes', async () => {
    assert.equal((await client.sandboxes.create()).name, 'web');
    assert.deepEqual(last().body, {});
    await client.sandboxes.create({ name: 'web', netnsPath: '/proc/1/ns/net' });
    assert.deepEqual(last().body, { name: 'web', netnsPath: '/proc/1/ns/net' });
    assert.equal((await client.sandboxes.list()).length, 1);
    assert.equal((await client.sandboxes.inspect('web')).id, sandbox().id);
    assert.equal(await client.sandboxes.remove('web'), undefined);
    assert.deepEqual(last(), { method: 'DELETE', path: '/v1/sandboxes/web', contentType: undefined, body: undefined });
  });

  test('endpoints, join and leave', async () => {
    await client.endpoints.create('front', { name: 'web-front' });
    assert.deepEqual(last(), { method: 'POST', path: '/v1/networks/front/endpoints', contentType: 'application/json', body: { name: 'web-front' } });
    await client.endpoints.list('front');
    assert.equal(last().path, '/v1/networks/front/endpoints');
    await client.endpoints.list();
    assert.equal(last().path, '/v1/endpoints');
    assert.equal((await client.endpoints.inspect('front', 'web-front')).name, 'web-front');
    await client.endpoints.join('front', 'web-front', 'web');
    assert.deepEqual(last().body, { sandbox: 'web' });
    assert.equal((await client.endpoints.leave('front', 'web-front')).sandboxId, null);
    assert.deepEqual(last().body, {});
    assert.equal(await client.endpoints.remove('front', 'web-front'), undefined);
  });

  test('ipam, firewall and system', async () => {
    assert.equal((await client.ipam.inspect('front')).subnets[0]?.used, 4);
    assert.equal(await client.firewall.plan(), 'table inet patchbay {\n}\n');
    assert.equal(await client.firewall.rules(), 'table ip patchbay {\n}\n');
    assert.deepEqual(await client.system.check(), { consistent: false, drifts });
    assert.deepEqual(await client.system.reconcile({ dryRun: true }), { drifts, repaired: false });
    assert.equal(last().body, undefined, 'reconcile sends no body (fastify rejects an empty JSON body)');
    assert.equal(last().contentType, undefined);
    assert.equal((await client.system.reconcile()).repaired, true);
  });
});

describe('errors', () => {
  let daemon: FakeDaemon;
  let client: PatchbayClient;
  before(async () => {
    daemon = await startFakeDaemon({
      'POST /v1/networks': { status: 409, body: { message: 'network with name front already exists', code: 'PB_ERR_NETWORK_EXISTS' } },
      'GET /v1/health': { status: 503, body: 'upstream gone\n<html>' },
      'GET /v1/networks': { body: 'not json' },
      'GET /v1/sandboxes': { body: '{"broken', contentType: 'application/json' },
      'GET /v1/endpoints': () => new Promise(() => {}),
    });
    client = createClient({ host: daemon.host, timeoutMs: 200 });
  });
  after(() => daemon.close());

  test('a daemon error becomes ApiError with status, code and message', async () => {
    const err = await client.networks.create({ name: 'front' }).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 409);
    assert.equal(err.code, 'PB_ERR_NETWORK_EXISTS');
    assert.equal(err.message, 'network with name front already exists');
    const missing = await client.sandboxes.inspect('nope').catch((e: unknown) => e);
    assert.ok(missing instanceof ApiError);
    assert.equal(missing.status, 404);
    assert.equal(missing.code, 'PB_ERR_NOT_FOUND');
  });

  test('a non-JSON error keeps its first line and an HTTP_ code', async () => {
    await assert.rejects(client.health(), { name: 'ApiError', status: 503, code: 'HTTP_503', message: 'upstream gone' });
  });

  test('a 2xx that is not JSON is a ProtocolError', async () => {
    await assert.rejects(client.networks.list(), (e: unknown) => e instanceof ProtocolError && /expected JSON/.test(e.message));
    await assert.rejects(client.sandboxes.list(), (e: unknown) => e instanceof ProtocolError && /invalid JSON/.test(e.message));
  });

  test('a daemon that does not answer times out', async () => {
    await assert.rejects(client.endpoints.list(), (e: unknown) => e instanceof ConnectionError && e.errno === 'ETIMEDOUT' && /did not answer within 0.2s/.test(e.message));
  });
});

describe('connection failures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-client-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('no socket file: is the daemon running?', async () => {
    const host = `unix://${join(dir, 'absent.sock')}`;
    const err = await createClient({ host }).health().catch((e: unknown) => e);
    assert.ok(err instanceof ConnectionError);
    assert.equal(err.errno, 'ENOENT');
    assert.equal(err.message, `cannot reach patchbayd at ${host}: is the daemon running?`);
  });

  test('nobody listening: is the daemon running?', async () => {
    const stale = join(dir, 'stale.sock');
    writeFileSync(stale, '');
    const host = `unix://${stale}`;
    await assert.rejects(createClient({ host }).networks.list(), {
      name: 'ConnectionError',
      errno: 'ECONNREFUSED',
      message: `cannot reach patchbayd at ${host}: is the daemon running?`,
    });
  });

  test('the default host is the standard socket', () => {
    assert.equal(createClient().host, 'unix:///run/patchbay/patchbay.sock');
  });
});

test('tcp:// reaches a daemon on loopback', async (t) => {
  const daemon = await startFakeDaemon({ 'GET /v1/networks': { body: [network()] } }, 'tcp');
  t.after(() => daemon.close());
  assert.deepEqual(await createClient({ host: daemon.host }).networks.list(), [network()]);
});
