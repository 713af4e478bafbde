import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeKernel, type FakeCall, type Kernel } from '@patchbay/kernel';
import { buildTestApp, type TestApp } from './helpers/native-app.js';

/**
 * A connect writes the endpoint's row while the kernel makes its link (one ipSequence: the veth
 * on the host side, then its peer configured in the sandbox). Whichever half fails, the other is
 * undone: no link, no row, no address is left.
 */

const netInput = (name: string, subnet: string) => ({
  name, driver: 'bridge', ipamDriver: 'default', ipamConfig: [{ subnet }], ipamOptions: {}, enableIPv6: false, internal: false, attachable: false, options: {}, labels: {},
});

async function hostLinks(k: Kernel) {
  return (await k.links(null)).map((l) => l.name).filter((n) => n.startsWith('pbv')).sort();
}

async function storeState(t: TestApp) {
  const get = async (url: string) => JSON.parse((await t.app.inject({ method: 'GET', url })).body);
  return { endpoints: await get('/v1/endpoints'), ipam: await get('/v1/networks/anet/ipam') };
}

describe('connect: the row and the link, made at once', () => {
  it('the sandbox side of the kernel call fails after the veth was made: the veth goes, no row, no address', async () => {
    const t = await buildTestApp();
    try {
      const c = t.controller;
      await c.networks.create(netInput('anet', '10.140.0.0/24'));
      await c.sandboxes.create({ name: 's1' });
      const links = await hostLinks(t.kernel);
      const before = await storeState(t);
      t.kernel.failNext((call) => call.method === 'ip' && call.inSequence === true && call.args[0] !== null);
      await assert.rejects(c.endpoints.connect('anet', 's1', {}), /injected fault/);
      t.kernel.assertNoPending();
      // the veth had been made (the batch before the failing one)
      assert.ok(t.kernel.calls.some((call) => call.inSequence && call.args[0] === null));
      assert.deepEqual(await hostLinks(t.kernel), links);
      assert.deepEqual(await storeState(t), before);
      assert.deepEqual((await c.check()).drifts, []);
      // and the same connect goes through afterwards, with the same address
      const ep = await c.endpoints.connect('anet', 's1', {});
      assert.equal(ep.ipv4, '10.140.0.2/24');
    } finally {
      await t.close();
    }
  });

  it('two connects of one endpoint name race: the row refused after the link was made leaves nothing; the other connect stands', async () => {
    const t = await buildTestApp();
    try {
      const c = t.controller;
      await c.networks.create(netInput('anet', '10.140.0.0/24'));
      await c.sandboxes.create({ name: 's1' });
      await c.sandboxes.create({ name: 's2' });
      const sequences = () => t.kernel.calls.filter((call) => call.method === 'ipSequence').length;
      const started = sequences();
      const outcomes = await Promise.allSettled([c.endpoints.connect('anet', 's1', { name: 'web' }), c.endpoints.connect('anet', 's2', { name: 'web' })]);
      // both got past the name check before either row was written: both made a link
      assert.equal(sequences() - started, 2);
      const [won, lost] = outcomes[0].status === 'fulfilled' ? outcomes : [outcomes[1], outcomes[0]];
      assert.equal(won!.status, 'fulfilled');
      assert.equal(lost!.status, 'rejected');
      const err = (lost as PromiseRejectedResult).reason as { code?: string; message: string };
      assert.equal(err.code, 'PB_ERR_ENDPOINT_EXISTS', err.message);
      assert.equal(err.message, 'endpoint with name web already exists in network anet');
      const winner = (won as PromiseFulfilledResult<{ hostIf: string | null; ipv4: string | null }>).value;
      assert.deepEqual(await hostLinks(t.kernel), [winner.hostIf]);
      const after = await storeState(t);
      assert.deepEqual(after.endpoints.map((e: { name: string }) => e.name), ['web']);
      const held = JSON.stringify(after.ipam);
      assert.ok(held.includes(winner.ipv4!.split('/')[0]!), held);
      assert.ok(!held.includes('10.140.0.3'), `the loser's address is free again: ${held}`);
      assert.deepEqual((await c.check()).drifts, []);
    } finally {
      await t.close();
    }
  });

  /** The kernel's mutating calls of `op`, each with the endpoint rows of `network` when it was made. */
  async function rowsAtKernelCalls(t: TestApp, network: string, op: () => Promise<unknown>) {
    const store = t.controller.core.store;
    const netId = store.networkByName(network)!.id;
    const seen: { call: string; rows: string[] }[] = [];
    const mutating = (c: FakeCall) => (c.method === 'ip' && !c.inSequence) || c.method === 'ipSequence';
    t.kernel.failNext((c) => {
      if (mutating(c)) seen.push({ call: c.method, rows: store.endpointsOf(netId).map((e) => e.state) });
      return false;
    });
    await op();
    return seen;
  }

  it('a bridge connect makes the link first: its row is written while the kernel works', async () => {
    const t = await buildTestApp();
    try {
      await t.controller.networks.create(netInput('anet', '10.140.0.0/24'));
      await t.controller.sandboxes.create({ name: 's1' });
      const seen = await rowsAtKernelCalls(t, 'anet', () => t.controller.endpoints.connect('anet', 's1', {}));
      assert.deepEqual(seen[0], { call: 'ipSequence', rows: [] });
    } finally {
      await t.close();
    }
  });

  it('a connect that moves the default route writes its row before the route goes (intent first)', async () => {
    const t = await buildTestApp();
    try {
      // s1 on the default bridge; `anet` sorts before `bridge`, so joining it moves the default route
      await t.controller.networks.create(netInput('anet', '10.140.0.0/24'));
      await t.controller.sandboxes.create({ name: 's1' });
      await t.controller.endpoints.connect('bridge', 's1', {});
      const seen = await rowsAtKernelCalls(t, 'anet', () => t.controller.endpoints.connect('anet', 's1', {}));
      assert.deepEqual(seen[0], { call: 'ip', rows: ['creating'] });
    } finally {
      await t.close();
    }
  });

  it('a macvlan connect (its link made inside the sandbox, where recovery would not find it) writes its row first', async () => {
    const t = await buildTestApp(undefined, { kernel: createFakeKernel({ hostLinks: [{ name: 'eth0', up: true }] }) });
    try {
      await t.controller.networks.create({ ...netInput('lan', '192.168.66.0/24'), driver: 'macvlan', options: { parent: 'eth0' } });
      await t.controller.sandboxes.create({ name: 's1' });
      const seen = await rowsAtKernelCalls(t, 'lan', () => t.controller.endpoints.connect('lan', 's1', {}));
      assert.deepEqual(seen[0], { call: 'ip', rows: ['creating'] });
    } finally {
      await t.close();
    }
  });
});
