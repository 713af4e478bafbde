import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PARKED_LINK_GROUP, RETIRED_LINK_GROUP } from '@patchbay/drivers';
import { createFakeKernel, type Kernel, type LinkInfo } from '@patchbay/kernel';
import { buildTestApp, type TestApp } from './helpers/app.js';

/**
 * A disconnect parks the endpoint's veth pair (controller/parked-links.ts); a connect of the same
 * sandbox to the same network sets it up again instead of making a new one. Whatever else happens
 * to a parked pair (a join that wants its name, time, a sandbox or network delete, a restart), it
 * ends retired and deleted, and never stands in anyone's way.
 */

const netInput = (name: string, subnet: string) => ({
  name, driver: 'bridge', ipamDriver: 'default', ipamConfig: [{ subnet }], ipamOptions: {}, enableIPv6: false, internal: false, attachable: false, options: {}, labels: {},
});
const NEVER = { parkMs: 3_600_000, maxParked: 32 };
const link = async (k: Kernel, netns: string | null, name: string): Promise<LinkInfo | undefined> => (await k.links(netns)).find((l) => l.name === name);
const names = async (k: Kernel, netns: string | null) => (await k.links(netns)).map((l) => l.name).sort();
const addrsOf = async (k: Kernel, netns: string, dev: string) => (await k.addresses(netns)).filter((a) => a.dev === dev).map((a) => a.cidr);
const sequencesSince = (t: TestApp, from: number) => t.kernel.calls.slice(from).filter((c) => c.method === 'ipSequence' || c.method === 'ip');

async function withApp(parkLinks: typeof NEVER | undefined, body: (t: TestApp) => Promise<void>, fake = createFakeKernel()) {
  const t = await buildTestApp({ fake, ...(parkLinks ? { parkLinks } : {}) });
  try {
    await t.controller.networks.create(netInput('app', '10.30.0.0/24'));
    await t.controller.networks.create(netInput('other', '10.31.0.0/24'));
    await body(t);
  } finally {
    await t.close();
  }
}

describe('parked veth pairs', () => {
  it('a disconnect parks the pair (host end up on the bridge in the parked group, peer down without addresses, both named as before)', () =>
    withApp(NEVER, async (t) => {
      const sb = await t.controller.sandboxes.create({ name: 'web' });
      const ep = await t.controller.endpoints.connect('app', 'web', {});
      await t.controller.endpoints.disconnect('app', 'web');
      const host = await link(t.kernel, null, ep.hostIf!);
      assert.equal(host?.group, PARKED_LINK_GROUP);
      assert.ok(host.up && host.master !== undefined, JSON.stringify(host));
      const peer = await link(t.kernel, sb.key, 'eth0');
      assert.equal(peer?.up, false);
      assert.deepEqual(await addrsOf(t.kernel, sb.key!, 'eth0'), []);
      assert.equal(t.controller.core.parking?.size(), 1);
      // no drift: the parked host end is no orphan
      assert.deepEqual((await t.controller.check()).drifts, []);
    }));

  it('with parking on, reconcile still finds an orphan host link (only the parked group is spared)', () =>
    withApp(NEVER, async (t) => {
      await t.controller.sandboxes.create({ name: 'web' });
      await t.controller.endpoints.connect('app', 'web', {});
      await t.controller.endpoints.disconnect('app', 'web');
      await t.kernel.ip(null, [{ op: 'veth.add', name: 'pbv0123456789ab', peer: 'x0', peerNetns: null }]);
      assert.deepEqual((await t.controller.check()).drifts.map((d) => `${d.kind} ${d.object}`), ['orphan-link link pbv0123456789ab']);
    }));

  it('a connect of the same sandbox to the same network sets the pair up again: no new veth, the new address and MAC, the default route', () =>
    withApp(NEVER, async (t) => {
      const sb = await t.controller.sandboxes.create({ name: 'web' });
      const first = await t.controller.endpoints.connect('app', 'web', {});
      const firstIndex = (await link(t.kernel, sb.key, 'eth0'))!.index;
      await t.controller.endpoints.disconnect('app', 'web');
      const from = t.kernel.calls.length;
      const again = await t.controller.endpoints.connect('app', 'web', { ipv4Address: '10.30.0.77', macAddress: '02:42:0a:1e:00:77' });
      assert.equal(sequencesSince(t, from).some((c) => (c.args[1] as { op: string }[] | undefined)?.some((op) => op.op === 'veth.add')), false, 'no veth made');
      assert.equal(again.hostIf, first.hostIf, 'the parked host end, recorded with the endpoint');
      const host = await link(t.kernel, null, again.hostIf!);
      assert.equal(host?.group, undefined, 'back in the default group');
      assert.ok(host?.up);
      const peer = (await link(t.kernel, sb.key, 'eth0'))!;
      assert.equal(peer.index, firstIndex);
      assert.ok(peer.up);
      assert.equal(peer.mac, '02:42:0a:1e:00:77');
      assert.deepEqual(await addrsOf(t.kernel, sb.key!, 'eth0'), ['10.30.0.77/24']);
      assert.ok((await t.kernel.routes(sb.key)).some((r) => r.dst === 'default' && r.dev === 'eth0' && r.gateway === '10.30.0.1'));
      assert.equal(t.controller.core.parking?.size(), 0);
      assert.deepEqual((await t.controller.check()).drifts, []);
      // and it leaves (and parks) as any pair does
      await t.controller.endpoints.disconnect('app', 'web');
      assert.equal((await link(t.kernel, null, again.hostIf!))?.group, PARKED_LINK_GROUP);
    }));

  it('a join to another network that wants the parked peer\'s name retires the pair first and gets a new one', () =>
    withApp(NEVER, async (t) => {
      const sb = await t.controller.sandboxes.create({ name: 'web' });
      const left = await t.controller.endpoints.connect('app', 'web', {});
      await t.controller.endpoints.disconnect('app', 'web');
      const ep = await t.controller.endpoints.connect('other', 'web', {});
      assert.equal(ep.ifName, 'eth0');
      assert.notEqual(ep.hostIf, left.hostIf);
      await t.controller.settled();
      assert.deepEqual(await names(t.kernel, sb.key), ['eth0', 'lo'], 'the parked pair is deleted');
      assert.equal(await link(t.kernel, null, left.hostIf!), undefined);
      assert.deepEqual(await addrsOf(t.kernel, sb.key!, 'eth0'), [ep.ipv4]);
      assert.deepEqual((await t.controller.check()).drifts, []);
    }));

  it('a pair not taken back in time is retired: its peer renamed out of the way, both deleted', async () => {
    await withApp({ parkMs: 20, maxParked: 32 }, async (t) => {
      const sb = await t.controller.sandboxes.create({ name: 'web' });
      const left = await t.controller.endpoints.connect('app', 'web', {});
      await t.controller.endpoints.disconnect('app', 'web');
      await new Promise((r) => setTimeout(r, 80));
      await t.controller.settled();
      assert.deepEqual(await names(t.kernel, sb.key), ['lo']);
      assert.equal(await link(t.kernel, null, left.hostIf!), undefined);
      assert.equal(t.controller.core.parking?.size(), 0);
    });
  });

  it('at most maxParked pairs wait: the oldest is retired', () =>
    withApp({ parkMs: 3_600_000, maxParked: 2 }, async (t) => {
      const hosts: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        await t.controller.sandboxes.create({ name });
        hosts.push((await t.controller.endpoints.connect('app', name, {})).hostIf!);
        await t.controller.endpoints.disconnect('app', name);
      }
      await t.controller.core.reaper.settled();
      assert.equal(t.controller.core.parking?.size(), 2);
      assert.equal(await link(t.kernel, null, hosts[0]!), undefined, 'the oldest is gone');
      for (const h of hosts.slice(1)) assert.equal((await link(t.kernel, null, h))?.group, PARKED_LINK_GROUP);
    }));

  it('a sandbox delete and a network delete take their parked pairs along', () =>
    withApp(NEVER, async (t) => {
      await t.controller.networks.create(netInput('gone', '10.32.0.0/24'));
      const s1 = await t.controller.sandboxes.create({ name: 's1' });
      const s2 = await t.controller.sandboxes.create({ name: 's2' });
      const h1 = (await t.controller.endpoints.connect('app', 's1', {})).hostIf!;
      const h2 = (await t.controller.endpoints.connect('gone', 's2', {})).hostIf!;
      await t.controller.endpoints.disconnect('app', 's1');
      await t.controller.endpoints.disconnect('gone', 's2');
      await t.controller.sandboxes.remove('s1');
      await t.controller.networks.remove('gone');
      await t.controller.core.reaper.settled();
      assert.equal(await link(t.kernel, null, h1), undefined);
      assert.equal(await link(t.kernel, null, h2), undefined);
      assert.equal(await t.kernel.isNetns(s1.key!), false);
      assert.deepEqual(await names(t.kernel, s2.key), ['lo']);
      assert.equal(t.controller.core.parking?.size(), 0);
      assert.deepEqual((await t.controller.check()).drifts, []);
    }));

  it('setting a parked pair up fails half-way: it is deleted and a new pair made; a failing new pair leaves nothing', () =>
    withApp(NEVER, async (t) => {
      const sb = await t.controller.sandboxes.create({ name: 'web' });
      const left = await t.controller.endpoints.connect('app', 'web', {});
      await t.controller.endpoints.disconnect('app', 'web');
      // the host end leaves the parked group, then the sandbox half fails
      t.kernel.failNext((call) => call.method === 'ip' && call.inSequence === true && call.args[0] !== null);
      const ep = await t.controller.endpoints.connect('app', 'web', {});
      t.kernel.assertNoPending();
      const peer = (await link(t.kernel, sb.key, 'eth0'))!;
      assert.ok(peer.up);
      assert.equal((await link(t.kernel, null, ep.hostIf!))?.group, undefined);
      assert.equal(ep.hostIf, left.hostIf, 'a new pair under the planned name');
      assert.deepEqual((await t.controller.check()).drifts, []);
      // once more, now with every kernel change after the disconnect failing: no row, no link, no address
      await t.controller.endpoints.disconnect('app', 'web');
      t.kernel.failNext((call) => call.method === 'ip' && call.inSequence === true && call.args[0] !== null);
      t.kernel.failNext((call) => call.method === 'ip' && call.inSequence === true && call.args[0] !== null);
      await assert.rejects(t.controller.endpoints.connect('app', 'web', {}), /injected fault/);
      t.kernel.assertNoPending();
      assert.deepEqual(await names(t.kernel, sb.key), ['lo']);
      assert.equal(await link(t.kernel, null, left.hostIf!), undefined);
      assert.deepEqual(t.controller.endpoints.list('app'), []);
      assert.equal(t.controller.core.parking?.size(), 0);
      assert.deepEqual((await t.controller.check()).drifts, []);
    }));

  it('a leave that fails after parking the host end is undone: the pair is in use again, not parked', () =>
    withApp(NEVER, async (t) => {
      const sb = await t.controller.sandboxes.create({ name: 'web' });
      const ep = await t.controller.endpoints.connect('app', 'web', {});
      t.kernel.failNext((call) => call.method === 'ip' && call.args[0] === sb.key);
      await assert.rejects(t.controller.endpoints.disconnect('app', 'web'), /injected fault/);
      t.kernel.assertNoPending();
      assert.equal((await link(t.kernel, null, ep.hostIf!))?.group, undefined);
      assert.ok((await link(t.kernel, sb.key, 'eth0'))?.up);
      assert.equal(t.controller.core.parking?.size(), 0);
      assert.deepEqual((await t.controller.check()).drifts, []);
    }));

  it('a native leave (the endpoint stays) retires its pair: only a disconnect, whose endpoint goes, parks', () =>
    withApp(NEVER, async (t) => {
      const sb = await t.controller.sandboxes.create({ name: 'web' });
      const ep = await t.controller.endpoints.create('app', { name: 'kept' });
      await t.controller.endpoints.join('app', 'kept', 'web');
      await t.controller.endpoints.leave('app', 'kept');
      assert.equal(t.controller.core.parking?.size(), 0);
      await t.controller.core.reaper.settled();
      assert.deepEqual(await names(t.kernel, sb.key), ['lo']);
      // its host link name is free for its next join
      await t.controller.endpoints.join('app', 'kept', 'web');
      assert.ok((await link(t.kernel, null, `pbv${ep.id.slice(0, 12)}`))?.up);
    }));

  it('links a crashed run left parked are deleted at start', async () => {
    const fake = createFakeKernel();
    const dbPath = join(mkdtempSync(join(tmpdir(), 'pb-park-')), 'patchbay.db');
    let key: string | null = null;
    const before = await buildTestApp({ fake, dbPath, parkLinks: NEVER });
    try {
      await before.controller.networks.create(netInput('app', '10.30.0.0/24'));
      key = (await before.controller.sandboxes.create({ name: 'web' })).key;
      await before.controller.endpoints.connect('app', 'web', {});
      await before.controller.endpoints.disconnect('app', 'web');
    } finally {
      // a crash: the kernel keeps what was parked (close() stops only DNS and the store)
      await before.close();
    }
    assert.equal((await fake.links(null)).filter((l) => l.group === PARKED_LINK_GROUP).length, 1);
    const t = await buildTestApp({ fake, dbPath, parkLinks: NEVER });
    try {
      assert.deepEqual((await fake.links(null)).filter((l) => l.group === PARKED_LINK_GROUP || l.group === RETIRED_LINK_GROUP), []);
      assert.deepEqual(await names(fake, key), ['lo']);
      // and the sandbox joins the network again at once
      await t.controller.endpoints.connect('app', 'web', {});
      assert.deepEqual((await t.controller.check()).drifts, []);
    } finally {
      await t.close();
    }
  });

  it('shutdown (settled) retires and deletes every parked pair', () =>
    withApp(NEVER, async (t) => {
      const sb = await t.controller.sandboxes.create({ name: 'web' });
      await t.controller.endpoints.connect('app', 'web', {});
      await t.controller.endpoints.disconnect('app', 'web');
      await t.controller.settled();
      assert.deepEqual(await names(t.kernel, sb.key), ['lo']);
      assert.deepEqual((await t.kernel.links(null)).filter((l) => l.group === PARKED_LINK_GROUP || l.group === RETIRED_LINK_GROUP), []);
    }));

  it('without parking (PATCHBAY_PARK_LINKS=0) a disconnect retires the pair as before', () =>
    withApp(undefined, async (t) => {
      const sb = await t.controller.sandboxes.create({ name: 'web' });
      const first = await t.controller.endpoints.connect('app', 'web', {});
      await t.controller.endpoints.disconnect('app', 'web');
      await t.controller.core.reaper.settled();
      assert.deepEqual(await names(t.kernel, sb.key), ['lo']);
      const again = await t.controller.endpoints.connect('app', 'web', {});
      assert.notEqual(again.hostIf, first.hostIf);
    }));
});
