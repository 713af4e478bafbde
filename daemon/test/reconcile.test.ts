import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFakeKernel, type Kernel } from '@patchbay/kernel';
import { buildTestApp, type TestApp } from './helpers/native-app.js';

/**
 * Everything the kernel holds that patchbay could touch. Link indexes, host-side MACs (the kernel
 * picks them) and the link-local addresses derived from them vary when a link is re-made.
 */
async function kernelState(k: Kernel) {
  const names = (await k.netnsList()).sort();
  const spaces: Record<string, unknown> = {};
  for (const ref of [null, ...names.map((n) => `/run/netns/${n}`)]) {
    const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
    spaces[ref ?? 'root'] = {
      links: sort((await k.links(ref)).map(({ index: _i, mac, ...l }) => (ref === null ? l : { ...l, mac }))),
      addrs: sort((await k.addresses(ref)).filter((a) => a.scope !== 'link')),
      routes: sort(await k.routes(ref)),
    };
  }
  return { names, spaces, inet: await k.nftListTable('inet', 'patchbay'), bridge: await k.nftListTable('bridge', 'patchbay') };
}

let t: TestApp;
const inject = async (method: string, url: string, payload?: unknown) => {
  const r = await t.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
};
type DriftOut = { kind: string; object: string; action: string };
const kinds = (drifts: DriftOut[]) => drifts.map((d) => d.kind).sort();

/** Break something, then: check and dry run report `expected` and change nothing; reconcile repairs back to `healthy`. */
async function breakAndRepair(breakIt: () => Promise<void>, expected: string[]) {
  const healthy = await kernelState(t.kernel);
  await breakIt();
  const broken = await kernelState(t.kernel);
  assert.notDeepEqual(broken, healthy, 'the test broke something');
  const check = await inject('GET', '/v1/system/check');
  assert.equal(check.status, 200);
  assert.equal(check.body.consistent, false);
  assert.deepEqual(kinds(check.body.drifts), expected.sort(), JSON.stringify(check.body.drifts));
  const dry = await inject('POST', '/v1/system/reconcile?dryRun=true');
  assert.equal(dry.status, 200);
  assert.deepEqual(kinds(dry.body.drifts), expected);
  assert.equal(dry.body.repaired, false);
  assert.deepEqual(await kernelState(t.kernel), broken, 'dry run changed nothing');
  const fix = await inject('POST', '/v1/system/reconcile');
  assert.equal(fix.status, 200);
  assert.deepEqual(kinds(fix.body.drifts), expected);
  assert.equal(fix.body.repaired, true, JSON.stringify(fix.body));
  assert.deepEqual(await kernelState(t.kernel), healthy, 'repaired to the state before');
  assert.deepEqual(await inject('GET', '/v1/system/check'), { status: 200, body: { consistent: true, drifts: [] } });
}

describe('reconcile (fake kernel)', () => {
  let n1: { id: string; bridge: string };
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  let epB: { id: string };
  before(async () => {
    t = await buildTestApp();
    n1 = (await inject('POST', '/v1/networks', { name: 'n1', ipam: { config: [{ subnet: '10.124.0.0/24' }] } })).body;
    a = (await inject('POST', '/v1/sandboxes', { name: 'a' })).body;
    b = (await inject('POST', '/v1/sandboxes', { name: 'b' })).body;
    assert.equal((await inject('POST', '/v1/networks/bridge/connect', { sandbox: 'a' })).status, 201);
    assert.equal((await inject('POST', '/v1/networks/n1/connect', { sandbox: 'a' })).status, 201);
    epB = (await inject('POST', '/v1/networks/n1/connect', { sandbox: 'b' })).body;
  });
  after(() => t.close());

  it('a healthy daemon is consistent', async () => {
    assert.deepEqual(await inject('GET', '/v1/system/check'), { status: 200, body: { consistent: true, drifts: [] } });
    const r = await inject('POST', '/v1/system/reconcile');
    assert.deepEqual(r.body, { drifts: [], repaired: false });
  });

  it('rejects a bad dryRun value', async () => {
    const r = await inject('POST', '/v1/system/reconcile?dryRun=maybe');
    assert.equal(r.status, 400);
    assert.match(r.body.message, /dryRun/);
  });

  it('bridge deleted by hand: re-created and its veths re-attached', async () => {
    await breakAndRepair(() => t.kernel.ip(null, [{ op: 'link.del', name: n1.bridge }]), ['bridge-missing', 'veth-detached', 'veth-detached']);
  });

  it('gateway address removed from the bridge', async () => {
    await breakAndRepair(() => t.kernel.ip(null, [{ op: 'addr.del', dev: 'pb0', cidr: '10.200.0.1/24' }]), ['gateway-address-missing']);
  });

  it('bridge set down', async () => {
    await breakAndRepair(() => t.kernel.ip(null, [{ op: 'link.set', name: n1.bridge, up: false }]), ['bridge-down']);
  });

  it('host veth deleted: the endpoint re-joins with its address and default route', async () => {
    await breakAndRepair(() => t.kernel.ip(null, [{ op: 'link.del', name: `pbv${epB.id.slice(0, 12)}` }]), ['endpoint-link-missing']);
  });

  it('interface deleted inside the sandbox', async () => {
    await breakAndRepair(() => t.kernel.ip(a.key, [{ op: 'link.del', name: 'eth1' }]), ['endpoint-link-missing']);
  });

  it('address removed inside the sandbox', async () => {
    await breakAndRepair(() => t.kernel.ip(b.key, [{ op: 'addr.del', dev: 'eth0', cidr: '10.124.0.3/24' }]), ['endpoint-address-missing']);
  });

  it('default route removed inside the sandbox', async () => {
    await breakAndRepair(() => t.kernel.ip(b.key, [{ op: 'route.del', dst: 'default' }]), ['default-route-missing']);
  });

  it('own namespace deleted: re-created and every endpoint re-joined', async () => {
    await breakAndRepair(() => t.kernel.netnsDelete(`pb-${a.id.slice(0, 12)}`), ['sandbox-netns-missing']);
  });

  it('orphan links and namespaces with patchbay names are deleted, others kept', async () => {
    await t.kernel.ip(null, [{ op: 'bridge.add', name: 'other0' }]);
    await breakAndRepair(async () => {
      await t.kernel.ip(null, [{ op: 'bridge.add', name: 'pb-0123456789ab' }]);
      await t.kernel.ip(null, [{ op: 'veth.add', name: 'pbv0123456789ab', peer: 'x0', peerNetns: null }]);
      await t.kernel.netnsAdd('pb-ba9876543210');
    }, ['orphan-link', 'orphan-link', 'orphan-netns']);
    assert.ok((await t.kernel.links(null)).some((l) => l.name === 'other0'));
  });

  it('firewall table deleted by hand', async () => {
    await breakAndRepair(() => t.kernel.nftDeleteTable('inet', 'patchbay'), ['firewall']);
  });

  it('adopted namespace whose process exited: endpoints leave, addresses freed, sandbox removed', async () => {
    t.kernel.addForeignNetns('/proc/4242/ns/net');
    const healthy = await kernelState(t.kernel);
    const ipamBefore = (await inject('GET', '/v1/networks/n1/ipam')).body;
    const ext = await inject('POST', '/v1/sandboxes', { name: 'ext', netnsPath: '/proc/4242/ns/net' });
    assert.equal(ext.status, 201, JSON.stringify(ext.body));
    assert.equal((await inject('POST', '/v1/networks/n1/connect', { sandbox: 'ext' })).status, 201);
    t.kernel.removeForeignNetns('/proc/4242/ns/net');
    const dry = await inject('POST', '/v1/system/reconcile?dryRun=true');
    assert.deepEqual(kinds(dry.body.drifts), ['sandbox-netns-gone']);
    assert.equal((await inject('GET', '/v1/sandboxes/ext')).status, 200, 'dry run kept the sandbox');
    const fix = await inject('POST', '/v1/system/reconcile');
    assert.equal(fix.body.repaired, true);
    assert.equal((await inject('GET', '/v1/sandboxes/ext')).status, 404);
    assert.deepEqual((await inject('GET', '/v1/networks/n1/ipam')).body, ipamBefore, 'address freed');
    assert.equal((await inject('GET', '/v1/networks/n1/endpoints')).body.length, 2);
    assert.deepEqual(await kernelState(t.kernel), healthy, 'the host veth is gone too');
    assert.equal((await inject('GET', '/v1/system/check')).body.consistent, true);
  });

  it('an address held by no endpoint is freed, and the allocator hands it out again', async () => {
    const pool = t.controller.core.store.poolsOf(n1.id)[0]!;
    t.controller.core.store.insertAllocation({ poolId: pool.id, address: '10.124.0.200', kind: 'endpoint', owner: 'ghost', ownerId: 'f'.repeat(64) });
    t.controller.core.ipam.allocatorOf(pool, 'n1').reserve('10.124.0.200');
    const dry = await inject('POST', '/v1/system/reconcile?dryRun=true');
    assert.deepEqual(dry.body.drifts, [{ kind: 'orphan-allocation', object: 'address 10.124.0.200 in network n1', action: 'free it (owner ghost is gone)' }]);
    assert.ok(t.controller.core.store.allocationsOf(pool.id).some((a) => a.address === '10.124.0.200'), 'dry run kept it');
    assert.equal((await inject('POST', '/v1/system/reconcile')).body.repaired, true);
    assert.ok(!t.controller.core.store.allocationsOf(pool.id).some((a) => a.address === '10.124.0.200'));
    await inject('POST', '/v1/sandboxes', { name: 'c' });
    const c = await inject('POST', '/v1/networks/n1/connect', { sandbox: 'c', ipv4Address: '10.124.0.200' });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal((await inject('GET', '/v1/system/check')).body.consistent, true);
  });
});

describe('reconcile at start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-reconcile-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a restart repairs what the kernel lost while the daemon was down', async () => {
    const kernel = createFakeKernel();
    const dbPath = join(dir, 'state.db');
    t = await buildTestApp(undefined, { kernel, dbPath });
    await inject('POST', '/v1/sandboxes', { name: 's' });
    const ep = (await inject('POST', '/v1/networks/bridge/connect', { sandbox: 's' })).body;
    const healthy = await kernelState(kernel);
    await t.close();
    await kernel.ip(null, [{ op: 'link.del', name: 'pb0' }, { op: 'link.del', name: `pbv${ep.id.slice(0, 12)}` }]);
    await kernel.ip(null, [{ op: 'bridge.add', name: 'pb-leftover0001' }]);
    t = await buildTestApp(undefined, { kernel, dbPath });
    try {
      assert.deepEqual(await kernelState(kernel), healthy);
      assert.equal((await inject('GET', '/v1/system/check')).body.consistent, true);
    } finally {
      await t.close();
    }
  });
});
