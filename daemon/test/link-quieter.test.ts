import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeKernel, type Kernel } from '@patchbay/kernel';
import { pino } from 'pino';
import { createLinkQuieter } from '../src/controller/link-quieter.js';
import { buildTestApp } from './helpers/native-app.js';
import { setPauses } from './helpers/set-pauses.js';

const silent = pino({ level: 'silent' });
const tick = () => new Promise((r) => setImmediate(r));
const disabled = (k: Kernel, link: string) => k.sysctlGet(`net.ipv6.conf.${link}.disable_ipv6`);

async function fakeWithLinks(...names: string[]) {
  const kernel = createFakeKernel();
  await kernel.ip(null, names.map((name) => ({ op: 'dummy.add' as const, name })));
  return kernel;
}

describe('link quieter', () => {
  it('turns IPv6 off on each link asked for, in the background, after the join that asked', async () => {
    const kernel = await fakeWithLinks('pbva', 'pbvb');
    const quieter = createLinkQuieter(kernel, () => Promise.resolve(), silent);
    quieter.quiet('pbva');
    quieter.quiet('pbvb');
    assert.equal(await disabled(kernel, 'pbva'), '0', 'nothing is written synchronously');
    assert.equal(quieter.backlog(), 2);
    await quieter.settled();
    assert.equal(await disabled(kernel, 'pbva'), '1');
    assert.equal(await disabled(kernel, 'pbvb'), '1');
    assert.equal(quieter.backlog(), 0);
    // each write at idle priority: one that spins on rtnl takes no CPU from anything else
    const writes = kernel.calls.filter((c) => c.method === 'sysctlSet');
    assert.equal(writes.length, 2);
    for (const w of writes) assert.deepEqual(w.args[2], { idle: true });
  });

  it('writes nothing while the reaper deletes links (the sysctl would spin on rtnl)', async () => {
    const kernel = await fakeWithLinks('pbva');
    let endDeletion!: () => void;
    const deletion = new Promise<void>((r) => (endDeletion = r));
    const quieter = createLinkQuieter(kernel, () => deletion, silent);
    quieter.quiet('pbva');
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(await disabled(kernel, 'pbva'), '0');
    assert.equal(kernel.calls.filter((c) => c.method === 'sysctlSet').length, 0);
    endDeletion();
    await quieter.settled();
    assert.equal(await disabled(kernel, 'pbva'), '1');
  });

  it('skips a link gone before its turn, and takes links asked for while it runs', async () => {
    const kernel = await fakeWithLinks('pbva', 'pbvc');
    const quieter = createLinkQuieter(kernel, () => Promise.resolve(), silent);
    quieter.quiet('pbvgone');
    quieter.quiet('pbva');
    await tick();
    quieter.quiet('pbvc');
    await quieter.settled();
    assert.equal(await disabled(kernel, 'pbva'), '1');
    assert.equal(await disabled(kernel, 'pbvc'), '1');
    quieter.quiet('pbva');
    await quieter.settled();
    assert.equal(quieter.backlog(), 0);
  });
});

describe('bridge ports on the fake kernel', () => {
  for (const ipv6 of [false, true]) {
    it(`a host veth has IPv6 off once the join settled (${ipv6 ? 'an IPv6 network' : 'IPv4 only'})`, async () => {
      const t = await buildTestApp();
      try {
        const inject = async (url: string, payload: object) => {
          const r = await t.app.inject({ method: 'POST', url, payload });
          assert.ok(r.statusCode < 300, r.body);
          return JSON.parse(r.body) as Record<string, unknown>;
        };
        await inject('/v1/networks', { name: 'n1', ...(ipv6 ? { enableIPv6: true, ipam: { config: [{ subnet: 'fd00:5::/64' }] } } : {}) });
        await inject('/v1/sandboxes', { name: 'c1' });
        const ep = await inject('/v1/networks/n1/connect', { sandbox: 'c1' });
        const hostIf = ep.hostIfName as string;
        await t.controller.settled();
        assert.equal(await disabled(t.kernel, hostIf), '1');
        assert.equal((await t.kernel.link(null, hostIf))?.master?.startsWith('pb-'), true);
      } finally {
        await t.close();
      }
    });
  }
});

describe('link quieter with deferral', () => {
  it('writes nothing while foreground kernel work runs; a pause, a backlog of maxBacklog or settled() writes them', async () => {
    const kernel = await fakeWithLinks('pbva', 'pbvb', 'pbvc', 'pbvd', 'pbve');
    const pauses = setPauses();
    const quieter = createLinkQuieter(kernel, () => Promise.resolve(), silent, { pauses, quietMs: 5, maxWaitMs: 60_000, maxBacklog: 3 });
    quieter.quiet('pbva');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await disabled(kernel, 'pbva'), '0', 'busy: not yet');
    pauses.set(5);
    while ((await disabled(kernel, 'pbva')) !== '1') await new Promise((r) => setTimeout(r, 2));
    pauses.set(0);
    for (const name of ['pbvb', 'pbvc']) quieter.quiet(name);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await disabled(kernel, 'pbvb'), '0');
    quieter.quiet('pbvd');
    while (quieter.backlog() > 0) await new Promise((r) => setTimeout(r, 2));
    assert.equal(await disabled(kernel, 'pbvd'), '1', 'a full backlog goes at once');
    quieter.quiet('pbve');
    await quieter.settled();
    assert.equal(await disabled(kernel, 'pbve'), '1', 'settled() does not wait for a pause');
  });
});
