import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { buildPluginTestApp, dockerId, type PluginTestApp } from './helpers/plugin-app.js';

let t: PluginTestApp;
const store = () => t.controller.core.store;
const NET = dockerId('net-one');
const EP = dockerId('endpoint-one');
const EP2 = dockerId('endpoint-two');
const POOL = 'LocalDefault/10.190.0.0/24';

/** `docker network create -d patchbay --ipam-driver patchbay --subnet 10.190.0.0/24`, call by call as dockerd makes them. */
async function createNetwork(id = NET, extra: Record<string, unknown> = {}) {
  assert.deepEqual((await t.call('IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '10.190.0.0/24', SubPool: '', Options: {}, V6: false })).body, { PoolID: POOL, Pool: '10.190.0.0/24', Data: {} });
  const gw = await t.call('IpamDriver.RequestAddress', { PoolID: POOL, Address: '', Options: { RequestAddressType: 'com.docker.network.gateway' } });
  assert.deepEqual(gw.body, { Address: '10.190.0.1/24', Data: {} });
  return t.call('NetworkDriver.CreateNetwork', {
    NetworkID: id,
    Options: { 'com.docker.network.enable_ipv6': false, 'com.docker.network.generic': {}, ...extra },
    IPv4Data: [{ AddressSpace: 'LocalDefault', Gateway: '10.190.0.1/24', Pool: '10.190.0.0/24' }],
    IPv6Data: [],
  });
}

const PORTMAP = { 'com.docker.network.portmap': [{ Proto: 6, IP: '', Port: 80, HostIP: '', HostPort: 8080, HostPortEnd: 8080 }] };

/** `docker run --network N -p 8080:80`: RequestAddress, then CreateEndpoint with that address. */
async function createEndpoint(ep = EP, address = '') {
  const got = await t.call('IpamDriver.RequestAddress', { PoolID: POOL, Address: address, Options: null });
  if (got.body.Error) return got;
  return t.call('NetworkDriver.CreateEndpoint', { NetworkID: NET, EndpointID: ep, Interface: { Address: got.body.Address, AddressIPv6: '', MacAddress: '' }, Options: PORTMAP });
}

const join = (ep = EP) => t.call('NetworkDriver.Join', { NetworkID: NET, EndpointID: ep, SandboxKey: '/var/run/docker/netns/0123456789ab', Options: PORTMAP });
const dockerUser = async () => (await t.kernel.iptablesList(4, 'DOCKER-USER'))?.map((r) => r.join(' ')).sort();
const accepts = (bridge: string) => [`-i ${bridge} -m comment --comment patchbay -j ACCEPT`, `-o ${bridge} -m comment --comment patchbay -j ACCEPT`];

describe('Docker remote network and IPAM driver (app.inject on the fake kernel)', () => {
  beforeEach(async () => {
    await t?.close();
    t = await buildPluginTestApp();
  });
  after(() => t.close());

  it('activates as a network and an IPAM driver, local scope, without a content type or body', async () => {
    assert.deepEqual(await t.call('Plugin.Activate'), { status: 200, body: { Implements: ['NetworkDriver', 'IpamDriver'] } });
    assert.deepEqual((await t.call('NetworkDriver.GetCapabilities')).body, { Scope: 'local', ConnectivityScope: 'local' });
    assert.deepEqual((await t.call('IpamDriver.GetCapabilities')).body, { RequiresMACAddress: false, RequiresRequestReplay: false });
    assert.deepEqual((await t.call('IpamDriver.GetDefaultAddressSpaces')).body, { LocalDefaultAddressSpace: 'LocalDefault', GlobalDefaultAddressSpace: 'GlobalDefault' });
  });

  it('network, endpoint, join, leave and removal: each call does its part and the end leaves nothing', async () => {
    assert.deepEqual(await createNetwork(), { status: 200, body: {} });
    const net = store().networkById(NET)!;
    assert.equal(net.driver, 'bridge');
    assert.equal(net.ipamDriver, 'patchbay');
    assert.deepEqual(store().poolsOf(NET).map((p) => [p.subnet, p.gateway]), [['10.190.0.0/24', '10.190.0.1']]);
    const bridge = `pb-${NET.slice(0, 12)}`;
    assert.ok(await t.kernel.link(null, bridge));
    assert.deepEqual(await dockerUser(), [...accepts(bridge), ...accepts('pb0')].sort());

    const created = await createEndpoint();
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const ep = store().endpointById(EP)!;
    assert.deepEqual(created.body, { Interface: { MacAddress: ep.mac } });
    assert.equal(ep.ipv4, '10.190.0.2/24');
    // the RequestAddress allocation became the endpoint's: one row, not two
    const pool = store().poolsOf(NET)[0]!;
    assert.deepEqual(store().allocationsOf(pool.id).map((a) => [a.address, a.kind, a.owner]), [['10.190.0.1', 'gateway', 'docker'], ['10.190.0.2', 'endpoint', ep.name]]);
    assert.equal(store().allocationsOf(pool.id)[1]!.ownerId, EP);

    const joined = await join();
    assert.equal(joined.status, 200, JSON.stringify(joined.body));
    const src = `pbt${EP.slice(0, 12)}`;
    assert.deepEqual(joined.body, { InterfaceName: { SrcName: src, DstPrefix: 'eth' }, Gateway: '10.190.0.1', GatewayIPv6: '', StaticRoutes: [], DisableGatewayService: true });
    // both ends in the daemon's namespace: the host end on the bridge, the other end for dockerd to move
    assert.equal((await t.kernel.link(null, `pbv${EP.slice(0, 12)}`))?.master, bridge);
    assert.equal((await t.kernel.link(null, src))?.mac, ep.mac);
    assert.deepEqual(t.controller.fwModel().ports.map((p) => [p.containerIp, p.containerPort, p.hostPort]), [['10.190.0.2', 80, 8080]]);

    const again = await join();
    assert.equal(again.status, 403);
    assert.match(again.body.Err, /already joined/);

    assert.deepEqual((await t.call('NetworkDriver.EndpointOperInfo', { NetworkID: NET, EndpointID: EP })).status, 200);
    assert.deepEqual((await t.call('NetworkDriver.Leave', { NetworkID: NET, EndpointID: EP })).body, {});
    assert.deepEqual(t.controller.fwModel().ports, []);
    assert.deepEqual((await t.call('NetworkDriver.DeleteEndpoint', { NetworkID: NET, EndpointID: EP })).body, {});
    assert.deepEqual((await t.call('IpamDriver.ReleaseAddress', { PoolID: POOL, Address: '10.190.0.2' })).body, {});
    assert.deepEqual((await t.call('IpamDriver.ReleaseAddress', { PoolID: POOL, Address: '10.190.0.1' })).body, {});
    assert.deepEqual((await t.call('IpamDriver.ReleasePool', { PoolID: POOL })).body, {});
    assert.deepEqual((await t.call('NetworkDriver.DeleteNetwork', { NetworkID: NET })).body, {});
    await t.controller.settled();
    assert.equal(store().networkById(NET), undefined);
    assert.deepEqual(store().pools().filter((p) => p.subnet === '10.190.0.0/24'), []);
    assert.equal(await t.kernel.link(null, src), undefined);
    assert.equal(await t.kernel.link(null, bridge), undefined);
    assert.deepEqual(await dockerUser(), accepts('pb0').sort());
  });

  it('refuses bad input in dockerd\'s keys and changes nothing: unknown ids, a taken address, an exhausted pool, malformed bodies', async () => {
    const unknownNet = await t.call('NetworkDriver.CreateEndpoint', { NetworkID: NET, EndpointID: EP, Interface: { Address: '10.190.0.9/24' }, Options: {} });
    assert.equal(unknownNet.status, 404);
    assert.match(unknownNet.body.Err, /is not a patchbay network/);
    await createNetwork();
    const unknownEp = await t.call('NetworkDriver.Join', { NetworkID: NET, EndpointID: EP, SandboxKey: '/var/run/docker/netns/x', Options: {} });
    assert.equal(unknownEp.status, 404);
    assert.match(unknownEp.body.Err, /endpoint [0-9a-f]{12} not found/);

    assert.equal((await createEndpoint(EP, '10.190.0.7')).status, 200);
    const taken = await t.call('IpamDriver.RequestAddress', { PoolID: POOL, Address: '10.190.0.7', Options: null });
    assert.equal(taken.status, 200);
    assert.match(taken.body.Error, /10\.190\.0\.7/);
    const badPool = await t.call('IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.99.0.0/24', Address: '', Options: null });
    assert.match(badPool.body.Error, /pool LocalDefault\/10\.99\.0\.0\/24 not found/);

    const malformed = await t.call('NetworkDriver.CreateEndpoint', '{"NetworkID":');
    assert.equal(malformed.status, 400);
    assert.match(malformed.body.Err, /not valid JSON/);
    const badId = await t.call('NetworkDriver.DeleteEndpoint', { NetworkID: 'nope', EndpointID: EP });
    assert.match(badId.body.Err, /NetworkID: must be a 64-digit hex id/);
    const ipamBad = await t.call('IpamDriver.ReleasePool', {});
    assert.equal(ipamBad.status, 200);
    assert.match(ipamBad.body.Error, /PoolID/);
    const noRoute = await t.call('NetworkDriver.AllocateNetwork', {});
    assert.equal(noRoute.status, 404);
    assert.match(noRoute.body.Err, /not implemented/);

    // a /30 holds the gateway and one address
    await t.call('IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '10.191.0.0/30', V6: false });
    await t.call('IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.191.0.0/30', Options: { RequestAddressType: 'com.docker.network.gateway' } });
    assert.equal((await t.call('IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.191.0.0/30' })).body.Address, '10.191.0.2/30');
    const full = await t.call('IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.191.0.0/30' });
    assert.equal(full.status, 200);
    assert.ok(full.body.Error, JSON.stringify(full.body));
    assert.deepEqual(store().endpoints().map((e) => e.id), [EP]);
  });

  it('a failed Join leaves the endpoint unattached and no link; DeleteEndpoint and ReleaseAddress (dockerd\'s rollback) then free all', async () => {
    await createNetwork();
    await createEndpoint();
    t.kernel.failNext((c) => c.method === 'ip');
    const failed = await join();
    assert.equal(failed.status, 500);
    assert.ok(failed.body.Err);
    const ep = store().endpointById(EP)!;
    assert.equal(ep.hostIf, null);
    assert.equal(await t.kernel.link(null, `pbv${EP.slice(0, 12)}`), undefined);
    assert.equal(await t.kernel.link(null, `pbt${EP.slice(0, 12)}`), undefined);
    assert.deepEqual((await t.call('NetworkDriver.DeleteEndpoint', { NetworkID: NET, EndpointID: EP })).body, {});
    assert.deepEqual((await t.call('IpamDriver.ReleaseAddress', { PoolID: POOL, Address: '10.190.0.2' })).body, {});
    assert.deepEqual(store().allocations().map((a) => a.address).sort(), ['10.190.0.1', '10.200.0.1']);
  });

  it('DeleteEndpoint without Leave detaches first; unknown endpoints and networks are already gone', async () => {
    await createNetwork();
    await createEndpoint();
    await join();
    assert.deepEqual((await t.call('NetworkDriver.DeleteEndpoint', { NetworkID: NET, EndpointID: EP })).body, {});
    await t.controller.settled();
    assert.equal(await t.kernel.link(null, `pbv${EP.slice(0, 12)}`), undefined);
    assert.deepEqual((await t.call('NetworkDriver.DeleteEndpoint', { NetworkID: NET, EndpointID: EP2 })).body, {});
    assert.deepEqual((await t.call('NetworkDriver.DeleteNetwork', { NetworkID: dockerId('never') })).body, {});
  });

  it('-o patchbay.network=NAME shares an existing patchbay network; its address space too (--ipam-opt)', async () => {
    const made = await t.app.inject({ method: 'POST', url: '/v1/networks', payload: { name: 'shared', ipam: { config: [{ subnet: '10.197.0.0/24' }] } } });
    assert.equal(made.statusCode, 201, made.body);
    const shared = store().networkByName('shared')!;
    // without the subnet dockerd would ask again and again (the answer overlaps the bridge's route)
    const auto = await t.call('IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '', Options: { 'patchbay.network': 'shared' }, V6: false });
    assert.deepEqual(auto.body, { Error: "patchbay.network=shared: give the network's subnet too (--subnet 10.197.0.0/24)" });
    const pool = await t.call('IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '10.197.0.0/24', Options: { 'patchbay.network': 'shared' }, V6: false });
    assert.deepEqual(pool.body, { PoolID: 'LocalDefault/10.197.0.0/24', Pool: '10.197.0.0/24', Data: {} });
    const gw = await t.call('IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.197.0.0/24', Options: { RequestAddressType: 'com.docker.network.gateway' } });
    assert.equal(gw.body.Address, '10.197.0.1/24');
    const created = await t.call('NetworkDriver.CreateNetwork', {
      NetworkID: NET,
      Options: { 'com.docker.network.generic': { 'patchbay.network': 'shared' } },
      IPv4Data: [{ AddressSpace: 'LocalDefault', Gateway: '10.197.0.1/24', Pool: '10.197.0.0/24' }],
    });
    assert.deepEqual(created.body, {});
    assert.equal(store().networks().length, 4, 'no new network: bridge, host, none, shared');
    const addr = await t.call('IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.197.0.0/24' });
    const ep = await t.call('NetworkDriver.CreateEndpoint', { NetworkID: NET, EndpointID: EP, Interface: { Address: addr.body.Address }, Options: {} });
    assert.equal(ep.status, 200, JSON.stringify(ep.body));
    assert.equal(store().endpointById(EP)!.networkId, shared.id);
    // a subnet that is not the shared network's is refused
    const wrong = await t.call('NetworkDriver.CreateNetwork', {
      NetworkID: dockerId('other'),
      Options: { 'com.docker.network.generic': { 'patchbay.network': 'shared' } },
      IPv4Data: [{ AddressSpace: 'LocalDefault', Gateway: '10.10.0.1/24', Pool: '10.10.0.0/24' }],
    });
    assert.match(wrong.body.Err, /--ipam-opt patchbay\.network=shared/);
    await t.call('NetworkDriver.DeleteEndpoint', { NetworkID: NET, EndpointID: EP });
    assert.deepEqual((await t.call('NetworkDriver.DeleteNetwork', { NetworkID: NET })).body, {});
    assert.ok(store().networkByName('shared'), 'the shared network stays');
  });

  it('DeleteNetwork removes Docker endpoints whose DeleteEndpoint never came (patchbayd was down), but not patchbay\'s own', async () => {
    await createNetwork();
    await createEndpoint();
    await join();
    const own = await t.app.inject({ method: 'POST', url: `/v1/networks/${NET}/endpoints`, payload: { name: 'mine' } });
    assert.equal(own.statusCode, 201, own.body);
    const refused = await t.call('NetworkDriver.DeleteNetwork', { NetworkID: NET });
    assert.equal(refused.status, 403);
    assert.match(refused.body.Err, /active endpoints/);
    assert.equal(store().endpointById(EP), undefined, 'the stale Docker endpoint went');
    assert.equal(await t.kernel.link(null, `pbt${EP.slice(0, 12)}`), undefined);
    await t.app.inject({ method: 'DELETE', url: `/v1/networks/${NET}/endpoints/mine` });
    assert.deepEqual((await t.call('NetworkDriver.DeleteNetwork', { NetworkID: NET })).body, {});
    assert.equal(store().networkById(NET), undefined);
  });

  it('IPv6 (--ipv6 --subnet): both pools adopted, the endpoint takes both addresses, Join answers both gateways', async () => {
    const V6 = 'LocalDefault/fd00:190::/64';
    await t.call('IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '10.190.0.0/24', V6: false });
    await t.call('IpamDriver.RequestAddress', { PoolID: POOL, Options: { RequestAddressType: 'com.docker.network.gateway' } });
    assert.deepEqual((await t.call('IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: 'fd00:190::/64', V6: true })).body, { PoolID: V6, Pool: 'fd00:190::/64', Data: {} });
    assert.equal((await t.call('IpamDriver.RequestAddress', { PoolID: V6, Options: { RequestAddressType: 'com.docker.network.gateway' } })).body.Address, 'fd00:190::1/64');
    const created = await t.call('NetworkDriver.CreateNetwork', {
      NetworkID: NET,
      Options: { 'com.docker.network.enable_ipv6': true, 'com.docker.network.generic': {} },
      IPv4Data: [{ AddressSpace: 'LocalDefault', Gateway: '10.190.0.1/24', Pool: '10.190.0.0/24' }],
      IPv6Data: [{ AddressSpace: 'LocalDefault', Gateway: 'fd00:190::1/64', Pool: 'fd00:190::/64' }],
    });
    assert.deepEqual(created.body, {});
    const a4 = (await t.call('IpamDriver.RequestAddress', { PoolID: POOL })).body.Address;
    const a6 = (await t.call('IpamDriver.RequestAddress', { PoolID: V6 })).body.Address;
    const ep = await t.call('NetworkDriver.CreateEndpoint', { NetworkID: NET, EndpointID: EP, Interface: { Address: a4, AddressIPv6: a6, MacAddress: '' }, Options: {} });
    assert.equal(ep.status, 200, JSON.stringify(ep.body));
    assert.deepEqual([store().endpointById(EP)!.ipv4, store().endpointById(EP)!.ipv6], [a4, a6]);
    assert.equal(store().allocations().filter((a) => a.ownerId === EP).length, 2);
    const joined = await join();
    assert.equal(joined.body.Gateway, '10.190.0.1');
    assert.equal(joined.body.GatewayIPv6, 'fd00:190::1');
  });
});
