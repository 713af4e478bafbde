import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeKernel, runSteps, type LinkKind } from '@patchbay/kernel';
import { createIpvlanDriver, createMacvlanDriver, type DriverNetwork, type NetworkDriver } from '../src/index.js';

const NET_ID = 'a'.repeat(64);
const net = (options: Record<string, string>, extra: Partial<DriverNetwork> = {}): DriverNetwork => ({
  id: NET_ID,
  name: 'lan',
  options,
  internal: false,
  isDefault: false,
  ipv4: { subnet: '192.168.50.0/24', gateway: '192.168.50.1' },
  state: {},
  ...extra,
});
const kernelWith = (missingLinkKinds: LinkKind[] = []) => createFakeKernel({ hostLinks: [{ name: 'eth0', up: true }], missingLinkKinds });
const ctxOf = (kernel = kernelWith()) => ({ kernel, defaults: { mtu: 1500 } });
const linkNames = async (k: ReturnType<typeof kernelWith>, ns: string | null = null) => (await k.links(ns)).map((l) => l.name).sort();

/** create the network and join one sandbox; returns what the kernel shows. */
async function joined(driver: NetworkDriver, n: DriverNetwork, ctx = ctxOf()) {
  const plan = await driver.planCreateNetwork!(n, ctx);
  n.state = plan.state;
  await runSteps(plan.steps);
  const nsName = `sb${Math.random().toString(16).slice(2, 8)}`;
  const key = await ctx.kernel.netnsAdd(nsName);
  const ep = { id: 'b'.repeat(64), ipv4: '192.168.50.2/24', mac: '02:42:c0:a8:32:02' };
  const sb = { id: 'c'.repeat(64), key };
  await runSteps([...driver.planAttach!(n, ep, { netns: key, ifName: 'eth0' }, ctx).steps, ...driver.planConfigure!(n, ep, sb, { ifName: 'eth0', isGateway: true }, ctx)]);
  const inside = (await ctx.kernel.links(key)).find((l) => l.name === 'eth0');
  return { ctx, key, nsName, ep, sb, inside, routes: await ctx.kernel.routes(key) };
}

describe('macvlan driver', () => {
  const driver = createMacvlanDriver();

  for (const mode of ['bridge', 'private', 'vepa', 'passthru']) {
    it(`mode ${mode}: the link is made in the sandbox on the parent, with the endpoint's MAC and address, default route via the gateway`, async () => {
      const { inside, routes, ctx, key } = await joined(driver, net({ parent: 'eth0', macvlan_mode: mode }));
      assert.equal(inside?.kind, 'macvlan');
      assert.equal(inside?.mode, mode);
      if (mode !== 'passthru') assert.equal(inside?.mac, '02:42:c0:a8:32:02');
      assert.ok((await ctx.kernel.addresses(key)).some((a) => a.dev === 'eth0' && a.cidr === '192.168.50.2/24'));
      assert.deepEqual(routes.filter((r) => r.dst === 'default').map((r) => [r.gateway, r.dev]), [['192.168.50.1', 'eth0']]);
    });
  }

  it('defaults to bridge mode', async () => {
    assert.equal((await joined(driver, net({ parent: 'eth0' }))).inside?.mode, 'bridge');
  });

  it('refuses a bad mode, a bad parent name or VLAN id, before anything', () => {
    assert.throws(() => driver.validateOptions({ macvlan_mode: 'l2' }, { name: 'x', isDefault: false }, []), /macvlan_mode.*bridge, private, vepa, passthru/);
    assert.throws(() => driver.validateOptions({ parent: 'a/b' }, { name: 'x', isDefault: false }, []), { code: 'PB_ERR_INVALID_OPTION' });
    assert.throws(() => driver.validateOptions({ parent: 'eth0.4095' }, { name: 'x', isDefault: false }, []), /VLAN id/);
  });

  it("Docker's rule: one network per parent; distinct VLAN sub-interfaces are distinct parents", () => {
    const other = net({ parent: 'eth0' }, { name: 'first', state: { parent: 'eth0', created: false } });
    assert.throws(() => driver.validateOptions({ parent: 'eth0' }, { name: 'x', isDefault: false }, [other]), {
      code: 'PB_ERR_PARENT_IN_USE',
      message: 'network first is already using parent interface eth0',
    });
    assert.deepEqual(driver.validateOptions({ parent: 'eth0.10' }, { name: 'x', isDefault: false }, [other]), { parent: 'eth0.10' });
  });

  it('a missing parent is refused with nothing made', async () => {
    const ctx = ctxOf();
    await assert.rejects(driver.planCreateNetwork!(net({ parent: 'eth9' }), ctx), { code: 'PB_ERR_INVALID_OPTION', message: /not found on the host: eth9/ });
    await assert.rejects(driver.planCreateNetwork!(net({ parent: 'eth9.10' }), ctx), { message: /eth9$/ });
    assert.deepEqual(await linkNames(ctx.kernel), ['eth0', 'lo']);
  });

  it('parent=IFACE.VLAN: the sub-interface is made when missing and deleted with the network', async () => {
    const n = net({ parent: 'eth0.10' });
    const { ctx, key, ep, sb } = await joined(driver, n);
    const vlan = await ctx.kernel.link(null, 'eth0.10');
    assert.equal(vlan?.kind, 'vlan');
    assert.equal(vlan?.vlanId, 10);
    assert.equal(vlan?.up, true);
    assert.deepEqual(n.state, { parent: 'eth0.10', created: true, made: 'vlan' });
    await runSteps(driver.planLeave!(n, { ...ep, hostIf: null, ifName: 'eth0' }, sb, ctx));
    assert.deepEqual(await linkNames(ctx.kernel, key), ['lo']);
    await runSteps(driver.planDeleteNetwork!(n, ctx));
    assert.deepEqual(await linkNames(ctx.kernel), ['eth0', 'lo']);
  });

  it('an existing sub-interface is used and left alone on delete', async () => {
    const ctx = ctxOf();
    await ctx.kernel.ip(null, [{ op: 'vlan.add', name: 'eth0.20', parent: 'eth0', id: 20 }]);
    const n = net({ parent: 'eth0.20' });
    const plan = await driver.planCreateNetwork!(n, ctx);
    assert.deepEqual(plan, { steps: [], state: { parent: 'eth0.20', created: false } });
    n.state = plan.state;
    assert.deepEqual(driver.planDeleteNetwork!(n, ctx), []);
  });

  it('refuses up front, naming the missing kernel feature, and leaves nothing: macvlan, vlan, dummy', async () => {
    for (const [missing, options] of [
      ['macvlan', { parent: 'eth0' }],
      ['vlan', { parent: 'eth0.10' }],
      ['dummy', {}],
    ] as const) {
      const ctx = ctxOf(kernelWith([missing]));
      await assert.rejects(driver.planCreateNetwork!(net({ ...options }), ctx), { code: 'PB_ERR_KERNEL_FEATURE', message: new RegExp(`no ${missing} link type`) });
      assert.deepEqual(await linkNames(ctx.kernel), ['eth0', 'lo'], missing);
    }
  });

  it('no parent: an internal network on a dummy dm-<id> (no default route), deleted with the network', async () => {
    const n = net({});
    const { ctx, routes, nsName } = await joined(driver, n);
    assert.equal((await ctx.kernel.link(null, 'dm-aaaaaaaaaaaa'))?.kind, 'dummy');
    assert.deepEqual(routes.filter((r) => r.dst === 'default'), []);
    assert.equal(driver.ownsLinkName('dm-aaaaaaaaaaaa'), true);
    await ctx.kernel.netnsDelete(nsName);
    await runSteps(driver.planDeleteNetwork!(n, ctx));
    assert.deepEqual(await linkNames(ctx.kernel), ['eth0', 'lo']);
  });

  it('passthru: the link has the parent MAC (the kernel ignores another), the check accepts it, and the network takes one endpoint', async () => {
    const n = net({ parent: 'eth0', macvlan_mode: 'passthru' });
    const { inside, ctx, sb, ep } = await joined(driver, n);
    assert.equal(inside?.mac, (await ctx.kernel.link(null, 'eth0'))?.mac);
    const view = { root: { links: new Map(), addresses: [] }, isGateway: true, rejoin: async () => {}, sandbox: {
      links: () => ctx.kernel.links(sb.key), addresses: () => ctx.kernel.addresses(sb.key), routes: () => ctx.kernel.routes(sb.key) } };
    assert.deepEqual(await driver.checkEndpoint!(n, { ...ep, hostIf: null, ifName: 'eth0' }, sb, view, ctx), []);
    assert.deepEqual(driver.endpointLimit?.(n), { max: 1, reason: 'macvlan mode passthru gives parent interface eth0 to 1 endpoint' });
    for (const mode of ['bridge', 'private', 'vepa']) assert.equal(driver.endpointLimit?.(net({ parent: 'eth0', macvlan_mode: mode })), undefined);
  });

  it('publishes no ports: no firewall facts', () => {
    assert.equal((driver as NetworkDriver).firewallFacts?.(net({ parent: 'eth0' })), undefined);
  });

  it('checkNetwork: a lost parent patchbay did not make is a drift whose repair says why it cannot', async () => {
    const n = net({ parent: 'eth0' }, { state: { parent: 'eth0', created: false } });
    const ctx = ctxOf();
    const drifts = driver.checkNetwork!(n, { links: new Map(), addresses: [] }, ctx);
    assert.deepEqual(drifts.map((d) => d.kind), ['parent-missing']);
    assert.match(drifts[0]!.action, /restore it on the host/);
    await assert.rejects(drifts[0]!.repair(), /patchbay did not make it/);
  });
});

describe('ipvlan driver', () => {
  const driver = createIpvlanDriver();

  it('l2 (default): default route via the gateway; the link shares the parent MAC', async () => {
    const { inside, routes, ctx } = await joined(driver, net({ parent: 'eth0' }));
    assert.equal(inside?.kind, 'ipvlan');
    assert.equal(inside?.mode, 'l2');
    assert.equal(inside?.mac, (await ctx.kernel.link(null, 'eth0'))?.mac);
    assert.deepEqual(routes.filter((r) => r.dst === 'default').map((r) => r.gateway), ['192.168.50.1']);
  });

  for (const mode of ['l3', 'l3s']) {
    it(`${mode}: no gateway, the default route goes through the device`, async () => {
      const { inside, routes } = await joined(driver, net({ parent: 'eth0', ipvlan_mode: mode }));
      assert.equal(inside?.mode, mode);
      assert.deepEqual(routes.filter((r) => r.dst === 'default').map((r) => [r.gateway, r.dev]), [[undefined, 'eth0']]);
    });
  }

  for (const flag of ['bridge', 'private', 'vepa']) {
    it(`flag ${flag} reaches the link`, async () => {
      assert.equal((await joined(driver, net({ parent: 'eth0', ipvlan_flag: flag }))).inside?.flag, flag);
    });
  }

  it('refuses a bad mode or flag', () => {
    assert.throws(() => driver.validateOptions({ ipvlan_mode: 'bridge' }, { name: 'x', isDefault: false }, []), /l2, l3, l3s/);
    assert.throws(() => driver.validateOptions({ ipvlan_flag: 'passthru' }, { name: 'x', isDefault: false }, []), /bridge, private, vepa/);
  });

  it('a kernel without ipvlan: refused before any change, naming ipvlan', async () => {
    const ctx = ctxOf(kernelWith(['ipvlan', 'vlan', 'dummy']));
    await assert.rejects(driver.planCreateNetwork!(net({ parent: 'eth0.10' }), ctx), { code: 'PB_ERR_KERNEL_FEATURE', message: /no ipvlan link type \(CONFIG_IPVLAN\)/ });
    assert.deepEqual(await linkNames(ctx.kernel), ['eth0', 'lo']);
  });
});
