import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeKernel, withFaults, type FakeKernel, type IpOp, type Kernel } from '@patchbay/kernel';
import { pino } from 'pino';
import { createLinkReaper } from '../src/controller/reaper.js';
import { heldReaper } from './helpers/held-reaper.js';
import { setPauses } from './helpers/set-pauses.js';
import { buildTestApp } from './helpers/native-app.js';
import { buildTestApp as buildApp } from './helpers/app.js';

const GROUP = 0x7062_0001;

/** A kernel whose `ip` calls wait until the test lets them finish. */
function gatedKernel() {
  const calls: IpOp[][] = [];
  const gates: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const kernel = {
    ip: (_ns: unknown, ops: readonly IpOp[]) =>
      new Promise<void>((resolve, reject) => {
        calls.push([...ops]);
        gates.push({ resolve, reject });
      }),
  } as unknown as Kernel;
  const tick = () => new Promise((r) => setImmediate(r));
  return { kernel, calls, gates, tick };
}

describe('link reaper', () => {
  it('deletes the retired group once for a burst, and once more for what arrives meanwhile', async () => {
    const k = gatedKernel();
    const reaper = createLinkReaper(k.kernel, GROUP, pino({ level: 'silent' }));
    reaper.retired('sb1');
    reaper.retired('sb2');
    await k.tick();
    assert.deepEqual(k.calls, [[{ op: 'group.del', group: GROUP }]]);
    // retired while the first deletion runs: waits for a second one
    reaper.retired('sb3');
    reaper.retired('sb4');
    let sb1 = false;
    let sb3 = false;
    void reaper.settled('sb1').then(() => (sb1 = true));
    void reaper.settled('sb3').then(() => (sb3 = true));
    await k.tick();
    assert.equal(k.calls.length, 1, 'the second deletion waits for the first');
    k.gates[0]!.resolve();
    await k.tick();
    assert.equal(sb1, true);
    assert.equal(sb3, false);
    assert.equal(k.calls.length, 2);
    k.gates[1]!.resolve();
    await k.tick();
    assert.equal(sb3, true);
    await reaper.settled();
    await reaper.settled('nobody');
  });

  it('backlog() counts the owners whose retired links are not deleted yet', async () => {
    const k = gatedKernel();
    const reaper = createLinkReaper(k.kernel, GROUP, pino({ level: 'silent' }));
    assert.equal(reaper.backlog(), 0);
    reaper.retired('sb1');
    reaper.retired('sb2');
    assert.equal(reaper.backlog(), 2);
    await k.tick();
    reaper.retired('sb3');
    assert.equal(reaper.backlog(), 3);
    k.gates[0]!.resolve();
    await k.tick();
    assert.equal(reaper.backlog(), 1);
    k.gates[1]!.resolve();
    await reaper.settled();
    await k.tick();
    assert.equal(reaper.backlog(), 0);
  });

  it('a failed deletion is retried; waiting owners are released, not stuck', async () => {
    const k = gatedKernel();
    const reaper = createLinkReaper(k.kernel, GROUP, pino({ level: 'silent' }));
    reaper.retired('sb1');
    await k.tick();
    k.gates[0]!.reject(new Error('EBUSY'));
    await reaper.settled('sb1');
    assert.equal(k.calls.length, 1);
  });

  it('settled() without an owner waits for the retry after a failure (a test or a shutdown sees no deletion after it)', async () => {
    const k = gatedKernel();
    const reaper = createLinkReaper(k.kernel, GROUP, pino({ level: 'silent' }), { retryMs: 20 });
    reaper.retired('sb1');
    await k.tick();
    k.gates[0]!.reject(new Error('EBUSY'));
    let settled = false;
    const all = reaper.settled().then(() => (settled = true));
    await reaper.settled('sb1');
    await k.tick();
    assert.equal(settled, false, 'the retry is still to come');
    while (k.calls.length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.equal(settled, false, 'the retry runs');
    // the retry fails too: settled() resolves all the same (one retry, not every future one)
    k.gates[1]!.reject(new Error('EBUSY'));
    await all;
    assert.equal(settled, true);
  });
});

describe('detach on the fake kernel', () => {
  it('retires the host veth (in the retired group, its peer down) and the reaper deletes it', async () => {
    const t = await buildTestApp();
    try {
      const inject = async (method: 'POST' | 'DELETE' | 'GET', url: string, payload?: object) => {
        const r = await t.app.inject({ method, url, ...(payload ? { payload } : {}) });
        return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
      };
      assert.equal((await inject('POST', '/v1/sandboxes', { name: 'c1' })).status, 201);
      const ep = await inject('POST', '/v1/networks/bridge/connect', { sandbox: 'c1' });
      assert.equal(ep.status, 201);
      const hostIf = ep.body.hostIfName as string;
      const sb = (await inject('GET', '/v1/sandboxes/c1')).body as { key: string };
      const before = t.kernel.calls.length;
      assert.equal((await inject('POST', '/v1/networks/bridge/disconnect', { sandbox: 'c1' })).status, 204);
      const ops = t.kernel.calls.slice(before).filter((c) => c.method === 'ip').map((c) => c.args[1]);
      // the host end changes group only: its peer goes down in the next batch, and its carrier with it
      assert.deepEqual(ops[0], [{ op: 'link.set', name: hostIf, group: GROUP }]);
      assert.deepEqual(ops[1], [
        { op: 'link.set', name: 'eth0', up: false },
        { op: 'addr.del', dev: 'eth0', cidr: ep.body.ipv4Address },
        { op: 'link.set', name: 'eth0', newName: `pbr${ep.body.id.slice(0, 12)}` },
      ]);
      assert.ok(!(await t.kernel.addresses(sb.key)).some((a) => a.cidr === ep.body.ipv4Address), 'the address is gone at once');
      await t.controller.settled();
      assert.equal(await t.kernel.link(null, hostIf), undefined);
      assert.equal(await t.kernel.link(sb.key, 'eth0'), undefined);

      // reconnecting right after a disconnect gets eth0 again: the left peer gave up the name at once
      await inject('POST', '/v1/networks/bridge/connect', { sandbox: 'c1' });
      const again = await inject('POST', '/v1/networks/bridge/disconnect', { sandbox: 'c1' });
      assert.equal(again.status, 204);
      const third = await inject('POST', '/v1/networks/bridge/connect', { sandbox: 'c1' });
      assert.equal(third.status, 201, JSON.stringify(third.body));
      assert.equal((await t.kernel.link(sb.key, 'eth0'))?.up, true);
      const check = await inject('GET', '/v1/system/check');
      assert.equal(check.body.consistent, true, JSON.stringify(check.body));
    } finally {
      await t.close();
    }
  });
});

describe('network delete on the fake kernel', () => {
  it('retires the bridge; a create right after with the same bridge name waits for the reaper and gets its own', async () => {
    const fake = createFakeKernel();
    // the reaper's deletion takes a while, as a bridge's does in the kernel
    const slow: FakeKernel = {
      ...fake,
      ip: async (ns, ops, opts) => {
        if (ops.some((op) => op.op === 'group.del')) await new Promise((r) => setTimeout(r, 30));
        return fake.ip(ns, ops, opts);
      },
    };
    const t = await buildTestApp(undefined, { kernel: slow });
    try {
      const spec = { name: 'n', options: { 'com.docker.network.bridge.name': 'pbx0' }, ipam: { config: [{ subnet: '10.9.0.0/24' }] } };
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/networks', payload: spec })).statusCode, 201);
      assert.equal((await t.app.inject({ method: 'DELETE', url: '/v1/networks/n' })).statusCode, 204);
      const retired = await fake.link(null, 'pbx0');
      assert.equal(retired?.group, GROUP, 'retired, not yet deleted');
      assert.equal(retired?.up, false);
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/networks', payload: spec })).statusCode, 201);
      await t.controller.settled();
      const bridge = await fake.link(null, 'pbx0');
      assert.equal(bridge?.up, true, 'the new network has its bridge');
      assert.equal(bridge?.group, undefined);
      assert.equal((await t.app.inject({ method: 'DELETE', url: '/v1/networks/n' })).statusCode, 204);
      await t.controller.settled();
      assert.equal(await fake.link(null, 'pbx0'), undefined, 'deleted: it was created by patchbay');
    } finally {
      await t.close();
    }
  });
});

describe('connect right after a disconnect in the same sandbox (fake kernel)', () => {
  it('gets eth0 again without waiting for the reaper: the left peer is down and renamed at once', async () => {
    const k = heldReaper();
    const t = await buildTestApp(undefined, { kernel: k.kernel });
    k.hold();
    try {
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/sandboxes', payload: { name: 'c1' } })).statusCode, 201);
      const sb = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/sandboxes/c1' })).body) as { key: string };
      const retired: string[] = [];
      for (let round = 0; round < 3; round++) {
        const c = await t.app.inject({ method: 'POST', url: '/v1/networks/bridge/connect', payload: { sandbox: 'c1' } });
        assert.equal(c.statusCode, 201, c.body);
        const ep = JSON.parse(c.body) as { id: string; ipv4Address: string };
        const eth0 = await k.fake.link(sb.key, 'eth0');
        assert.equal(eth0?.up, true, `round ${round}: eth0 is up`);
        assert.ok((await k.fake.addresses(sb.key)).some((a) => a.dev === 'eth0' && a.cidr === ep.ipv4Address));
        assert.ok((await k.fake.routes(sb.key)).some((r) => r.dst === 'default' && r.dev === 'eth0'), `round ${round}: default route via eth0`);
        assert.equal((await t.app.inject({ method: 'POST', url: '/v1/networks/bridge/disconnect', payload: { sandbox: 'c1' } })).statusCode, 204);
        retired.push(`pbr${ep.id.slice(0, 12)}`);
        assert.equal(await k.fake.link(sb.key, 'eth0'), undefined, 'the name is free at once');
        const old = await k.fake.link(sb.key, retired.at(-1)!);
        assert.equal(old?.up, false, 'the left peer is down');
        assert.ok(!(await k.fake.routes(sb.key)).some((r) => r.dev === old?.name), 'and has no routes');
      }
      assert.ok(k.held() >= 1, 'the reaper was held all along');
      assert.equal((await t.app.inject({ method: 'POST', url: '/v1/networks/bridge/connect', payload: { sandbox: 'c1' } })).statusCode, 201);
      k.release();
      await t.controller.settled();
      for (const name of retired) assert.equal(await k.fake.link(sb.key, name), undefined, `${name} deleted with its host end`);
      assert.equal((await k.fake.link(sb.key, 'eth0'))?.up, true);
      const check = JSON.parse((await t.app.inject({ method: 'GET', url: '/v1/system/check' })).body) as { consistent: boolean };
      assert.equal(check.consistent, true);
    } finally {
      k.release();
      await t.close();
    }
  });

  it('a failure renaming the peer undoes the retirement of the host end: the endpoint stays as it was', async () => {
    const fake = createFakeKernel();
    const faulty = withFaults(fake);
    const t = await buildTestApp(undefined, { kernel: faulty.kernel as FakeKernel });
    try {
      await t.controller.sandboxes.create({ name: 'c1' });
      const ep = await t.controller.endpoints.connect('bridge', 'c1', {});
      const sb = t.controller.sandboxes.get('c1');
      // the disconnect's mutations: retire the host end (1), then the peer's down-and-rename (2)
      faulty.failAt(faulty.mutations() + 2);
      await assert.rejects(t.controller.endpoints.disconnect('bridge', 'c1'), /retire eth0 in the sandbox/);
      const host = await fake.link(null, ep.hostIf!);
      assert.equal(host?.up, true);
      assert.equal(host?.group, undefined);
      assert.equal(host?.master, 'pb0');
      assert.equal((await fake.link(sb.key, 'eth0'))?.up, true);
      assert.ok((await fake.routes(sb.key)).some((r) => r.dst === 'default' && r.dev === 'eth0'));
      assert.deepEqual((await t.controller.check()).drifts, []);
    } finally {
      await t.close();
    }
  });
});

describe('link reaper with deferral', () => {
  const deferral = (pauses: ReturnType<typeof setPauses>, maxBacklog = 10) => ({ pauses, quietMs: 5, maxWaitMs: 60_000, maxBacklog });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('waits for a pause in foreground kernel work, then deletes every retirement at once', async () => {
    const k = gatedKernel();
    const pauses = setPauses();
    const reaper = createLinkReaper(k.kernel, GROUP, pino({ level: 'silent' }), { deferral: deferral(pauses) });
    reaper.retired('sb1');
    reaper.retired('sb2');
    await sleep(20);
    assert.equal(k.calls.length, 0, 'busy: no deletion yet');
    assert.equal(reaper.backlog(), 2);
    pauses.set(5);
    while (k.calls.length === 0) await sleep(2);
    assert.deepEqual(k.calls, [[{ op: 'group.del', group: GROUP }]]);
    k.gates[0]!.resolve();
    await reaper.settled('sb1');
    await reaper.settled('sb2');
    assert.equal(k.calls.length, 1);
  });

  it('settled() and reapNow() start a deferred deletion at once; deletion() does not', async () => {
    const k = gatedKernel();
    const reaper = createLinkReaper(k.kernel, GROUP, pino({ level: 'silent' }), { deferral: deferral(setPauses()) });
    reaper.retired('sb1');
    await reaper.deletion();
    await k.tick();
    assert.equal(k.calls.length, 0);
    let sb1 = false;
    void reaper.settled('sb1').then(() => (sb1 = true));
    await k.tick();
    assert.equal(k.calls.length, 1, 'a waiting owner starts it');
    k.gates[0]!.resolve();
    await k.tick();
    assert.equal(sb1, true);

    reaper.retired('sb2');
    const all = reaper.settled();
    await k.tick();
    assert.equal(k.calls.length, 2, 'settled() starts it');
    k.gates[1]!.resolve();
    await all;

    reaper.retired('sb3');
    const now = reaper.reapNow();
    await k.tick();
    assert.equal(k.calls.length, 3, 'reapNow() starts it');
    k.gates[2]!.resolve();
    await now;
    await reaper.settled('sb3');
    assert.equal(k.calls.length, 3, 'one deletion for both');
  });

  it('a batch of maxBacklog owners starts without a pause; later ones wait for the next', async () => {
    const k = gatedKernel();
    const reaper = createLinkReaper(k.kernel, GROUP, pino({ level: 'silent' }), { deferral: deferral(setPauses(), 3) });
    for (const sb of ['sb1', 'sb2', 'sb3']) reaper.retired(sb);
    await k.tick();
    assert.equal(k.calls.length, 1);
    reaper.retired('sb4');
    k.gates[0]!.resolve();
    await reaper.settled('sb3');
    await k.tick();
    assert.equal(k.calls.length, 1, 'sb4 waits for a pause');
    assert.equal(reaper.backlog(), 1);
    const sb4 = reaper.settled('sb4');
    await k.tick();
    k.gates[1]!.resolve();
    await sb4;
    assert.equal(k.calls.length, 2);
  });
});

describe('the reaper waiting for a pause (fake kernel, as the daemon runs it)', () => {
  const deferred = () => buildApp({ flags: ['--bip', '10.200.0.1/24'], backgroundPause: { quietMs: 50, maxWaitMs: 60_000 } });
  const groupDels = (t: Awaited<ReturnType<typeof deferred>>) => t.kernel.calls.filter((c) => c.method === 'ip' && (c.args[1] as IpOp[]).some((op) => op.op === 'group.del')).length;

  it('connects and disconnects back to back without a deletion between them; the pause after deletes them all at once', async () => {
    const t = await deferred();
    try {
      await t.controller.sandboxes.create({ name: 'c1' });
      const before = groupDels(t);
      const hostIfs: string[] = [];
      for (let round = 0; round < 3; round++) {
        hostIfs.push((await t.controller.endpoints.connect('bridge', 'c1', {})).hostIf!);
        await t.controller.endpoints.disconnect('bridge', 'c1');
      }
      assert.equal(groupDels(t), before, 'no deletion while the calls come');
      for (const name of hostIfs) assert.equal((await t.kernel.link(null, name))?.group, GROUP, `${name} retired, waiting`);
      while (groupDels(t) === before) await new Promise((r) => setTimeout(r, 10));
      assert.equal(groupDels(t), before + 1, 'one deletion for the three');
      await t.controller.settled();
      for (const name of hostIfs) assert.equal(await t.kernel.link(null, name), undefined);
      assert.deepEqual((await t.controller.check()).drifts, []);
    } finally {
      await t.close();
    }
  });

  it('a leave and a join of the same endpoint into another sandbox: the join waits for its retired host link, not for a pause', async () => {
    const t = await deferred();
    try {
      await t.controller.sandboxes.create({ name: 'a' });
      await t.controller.sandboxes.create({ name: 'b' });
      const ep = await t.controller.endpoints.create('bridge', { name: 'e1' });
      const first = await t.controller.endpoints.join('bridge', 'e1', 'a');
      await t.controller.endpoints.leave('bridge', 'e1');
      const started = performance.now();
      const again = await t.controller.endpoints.join('bridge', 'e1', 'b');
      assert.ok(performance.now() - started < 45, 'started the deletion at once');
      assert.equal(again.hostIf, first.hostIf, 'the same host link name');
      assert.equal((await t.kernel.link(null, again.hostIf!))?.up, true);
      assert.equal(ep.id, again.id);
      assert.deepEqual((await t.controller.check()).drifts, []);
    } finally {
      await t.close();
    }
  });
});
