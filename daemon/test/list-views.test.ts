import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFakeKernel, type FakeKernel } from '@patchbay/kernel';
import type { DnsServiceOptions } from '../src/dns/index.js';
import { buildTestApp, type TestApp } from './helpers/app.js';

/**
 * GET /v1/endpoints and GET /v1/sandboxes answer from views kept per item (daemon/src/http/
 * list-views.ts). Every step below reads both lists first (so every item is kept), changes
 * something, then checks each list against its items as the single-item routes build them from
 * the store: a kept view the change did not drop would show the item as it was.
 */
let dir: string;
let dnsOptions: Partial<DnsServiceOptions>;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pb-list-views-'));
  await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\n');
  dnsOptions = { resolvConfPath: join(dir, 'resolv.conf'), port: 0 };
});
after(() => rm(dir, { recursive: true, force: true }));

async function call(t: TestApp, method: string, url: string, payload?: unknown) {
  const r = await t.app.inject({ method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) });
  assert.ok(r.statusCode < 300, `${method} ${url} → ${r.statusCode}: ${r.body}`);
  return { body: r.body ? JSON.parse(r.body) : undefined, headers: r.headers };
}

interface Item {
  id: string;
}

/** Both lists, and what the single-item routes say of every endpoint and sandbox the store holds, in the store's order. */
async function listsAndItems(t: TestApp) {
  const endpoints = await call(t, 'GET', '/v1/endpoints');
  assert.match(String(endpoints.headers['content-type']), /^application\/json; charset=utf-8$/);
  const sandboxes = await call(t, 'GET', '/v1/sandboxes');
  const endpointItems = [];
  for (const e of t.controller.endpoints.list()) endpointItems.push((await call(t, 'GET', `/v1/networks/${e.networkId}/endpoints/${e.id}`)).body);
  const sandboxItems = [];
  for (const s of t.controller.sandboxes.list()) sandboxItems.push((await call(t, 'GET', `/v1/sandboxes/${s.id}`)).body);
  return { endpoints: endpoints.body as Item[], sandboxes: sandboxes.body as Item[], endpointItems, sandboxItems };
}

/** Reads the lists (keeping every item's view), runs `change`, and checks the lists show its effect. */
async function afterChange(t: TestApp, change: () => Promise<unknown>): Promise<{ endpoints: Record<string, unknown>[]; sandboxes: Record<string, unknown>[] }> {
  await listsAndItems(t);
  await change();
  const now = await listsAndItems(t);
  assert.deepEqual(now.endpoints, now.endpointItems);
  assert.deepEqual(now.sandboxes, now.sandboxItems);
  for (const net of t.controller.networks.list()) {
    const ofNetwork = (await call(t, 'GET', `/v1/networks/${net.id}/endpoints`)).body;
    assert.deepEqual(ofNetwork, now.endpointItems.filter((e) => e.networkId === net.id));
  }
  return { endpoints: now.endpoints as never, sandboxes: now.sandboxes as never };
}

const byId = <T extends Item>(list: T[], id: string) => list.find((x) => x.id === id) as (T & Record<string, unknown>) | undefined;

/** A fake kernel whose `ip` calls wait for `release` once `hold` was called, then fail. */
function heldKernel(fake: FakeKernel) {
  let held: { reached: () => void; release: Promise<void> } | undefined;
  const kernel = new Proxy(fake, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'ip' || typeof value !== 'function') return value;
      // decided at each call: the controller may keep the method it was given at start
      return async (...args: unknown[]) => {
        const h = held;
        if (!h) return (value as (...a: unknown[]) => unknown).apply(target, args);
        held = undefined;
        h.reached();
        await h.release;
        throw new Error('held ip call failed');
      };
    },
  });
  return {
    kernel,
    /** the next ip call waits until the returned `release` is called, then fails; `reached` resolves when it starts */
    hold() {
      let release!: () => void;
      let reached!: () => void;
      const atCall = new Promise<void>((r) => (reached = r));
      held = { reached, release: new Promise<void>((r) => (release = r)) };
      return { reached: atCall, release };
    },
  };
}

describe('list views kept per item', () => {
  let t: TestApp;
  let held: ReturnType<typeof heldKernel>;
  const dbPath = () => join(dir, 'lists.db');
  const build = () => buildTestApp({ flags: ['--bip', '10.200.0.1/24'], dns: dnsOptions, fake: held.kernel, dbPath: dbPath() });
  before(async () => {
    held = heldKernel(createFakeKernel());
    t = await build();
    await call(t, 'POST', '/v1/networks', { name: 'n1', ipam: { config: [{ subnet: '127.53.31.0/24' }] } });
    await call(t, 'POST', '/v1/sandboxes', { name: 's1' });
  });
  after(() => t.close());

  it('an endpoint created shows in the lists', async () => {
    const now = await afterChange(t, () => call(t, 'POST', '/v1/networks/n1/endpoints', { name: 'e1', ports: [{ containerPort: 80, hostPort: 8080 }] }));
    assert.ok(now.endpoints.some((e) => e.name === 'e1'));
  });

  it('a sandbox created shows in the lists', async () => {
    const now = await afterChange(t, () => call(t, 'POST', '/v1/sandboxes', { name: 's2' }));
    assert.ok(now.sandboxes.some((s) => s.name === 's2'));
  });

  it('a join shows on the endpoint and in its sandbox, with the network DNS', async () => {
    const now = await afterChange(t, () => call(t, 'POST', '/v1/networks/n1/endpoints/e1/join', { sandbox: 's1' }));
    const e1 = now.endpoints.find((e) => e.name === 'e1')!;
    const s1 = now.sandboxes.find((s) => s.name === 's1')!;
    assert.equal(e1.sandboxId, s1.id);
    assert.equal(e1.ifName, 'eth0');
    assert.deepEqual((s1.endpoints as { name: string }[]).map((e) => e.name), ['e1']);
    assert.ok(e1.dns && s1.dns, 'n1 serves DNS');
  });

  it('a second network joined: the sandbox lists both, its DNS merges both', async () => {
    const now = await afterChange(t, async () => {
      await call(t, 'POST', '/v1/networks', { name: 'n2', ipam: { config: [{ subnet: '127.53.32.0/24' }] } });
      await call(t, 'POST', '/v1/networks/n2/connect', { sandbox: 's1' });
    });
    const s1 = now.sandboxes.find((s) => s.name === 's1')!;
    assert.equal((s1.endpoints as unknown[]).length, 2);
    assert.equal((s1.dns as { nameservers: string[] }).nameservers.length, 2);
  });

  it('a leave shows on the endpoint and in its sandbox', async () => {
    const now = await afterChange(t, () => call(t, 'POST', '/v1/networks/n1/endpoints/e1/leave'));
    const e1 = now.endpoints.find((e) => e.name === 'e1')!;
    assert.equal(e1.sandboxId, null);
    assert.equal(e1.dns !== undefined, true, 'an endpoint of n1 is told its DNS joined or not');
    const s1 = now.sandboxes.find((s) => s.name === 's1')!;
    assert.deepEqual((s1.endpoints as { networkName: string }[]).map((e) => e.networkName), ['n2']);
  });

  it('a join into another sandbox drops that sandbox’s view too', async () => {
    const now = await afterChange(t, () => call(t, 'POST', '/v1/networks/n1/endpoints/e1/join', { sandbox: 's2' }));
    const s2 = now.sandboxes.find((s) => s.name === 's2')!;
    assert.deepEqual((s2.endpoints as { name: string }[]).map((e) => e.name), ['e1']);
  });

  it('a join that fails half-way, read while it runs, shows nothing of it afterwards', async () => {
    await call(t, 'POST', '/v1/networks/n1/endpoints', { name: 'e3' });
    const gate = held.hold();
    let joining: Promise<unknown> | undefined;
    await afterChange(t, async () => {
      joining = t.app.inject({ method: 'POST', url: '/v1/networks/n1/endpoints/e3/join', payload: { sandbox: 's1' } });
      await gate.reached;
      // read while the row says where the endpoint is going: those views are kept
      const during = await listsAndItems(t);
      const e3 = during.endpoints.find((e) => (e as { name?: string }).name === 'e3') as { sandboxId: string | null } | undefined;
      assert.notEqual(e3?.sandboxId, null, 'the join in flight shows');
      gate.release();
      const r = await joining;
      assert.notEqual((r as { statusCode: number }).statusCode, 200);
    });
    const after = await listsAndItems(t);
    assert.equal((byId(after.endpoints, t.controller.endpoints.get('n1', 'e3').id) as unknown as { sandboxId: string | null }).sandboxId, null);
  });

  it('an endpoint removed, a disconnect and a sandbox removed leave the lists', async () => {
    const now = await afterChange(t, async () => {
      await call(t, 'DELETE', '/v1/networks/n1/endpoints/e3');
      await call(t, 'POST', '/v1/networks/n2/disconnect', { sandbox: 's1' });
      await call(t, 'DELETE', '/v1/sandboxes/s1');
    });
    assert.ok(!now.endpoints.some((e) => e.name === 'e3'));
    assert.ok(!now.sandboxes.some((s) => s.name === 's1'));
    assert.ok(!now.endpoints.some((e) => e.networkName === 'n2'));
  });

  it('a network removed and made again under its name: the lists name the new one', async () => {
    const now = await afterChange(t, async () => {
      await call(t, 'DELETE', '/v1/networks/n2');
      await call(t, 'POST', '/v1/networks', { name: 'n2', ipam: { config: [{ subnet: '127.53.33.0/24' }] } });
      await call(t, 'POST', '/v1/networks/n2/connect', { sandbox: 's2' });
    });
    const n2 = t.controller.networks.get('n2');
    assert.ok(now.endpoints.some((e) => e.networkId === n2.id && e.gateway === '127.53.33.1'));
  });

  it('a restart on the same store answers the same lists', async () => {
    const before = await listsAndItems(t);
    await t.close();
    t = await build();
    const now = await afterChange(t, async () => {});
    assert.deepEqual(now.endpoints, before.endpoints);
    assert.deepEqual(now.sandboxes, before.sandboxes);
  });

  it('DNS stopped for a network (no store write): the lists drop its DNS', async () => {
    const n2 = t.controller.networks.get('n2');
    const now = await afterChange(t, () => t.controller.core.dns.removeNetwork(n2.id));
    const onN2 = now.endpoints.filter((e) => e.networkId === n2.id);
    assert.ok(onN2.length > 0 && onN2.every((e) => e.dns === undefined));
    const onN2Sandboxes = now.sandboxes.filter((s) => (s.endpoints as { networkId: string }[]).some((e) => e.networkId === n2.id));
    assert.ok(onN2Sandboxes.length > 0);
    for (const s of onN2Sandboxes) assert.ok(!((s.dns as { nameservers: string[] } | undefined)?.nameservers ?? []).includes('127.53.33.1'), 'n2 serves no DNS any more');
  });
});
