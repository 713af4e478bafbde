import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeKernel, withFaults, type FakeKernel, type FakeKernelOptions, type Kernel } from '@patchbay/kernel';
import type { Controller } from '../src/controller/index.js';
import { buildTestApp, type TestApp } from './helpers/native-app.js';

/** Links, addresses and routes of every namespace, the netns list and the nft tables. */
async function kernelState(k: Kernel) {
  const names = (await k.netnsList()).sort();
  const spaces: Record<string, unknown> = {};
  const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
  for (const ref of [null, ...names.map((n) => `/run/netns/${n}`)]) {
    // Re-made links get a new index and a kernel-chosen MAC (and link-local address): not state we own.
    spaces[ref ?? 'root'] = {
      links: sort((await k.links(ref)).map(({ index: _i, mac, ...l }) => (ref === null ? l : { ...l, mac }))),
      addrs: sort((await k.addresses(ref)).filter((a) => a.scope !== 'link')),
      routes: sort(await k.routes(ref)),
    };
  }
  return { names, spaces, inet: await k.nftListTable('inet', 'patchbay'), bridge: await k.nftListTable('bridge', 'patchbay') };
}

/** What the API shows: networks, sandboxes, endpoints and every network's IPAM allocations. */
async function apiState(t: TestApp) {
  const get = async (url: string) => JSON.parse((await t.app.inject({ method: 'GET', url })).body);
  const networks = await get('/v1/networks');
  const ipam: Record<string, unknown> = {};
  for (const n of networks as { name: string; driver: string }[]) if (n.driver === 'bridge') ipam[n.name] = await get(`/v1/networks/${n.name}/ipam`);
  return { networks, sandboxes: await get('/v1/sandboxes'), endpoints: await get('/v1/endpoints'), ipam };
}

interface Case {
  name: string;
  /** a known bug, reported by node:test without failing the run */
  setup(c: Controller): Promise<void>;
  op(c: Controller): Promise<unknown>;
}

const netInput = (name: string, subnet: string) => ({
  name, driver: 'bridge', ipamDriver: 'default', ipamConfig: [{ subnet }], ipamOptions: {}, enableIPv6: false, internal: false, attachable: false, options: {}, labels: {},
});
/** s1 on the default bridge; `anet` sorts before `bridge`, so joining it moves the default route. */
async function twoNetworks(c: Controller, joinAnet: boolean) {
  await c.networks.create(netInput('anet', '10.130.0.0/24'));
  await c.sandboxes.create({ name: 's1' });
  await c.endpoints.connect('bridge', 's1', { ports: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }] });
  if (joinAnet) await c.endpoints.connect('anet', 's1', { ports: [{ containerPort: 81, hostPort: 8081, protocol: 'tcp' }] });
}

const cases: Case[] = [
  { name: 'network create', setup: async () => {}, op: (c) => c.networks.create(netInput('nf', '10.131.0.0/24')) },
  { name: 'network delete', setup: async (c) => void (await c.networks.create(netInput('nf', '10.131.0.0/24'))), op: (c) => c.networks.remove('nf') },
  { name: 'sandbox create', setup: async () => {}, op: (c) => c.sandboxes.create({ name: 'sf' }) },
  { name: 'connect (join, gateway moves)', setup: (c) => twoNetworks(c, false), op: (c) => c.endpoints.connect('anet', 's1', { ports: [{ containerPort: 81, hostPort: 8081, protocol: 'tcp' }] }) },
  { name: 'disconnect (leave, gateway moves back)', setup: (c) => twoNetworks(c, true), op: (c) => c.endpoints.disconnect('anet', 's1') },
  {
    name: 'sandbox delete',
    setup: (c) => twoNetworks(c, true), op: (c) => c.sandboxes.remove('s1') },
];

/**
 * Fail each mutating kernel call of `c.op` in turn, on a fresh app each time: the failure leaves
 * store and kernel as before (`api` is what the API shows of the store).
 */
async function failEachMutation(c: Case, opts: { kernel?: FakeKernelOptions; api?: (t: TestApp) => Promise<unknown> } = {}) {
  const api = opts.api ?? apiState;
  let failures = 0;
  for (let n = 1; n < 50; n++) {
    const inner: FakeKernel = createFakeKernel(opts.kernel);
    const faulty = withFaults(inner);
    // The helper only uses the Kernel interface of what it is given.
    const t = await buildTestApp(undefined, { kernel: faulty.kernel as FakeKernel });
    try {
      await c.setup(t.controller);
      const kernelBefore = await kernelState(inner);
      const apiBefore = await api(t);
      faulty.failAt(faulty.mutations() + n);
      const outcome = await c.op(t.controller).then(() => undefined, (err: unknown) => err);
      if (outcome === undefined) {
        assert.ok(failures > 0, 'at least one mutation was broken');
        assert.deepEqual((await t.controller.check()).drifts, []);
        return;
      }
      failures++;
      const where = `${c.name}, mutation ${n}: ${(outcome as Error).message}`;
      assert.equal((outcome as { code?: unknown }).code, 'PB_ERR_KERNEL', where);
      assert.match((outcome as Error).message, /injected fault/, where);
      const step = (outcome as { step?: unknown }).step;
      if (typeof step === 'string') {
        // A step failed: everything it and the steps before it did is undone, and the error names it.
        assert.ok((outcome as Error).message.startsWith(`${step}: `), where);
        assert.deepEqual(await kernelState(inner), kernelBefore, `kernel restored — ${where}`);
        assert.deepEqual(await api(t), apiBefore, `store restored — ${where}`);
      } else if (/nftApply|sysctlSet/.test((outcome as Error).message)) {
        // The firewall sync after a committed change failed: the change stays, and the
        // firewall drift is visible to check and repaired by reconcile.
        const check = await t.controller.check();
        assert.deepEqual(check.drifts.map((d) => d.kind), ['firewall'], where);
        assert.equal((await t.controller.reconcile({ dryRun: false })).repaired, true, where);
        assert.equal((await t.controller.check()).consistent, true, where);
      } else {
        // A single kernel call outside a step list (netnsAdd): restored all the same.
        assert.deepEqual(await kernelState(inner), kernelBefore, `kernel restored — ${where}`);
        assert.deepEqual(await api(t), apiBefore, `store restored — ${where}`);
      }
    } finally {
      await t.close();
    }
  }
  assert.fail(`${c.name} never succeeded`);
}

describe('fault injection (fake kernel): a failure at any mutation leaves store and kernel as before', () => {
  for (const c of cases) {
    it(c.name, () => failEachMutation(c));
  }
});

/** macvlan on the fake kernel's LAN interface eth0: `alan` sorts before `bridge`, so joining it moves the default route. */
const LAN_KERNEL: FakeKernelOptions = { hostLinks: [{ name: 'eth0', up: true }] };
const lanInput = (parent: string) => ({ ...netInput('alan', '192.168.66.0/24'), driver: 'macvlan', options: { parent } });
/** s1 on the default bridge and, when `joinLan`, on the macvlan network too */
async function onLan(c: Controller, parent: string, joinLan: boolean) {
  await c.networks.create(lanInput(parent));
  await c.sandboxes.create({ name: 's1' });
  await c.endpoints.connect('bridge', 's1', {});
  if (joinLan) await c.endpoints.connect('alan', 's1', {});
}
/** the store as the API shows it, with the macvlan network's IPAM too */
async function lanApiState(t: TestApp) {
  const ipam = await t.app.inject({ method: 'GET', url: '/v1/networks/alan/ipam' });
  return { ...(await apiState(t)), alan: ipam.statusCode === 200 ? JSON.parse(ipam.body) : ipam.statusCode };
}

const lanCases: Case[] = [
  { name: 'macvlan network create on a new 802.1Q sub-interface', setup: async () => {}, op: (c) => c.networks.create(lanInput('eth0.10')) },
  { name: 'macvlan network delete with its 802.1Q sub-interface', setup: async (c) => void (await c.networks.create(lanInput('eth0.10'))), op: (c) => c.networks.remove('alan') },
  { name: 'macvlan connect (the link made in the sandbox, the default route moves)', setup: (c) => onLan(c, 'eth0', false), op: (c) => c.endpoints.connect('alan', 's1', {}) },
  { name: 'macvlan connect on an 802.1Q sub-interface', setup: (c) => onLan(c, 'eth0.10', false), op: (c) => c.endpoints.connect('alan', 's1', {}) },
  { name: 'macvlan disconnect (the default route moves back)', setup: (c) => onLan(c, 'eth0', true), op: (c) => c.endpoints.disconnect('alan', 's1') },
  { name: 'sandbox delete with a macvlan endpoint', setup: (c) => onLan(c, 'eth0', true), op: (c) => c.sandboxes.remove('s1') },
];

describe('fault injection (fake kernel), macvlan: a failure at any mutation leaves store and kernel as before', () => {
  for (const c of lanCases) {
    it(c.name, () => failEachMutation(c, { kernel: LAN_KERNEL, api: lanApiState }));
  }

  it('a macvlan network on an existing parent, created and deleted, changes nothing in the kernel (so nothing can fail half-way)', async () => {
    const inner = createFakeKernel(LAN_KERNEL);
    const faulty = withFaults(inner);
    const t = await buildTestApp(undefined, { kernel: faulty.kernel as FakeKernel });
    try {
      const before = await kernelState(inner);
      const m0 = faulty.mutations();
      await t.controller.networks.create(lanInput('eth0'));
      await t.controller.networks.remove('alan');
      assert.equal(faulty.mutations(), m0);
      assert.deepEqual(await kernelState(inner), before);
    } finally {
      await t.close();
    }
  });
});
