import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFakeKernel, type Kernel } from '@patchbay/kernel';
import { buildTestApp, type TestApp } from './helpers/app.js';

/**
 * Reconcile for the lower drivers (macvlan, ipvlan) on a fake kernel with LAN interfaces and
 * every link type: a lost endpoint link, a lost 802.1Q sub-interface patchbay made (the kernel
 * takes the links on it along), and a lost parent patchbay did not make.
 */
let t: TestApp;
const inject = async (method: string, url: string, payload?: unknown) => {
  const r = await t.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
};
type DriftOut = { kind: string; object: string; action: string; error?: string };
const kinds = (drifts: DriftOut[]) => drifts.map((d) => d.kind).sort();

/** Links (with MACs inside sandboxes), addresses and routes of every namespace. */
async function kernelState(k: Kernel) {
  const names = (await k.netnsList()).sort();
  const spaces: Record<string, unknown> = {};
  const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
  for (const ref of [null, ...names.map((n) => `/run/netns/${n}`)]) {
    spaces[ref ?? 'root'] = {
      links: sort((await k.links(ref)).map(({ index: _i, mac, ...l }) => (ref === null ? l : { ...l, mac }))),
      addrs: sort((await k.addresses(ref)).filter((a) => a.scope !== 'link')),
      routes: sort(await k.routes(ref)),
    };
  }
  return { names, spaces };
}

/** Break something: check and dry run report `expected` and change nothing; reconcile repairs back to the state before. */
async function breakAndRepair(breakIt: () => Promise<void>, expected: string[]) {
  const healthy = await kernelState(t.kernel);
  await breakIt();
  const broken = await kernelState(t.kernel);
  assert.notDeepEqual(broken, healthy, 'the test broke something');
  const check = await inject('GET', '/v1/system/check');
  assert.equal(check.body.consistent, false);
  assert.deepEqual(kinds(check.body.drifts), [...expected].sort(), JSON.stringify(check.body.drifts));
  const dry = await inject('POST', '/v1/system/reconcile?dryRun=true');
  assert.deepEqual(kinds(dry.body.drifts), [...expected].sort());
  assert.equal(dry.body.repaired, false);
  assert.deepEqual(await kernelState(t.kernel), broken, 'dry run changed nothing');
  const fix = await inject('POST', '/v1/system/reconcile');
  assert.equal(fix.status, 200);
  assert.equal(fix.body.repaired, true, JSON.stringify(fix.body));
  assert.deepEqual(await kernelState(t.kernel), healthy, 'repaired to the state before');
  assert.deepEqual(await inject('GET', '/v1/system/check'), { status: 200, body: { consistent: true, drifts: [] } });
}

const sandboxes: Record<string, { id: string; key: string }> = {};
async function network(name: string, driver: string, options: Record<string, string>, subnet: string, members: string[]) {
  const n = await inject('POST', '/v1/networks', { name, driver, options, ipam: { config: [{ subnet }] } });
  assert.equal(n.status, 201, JSON.stringify(n.body));
  for (const sb of members) {
    if (!sandboxes[sb]) sandboxes[sb] = (await inject('POST', '/v1/sandboxes', { name: sb })).body;
    const c = await inject('POST', `/v1/networks/${name}/connect`, { sandbox: sb });
    assert.equal(c.status, 201, JSON.stringify(c.body));
  }
}

describe('reconcile: macvlan and ipvlan (fake kernel)', () => {
  before(async () => {
    t = await buildTestApp({
      flags: ['--bridge', 'none'],
      kernel: { hostLinks: ['eth0', 'eth1', 'eth2', 'eth3'].map((name) => ({ name, up: true })) },
    });
    await network('lan', 'macvlan', { parent: 'eth0' }, '192.168.70.0/24', ['a', 'b']);
    await network('vlan10', 'macvlan', { parent: 'eth1.10' }, '192.168.71.0/24', ['a', 'b']);
    await network('l3', 'ipvlan', { parent: 'eth2', ipvlan_mode: 'l3' }, '192.168.72.0/24', ['c']);
    await network('far', 'macvlan', { parent: 'eth3' }, '192.168.73.0/24', ['d']);
    assert.deepEqual(await inject('GET', '/v1/system/check'), { status: 200, body: { consistent: true, drifts: [] } });
  });
  after(() => t.close());

  it('a macvlan link lost in the sandbox: the endpoint re-joins with its MAC, address and default route', async () => {
    await breakAndRepair(() => t.kernel.ip(sandboxes.b!.key, [{ op: 'link.del', name: 'eth0' }]), ['endpoint-link-missing']);
  });

  it('an ipvlan l3 link lost in the sandbox: re-joined, the default route through the device again', async () => {
    await breakAndRepair(() => t.kernel.ip(sandboxes.c!.key, [{ op: 'link.del', name: 'eth0' }]), ['endpoint-link-missing']);
    assert.ok((await t.kernel.routes(sandboxes.c!.key)).some((r) => r.dst === 'default' && r.dev === 'eth0' && r.gateway === undefined));
  });

  it('the 802.1Q sub-interface patchbay made is lost (its macvlans with it): re-made, then every endpoint re-joins', async () => {
    await breakAndRepair(() => t.kernel.ip(null, [{ op: 'link.del', name: 'eth1.10' }]), ['parent-missing', 'endpoint-link-missing', 'endpoint-link-missing']);
    assert.equal((await t.kernel.link(null, 'eth1.10'))?.kind, 'vlan');
  });

  it('the made sub-interface set down: set up again', async () => {
    await breakAndRepair(() => t.kernel.ip(null, [{ op: 'link.set', name: 'eth1.10', up: false }]), ['parent-down']);
  });

  it('a parent patchbay did not make is gone: reported, not repaired, nothing else touched; once it is back the endpoint re-joins', async () => {
    await t.kernel.ip(null, [{ op: 'link.del', name: 'eth3' }]);
    const broken = await kernelState(t.kernel);
    const fix = await inject('POST', '/v1/system/reconcile');
    assert.equal(fix.status, 200);
    assert.equal(fix.body.repaired, false);
    const drifts = fix.body.drifts as DriftOut[];
    assert.deepEqual(kinds(drifts), ['endpoint-link-missing', 'parent-missing']);
    const parent = drifts.find((d) => d.kind === 'parent-missing')!;
    assert.equal(parent.object, 'network far');
    assert.equal(parent.action, 'parent interface eth3 is gone: restore it on the host (patchbay did not make it), or remove network far');
    assert.equal(parent.error, 'parent interface eth3 of network far is gone; patchbay did not make it and cannot re-make it');
    const ep = drifts.find((d) => d.kind === 'endpoint-link-missing')!;
    assert.match(ep.object, /^endpoint \S+ \(network far, sandbox d\)$/);
    assert.equal(ep.action, 're-join once parent interface eth3 is back on the host (lost eth0 in the sandbox with it)');
    assert.equal(ep.error, 'cannot re-join: parent interface eth3 of network far is gone');
    assert.deepEqual(await kernelState(t.kernel), broken, 'nothing changed');

    // the host's administrator brings the interface back
    await t.kernel.ip(null, [{ op: 'dummy.add', name: 'eth3' }, { op: 'link.set', name: 'eth3', up: true }]);
    const again = await inject('POST', '/v1/system/reconcile');
    assert.deepEqual(kinds(again.body.drifts), ['endpoint-link-missing']);
    assert.equal(again.body.repaired, true, JSON.stringify(again.body));
    const inside = (await t.kernel.links(sandboxes.d!.key)).find((l) => l.name === 'eth0');
    assert.equal(inside?.kind, 'macvlan');
    assert.ok((await t.kernel.addresses(sandboxes.d!.key)).some((a) => a.dev === 'eth0' && a.cidr.startsWith('192.168.73.')));
    assert.deepEqual(await inject('GET', '/v1/system/check'), { status: 200, body: { consistent: true, drifts: [] } });
  });

  it('removing a network whose made sub-interface is gone works ("already gone" is success)', async () => {
    for (const sb of ['a', 'b']) assert.equal((await inject('POST', '/v1/networks/vlan10/disconnect', { sandbox: sb })).status, 204);
    await t.kernel.ip(null, [{ op: 'link.del', name: 'eth1.10' }]);
    assert.equal((await inject('DELETE', '/v1/networks/vlan10')).status, 204);
    assert.equal(await t.kernel.link(null, 'eth1.10'), undefined);
    assert.ok(await t.kernel.link(null, 'eth1'), 'the base interface stays');
  });
});

describe('recovery after a crash in a macvlan join (fake kernel)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-lower-crash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [state, endpointKept] of [['creating', false], ['joining', true], ['leaving', true], ['deleting', false]] as const) {
    it(`an interrupted ${state}: the link in the sandbox (there is no host side) is removed on restart`, async () => {
      const fake = createFakeKernel({ hostLinks: [{ name: 'eth0', up: true }] });
      const dbPath = join(dir, `${state}.db`);
      const first = await buildTestApp({ fake, dbPath, flags: ['--bridge', 'none'] });
      const req = async (method: string, url: string, payload?: object) => first.app.inject({ method: method as 'GET', url, ...(payload ? { payload } : {}) });
      assert.equal((await req('POST', '/v1/networks', { name: 'lan', driver: 'macvlan', options: { parent: 'eth0' }, ipam: { config: [{ subnet: '192.168.74.0/24' }] } })).statusCode, 201);
      const sb = JSON.parse((await req('POST', '/v1/sandboxes', { name: 's' })).body) as { id: string; key: string };
      const ep = JSON.parse((await req('POST', '/v1/networks/lan/connect', { sandbox: 's' })).body) as { id: string };
      assert.ok(await fake.link(sb.key, 'eth0'));
      first.controller.core.store.setEndpointState(ep.id, state); // as a crash before the outcome was committed leaves it
      await first.close();

      const second = await buildTestApp({ fake, dbPath, flags: ['--bridge', 'none'] });
      try {
        assert.equal(await fake.link(sb.key, 'eth0'), undefined, 'the macvlan link in the sandbox is gone');
        const endpoints = JSON.parse((await second.app.inject({ method: 'GET', url: '/v1/networks/lan/endpoints' })).body) as { id: string; sandboxId: string | null }[];
        assert.deepEqual(endpoints.map((e) => [e.id, e.sandboxId]), endpointKept ? [[ep.id, null]] : []);
        assert.deepEqual(JSON.parse((await second.app.inject({ method: 'GET', url: '/v1/system/check' })).body), { consistent: true, drifts: [] });
        const again = await second.app.inject({ method: 'POST', url: '/v1/networks/lan/connect', payload: { sandbox: 's', ...(endpointKept ? { name: 'again' } : {}) } });
        assert.equal(again.statusCode, 201, again.body);
      } finally {
        await second.close();
      }
    });
  }
});
