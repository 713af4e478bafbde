import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeKernel, runSteps } from '@patchbay/kernel';
import { createBridgeDriver, createBuiltinRegistry, type DriverNetwork } from '../src/index.js';

const net = (over: Partial<DriverNetwork> = {}): DriverNetwork => ({
  id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  name: 'n1',
  options: {},
  internal: false,
  isDefault: false,
  ipv4: { subnet: '10.50.0.0/24', gateway: '10.50.0.1' },
  state: {},
  ...over,
});

describe('bridge driver on the fake kernel', () => {
  const driver = createBridgeDriver();

  it('creates a bridge with the gateway address and deletes it again', async () => {
    const kernel = createFakeKernel();
    const ctx = { kernel, defaults: { mtu: 1500 } };
    const plan = await driver.planCreateNetwork(net(), ctx);
    assert.deepEqual(plan.state, { bridge: 'pb-a1b2c3d4e5f6', created: true });
    await runSteps(plan.steps);
    const br = (await kernel.links(null)).find((l) => l.name === 'pb-a1b2c3d4e5f6');
    assert.ok(br && br.kind === 'bridge' && br.up);
    assert.ok((await kernel.addresses(null)).some((a) => a.dev === br.name && a.cidr === '10.50.0.1/24'));
    await runSteps(driver.planDeleteNetwork(net({ state: plan.state }), ctx));
    assert.equal((await kernel.links(null)).some((l) => l.name === br.name), false);
  });

  it('adopts an existing bridge, replaces a different IPv4 address, and never deletes it', async () => {
    const kernel = createFakeKernel({ hostLinks: [{ name: 'br7', kind: 'bridge', addrs: ['192.168.9.1/24'] }] });
    const ctx = { kernel, defaults: { mtu: 1500 } };
    const n = net({ options: { 'com.docker.network.bridge.name': 'br7' } });
    const plan = await driver.planCreateNetwork(n, ctx);
    assert.equal(plan.state.created, false);
    await runSteps(plan.steps);
    const addrs = (await kernel.addresses(null)).filter((a) => a.dev === 'br7' && a.family === 4).map((a) => a.cidr);
    assert.deepEqual(addrs, ['10.50.0.1/24']);
    assert.deepEqual(driver.planDeleteNetwork(net({ ...n, state: plan.state }), ctx), []);
  });

  it('creates a bridge with IGMP/MLD snooping off only when the network asks (patchbay.bridge.mcast_snooping=false)', async () => {
    const kernel = createFakeKernel();
    const ctx = { kernel, defaults: { mtu: 1500 } };
    const off = net({ options: driver.validateOptions({ 'patchbay.bridge.mcast_snooping': '0' }) });
    const on = net({ id: 'b1b2c3d4e5f60718293a4b5c6d7e8f90', ipv4: { subnet: '10.51.0.0/24', gateway: '10.51.0.1' } });
    for (const n of [off, on]) await runSteps((await driver.planCreateNetwork(n, ctx)).steps);
    const snooping = async (name: string) => (await kernel.link(null, name))?.mcastSnooping;
    assert.equal(await snooping('pb-a1b2c3d4e5f6'), false);
    assert.equal(await snooping('pb-b1b2c3d4e5f6'), true);
  });

  it('takes an existing bridge as it is: the snooping option may only say what it already does', async () => {
    const kernel = createFakeKernel({ hostLinks: [{ name: 'br7', kind: 'bridge' }, { name: 'br8', kind: 'bridge', mcastSnooping: false }] });
    const ctx = { kernel, defaults: { mtu: 1500 } };
    const on7 = net({ options: { 'com.docker.network.bridge.name': 'br7', 'patchbay.bridge.mcast_snooping': 'false' } });
    await assert.rejects(driver.planCreateNetwork(on7, ctx), (err: Error & { code?: string }) => err.code === 'PB_ERR_INVALID_OPTION' && /br7 exists with IGMP\/MLD snooping on/.test(err.message));
    const off8 = net({ options: { 'com.docker.network.bridge.name': 'br8', 'patchbay.bridge.mcast_snooping': 'false' } });
    assert.equal((await driver.planCreateNetwork(off8, ctx)).state.created, false);
    assert.equal((await kernel.link(null, 'br7'))?.mcastSnooping, true, 'the refusal changed nothing');
  });

  it('refuses a non-bridge device of the same name', async () => {
    const kernel = createFakeKernel({ hostLinks: [{ name: 'eth9', kind: '' }] });
    await assert.rejects(driver.planCreateNetwork(net({ options: { 'com.docker.network.bridge.name': 'eth9' } }), { kernel, defaults: { mtu: 1500 } }), /not a bridge/);
  });

  it('join puts eth<N> in the sandbox with address, MAC, MTU and default route, its host veth on the bridge in hairpin mode; leave removes the veth', async () => {
    const kernel = createFakeKernel();
    const ctx = { kernel, defaults: { mtu: 1500 } };
    const n = net({ options: { 'com.docker.network.driver.mtu': '1400' } });
    const created = await driver.planCreateNetwork(n, ctx);
    await runSteps(created.steps);
    const key = await kernel.netnsAdd('pb-sandbox1');
    const ep = { id: 'ffeeddccbbaa99887766', ipv4: '10.50.0.2/24', mac: '02:42:0a:32:00:02' };
    const joined = net({ ...n, state: created.state });
    const attach = driver.planAttach(joined, ep, { netns: key, ifName: 'eth0' }, ctx);
    const plan = { hostIf: attach.hostIf, steps: [...attach.steps, ...driver.planConfigure(joined, ep, { id: 'sb', key }, { ifName: 'eth0', isGateway: true }, ctx)] };
    assert.equal(plan.hostIf, 'pbvffeeddccbbaa');
    const before = kernel.calls.length;
    await runSteps(plan.steps);
    const hostBatches = kernel.calls.slice(before).filter((c) => c.method === 'ip' && c.args[0] === null);
    assert.equal(hostBatches.length, 1, 'the host side is one ip process');
    const inside = (await kernel.links(key)).find((l) => l.name === 'eth0');
    assert.ok(inside && inside.up && inside.mtu === 1400 && inside.mac === ep.mac);
    const host = (await kernel.links(null)).find((l) => l.name === plan.hostIf);
    assert.ok(host && host.master === 'pb-a1b2c3d4e5f6' && host.mtu === 1400);
    assert.equal(host.hairpin, true, 'hairpin: a sandbox can reach its own published port through the bridge');
    assert.ok((await kernel.routes(key)).some((r) => r.dst === 'default' && r.gateway === '10.50.0.1'));
    await runSteps(driver.planLeave(n, { ...ep, hostIf: plan.hostIf, ifName: 'eth0' }, { id: 'sb', key }, ctx));
    assert.equal((await kernel.links(key)).some((l) => l.name === 'eth0'), false);
    assert.equal((await kernel.links(null)).some((l) => l.name === plan.hostIf), false);
  });

  it('validates its options', () => {
    assert.throws(() => driver.validateOptions({ 'com.docker.network.bridge.name': 'x;rm -rf' }), /bridge.name/);
    assert.throws(() => driver.validateOptions({ 'com.docker.network.driver.mtu': '70000' }), /68 to 65535/);
    assert.deepEqual(driver.validateOptions({ 'com.docker.network.bridge.enable_icc': '0' }), { 'com.docker.network.bridge.enable_icc': 'false' });
    assert.throws(() => driver.validateOptions({ 'patchbay.bridge.mcast_snooping': 'off' }), /mcast_snooping.*must be true or false/);
  });

  it('the registry knows bridge, null, host, macvlan and ipvlan and refuses unknown drivers', () => {
    const reg = createBuiltinRegistry();
    assert.deepEqual(reg.names(), ['bridge', 'null', 'host', 'macvlan', 'ipvlan']);
    assert.throws(() => reg.get('overlay'), /plugin "overlay" not found/);
  });
});
