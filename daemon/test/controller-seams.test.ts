import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBridgeDriver, createHostDriver, createNullDriver, createRegistry, type NetworkDriver } from '@patchbay/drivers';
import { createFakeKernel, type FakeKernel } from '@patchbay/kernel';
import { pino } from 'pino';
import { parseFlags } from '../src/config.js';
import { createController, type Controller } from '../src/controller/index.js';
import { createStore, openDb } from '../src/store/index.js';

/**
 * A driver whose endpoints have no host side (like macvlan or ipvlan): attach makes the
 * interface inside the sandbox only, so its endpoints record no host interface.
 */
const sandboxOnlyDriver = (): NetworkDriver => ({
  name: 'inside',
  scope: 'local',
  usesIpam: true,
  singleton: false,
  validateOptions: (options) => options,
  planAttach: (_net, ep, target, ctx) => ({
    hostIf: null,
    steps: [
      {
        name: `create ${target.ifName}`,
        run: () => ctx.kernel.ip(target.netns, [{ op: 'veth.add', name: target.ifName, peer: `x${ep.id.slice(0, 8)}`, peerNetns: target.netns }]),
        undo: () => ctx.kernel.ip(target.netns, [{ op: 'link.del', name: target.ifName }], { ignoreMissing: true }),
      },
    ],
  }),
  planLeave: (_net, ep, sb, ctx) => [{ name: 'delete', run: () => ctx.kernel.ip(sb?.key ?? null, [{ op: 'link.del', name: ep.ifName! }], { ignoreMissing: true }) }],
});

async function controllerOn(kernel: FakeKernel, extra: NetworkDriver[] = []): Promise<Controller> {
  const registry = createRegistry([createBridgeDriver(), createNullDriver(), createHostDriver(), ...extra]);
  const controller = createController({
    store: createStore(openDb(':memory:')),
    kernel,
    registry,
    // no DNS: the fake kernel's gateway addresses are on no interface a server could bind
    config: parseFlags(['--bip', '10.200.0.1/24', '--dns=false']),
    log: pino({ level: 'silent' }),
  });
  await controller.start();
  return controller;
}

const network = (name: string, subnet: string, extra: Record<string, unknown> = {}) => ({
  name, driver: 'bridge', ipamDriver: 'default', ipamConfig: [{ subnet }], ipamOptions: {}, enableIPv6: false, internal: false, attachable: false, options: {}, labels: {}, ...extra,
});

describe('controller seams (fake kernel)', () => {
  it('attach alone: the veth is made in the host namespace under the given name, its host end on the bridge, nothing inside is configured; detach removes it', async () => {
    const kernel = createFakeKernel();
    const c = await controllerOn(kernel);
    const net = await c.networks.create(network('n1', '10.90.0.0/24'));
    const ep = await c.endpoints.create('n1', { name: 'e1' });
    const before = kernel.calls.filter((x) => x.method === 'ip').length;
    const attached = await c.endpoints.attach('n1', 'e1', { netns: null, ifName: 'pbtmp0' });
    assert.equal(kernel.calls.filter((x) => x.method === 'ip').length - before, 1, 'one batch on the host side, none inside');
    assert.equal(attached.sandboxId, null);
    assert.equal(attached.ifName, 'pbtmp0');
    const host = await kernel.link(null, attached.hostIf!);
    assert.equal(host?.master, net.driverState.bridge);
    const peer = await kernel.link(null, 'pbtmp0');
    assert.ok(peer && !peer.up, 'the container side waits in the host namespace, down');
    assert.equal(peer.mac, ep.mac);
    assert.deepEqual((await kernel.addresses(null)).filter((a) => a.dev === 'pbtmp0' && a.scope !== 'link'), []);
    await assert.rejects(c.endpoints.remove('n1', 'e1'), { code: 'PB_ERR_ENDPOINT_JOINED' });
    await assert.rejects(c.endpoints.attach('n1', 'e1', { netns: null, ifName: 'pbtmp1' }), { code: 'PB_ERR_ENDPOINT_JOINED' });
    assert.deepEqual((await c.check()).drifts, [], 'the attached veth is owned, not an orphan');
    const detached = await c.endpoints.detach('n1', 'e1');
    assert.equal(detached.hostIf, null);
    await c.settled();
    assert.equal(await kernel.link(null, 'pbtmp0'), undefined);
    assert.equal(await kernel.link(null, attached.hostIf!), undefined);
  });

  it('attach refuses a bad interface name before anything changes', async () => {
    const kernel = createFakeKernel();
    const c = await controllerOn(kernel);
    await c.networks.create(network('n1', '10.91.0.0/24'));
    await c.endpoints.create('n1', { name: 'e1' });
    const links = await kernel.links(null);
    await assert.rejects(c.endpoints.attach('n1', 'e1', { netns: null, ifName: 'way-too-long-name0' }), { code: 'PB_ERR_INVALID' });
    assert.deepEqual(await kernel.links(null), links);
    assert.equal(c.endpoints.get('n1', 'e1').hostIf, null);
  });

  it('the interface name is data: given by the caller, or <prefix><N>; a bad or taken name is refused and changes nothing', async () => {
    const kernel = createFakeKernel();
    const c = await controllerOn(kernel);
    await c.networks.create(network('n1', '10.92.0.0/24'));
    await c.networks.create(network('n2', '10.93.0.0/24', { options: { 'com.docker.network.container_iface_prefix': 'net' } }));
    await c.networks.create(network('n3', '10.94.0.0/24'));
    const sb = await c.sandboxes.create({ name: 's' });
    const a = await c.endpoints.connect('n1', 's', { ifName: 'eth0' });
    const b = await c.endpoints.connect('n2', 's', {});
    assert.equal(a.ifName, 'eth0');
    assert.equal(b.ifName, 'net1');
    const links = await kernel.links(sb.key);
    await assert.rejects(c.endpoints.connect('n3', 's', { ifName: 'eth0' }), { code: 'PB_ERR_INVALID_NAME', message: 'interface name eth0 is already taken in sandbox s' });
    await assert.rejects(c.endpoints.connect('n3', 's', { ifName: 'bad name' }), { code: 'PB_ERR_INVALID' });
    assert.deepEqual(await kernel.links(sb.key), links);
    assert.equal(c.endpoints.list('n3').length, 0, 'a refused connect leaves no endpoint');
    const custom = await c.endpoints.connect('n3', 's', { ifName: 'cni0' });
    assert.equal(custom.ifName, 'cni0');
    assert.ok(await kernel.link(sb.key, 'cni0'));
    // a default route through the caller-named interface moves by its name
    await c.endpoints.disconnect('n1', 's');
    assert.deepEqual((await c.check()).drifts, []);
  });

  it('a driver without a host side is neither reported as drifted nor re-joined, and its endpoints leave', async () => {
    const kernel = createFakeKernel();
    const c = await controllerOn(kernel, [sandboxOnlyDriver()]);
    await c.networks.create(network('in1', '10.95.0.0/24', { driver: 'inside' }));
    const sb = await c.sandboxes.create({ name: 's' });
    const ep = await c.endpoints.connect('in1', 's', {});
    assert.equal(ep.hostIf, null);
    assert.ok(await kernel.link(sb.key, 'eth0'));
    const calls = kernel.calls.filter((x) => x.method === 'ip').length;
    assert.deepEqual((await c.reconcile({ dryRun: false })).drifts, []);
    assert.equal(kernel.calls.filter((x) => x.method === 'ip').length, calls, 'nothing re-joined');
    await c.endpoints.disconnect('in1', 's');
    assert.equal(await kernel.link(sb.key, 'eth0'), undefined);
  });

  it('scope comes from the driver; an unknown driver is refused by the registry', async () => {
    const c = await controllerOn(createFakeKernel());
    await assert.rejects(c.networks.create(network('x', '10.96.0.0/24', { driver: 'overlay' })), { code: 'PB_ERR_DRIVER_NOT_FOUND', message: 'plugin "overlay" not found' });
    assert.equal(c.core.registry.get(c.networks.get('bridge').driver).scope, 'local');
  });

  it('the Docker static-IP rule applies only when the door asks for it', async () => {
    const c = await controllerOn(createFakeKernel());
    await c.sandboxes.create({ name: 's' });
    const rule = { staticIpNeedsUserSubnet: true };
    await assert.rejects(c.endpoints.connect('bridge', 's', { ipv4Address: '10.200.0.50' }, rule), { message: 'user specified IP address is supported on user defined networks only' });
    const ep = await c.endpoints.connect('bridge', 's', { ipv4Address: '10.200.0.50' });
    assert.equal(ep.ipv4, '10.200.0.50/24');
  });
});
