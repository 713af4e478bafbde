import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import { buildCniTestApp, cniConf, cniEnv, type CniTestApp } from './helpers/cni-app.js';

let t: CniTestApp;
const ns = (id: string) => `/var/run/netns/cni-${id}`;
/** A runtime's namespace for container `id` (what podman or containerd would have made). */
const made = new Set<string>();
const container = (id: string) => {
  if (!made.has(ns(id))) t.kernel.addForeignNetns(ns(id));
  made.add(ns(id));
  return ns(id);
};
const add = (id: string, conf: Record<string, unknown> = cniConf(), ifName = 'eth0', extra: Record<string, string> = {}) =>
  t.exec(cniEnv('ADD', id, container(id), ifName, extra), conf);
const store = () => t.controller.core.store;

describe('CNI ADD', () => {
  beforeEach(async () => {
    await t?.close();
    t = await buildCniTestApp();
    made.clear();
  });
  after(() => t.close());

  for (const version of ['1.0.0', '1.1.0']) {
    it(`creates the network from ipam on first use and answers a ${version} result`, async () => {
      const r = await add('c1', cniConf({ cniVersion: version }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const net = store().networkByName('cninet')!;
      assert.equal(net.driver, 'bridge');
      assert.deepEqual(store().poolsOf(net.id).map((p) => [p.subnet, p.gateway, p.ipRange]), [['10.77.0.0/24', '10.77.0.1', undefined]]);
      const sb = store().sandboxByOrigin('cni', 'c1')!;
      const [ep] = store().endpointsInSandbox(sb.id);
      assert.deepEqual(r.body, {
        cniVersion: version,
        interfaces: [{ name: `pb-${net.id.slice(0, 12)}` }, { name: ep!.hostIf }, { name: 'eth0', mac: ep!.mac, sandbox: ns('c1') }],
        ips: [{ address: '10.77.0.2/24', gateway: '10.77.0.1', interface: 2 }],
        routes: [{ dst: '0.0.0.0/0', gw: '10.77.0.1' }],
        dns: {},
      });
      assert.equal(sb.external, true);
      assert.equal(sb.key, ns('c1'));
      assert.equal(ep!.ifName, 'eth0');
      assert.ok((await t.kernel.addresses(ns('c1'))).some((a) => a.dev === 'eth0' && a.cidr === '10.77.0.2/24'));
      assert.equal((await t.kernel.link(ns('c1'), 'eth0'))?.mac, ep!.mac);
      assert.ok((await t.kernel.routes(ns('c1'))).some((x) => x.dst === 'default' && x.gateway === '10.77.0.1'));
    });
  }

  for (const version of ['0.3.0', '0.3.1', '0.4.0']) {
    it(`answers a ${version} result: every address carries its version`, async () => {
      const r = await add('c1', cniConf({ cniVersion: version }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.cniVersion, version);
      assert.deepEqual(r.body.ips, [{ version: '4', address: '10.77.0.2/24', gateway: '10.77.0.1', interface: 2 }]);
    });
  }

  it('uses CNI_IFNAME as the name inside the namespace, and a second network is a second interface of the same sandbox', async () => {
    assert.equal((await add('c1', cniConf(), 'net0')).status, 200);
    const r = await t.exec(cniEnv('ADD', 'c1', ns('c1'), 'net1'), cniConf({ name: 'other', ipam: { subnet: '10.78.0.0/24' } }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.routes, [], 'the first network keeps the default route');
    const sb = store().sandboxByOrigin('cni', 'c1')!;
    assert.deepEqual(store().endpointsInSandbox(sb.id).map((e) => e.ifName).sort(), ['net0', 'net1']);
    const links = (await t.kernel.links(ns('c1'))).map((l) => l.name);
    assert.ok(links.includes('net0') && links.includes('net1') && !links.includes('eth0'));
    assert.equal(store().sandboxes().filter((s) => s.origin === 'cni').length, 1);
  });

  it('a second ADD with the same network and pool is idempotent on the network; a conflicting pool is error 7 and changes nothing', async () => {
    await add('c1');
    const r2 = await add('c2');
    assert.equal(r2.status, 200);
    assert.equal(r2.body.ips[0].address, '10.77.0.3/24');
    assert.equal(store().networks().filter((n) => n.name === 'cninet').length, 1);
    const before = { sandboxes: store().sandboxes().length, endpoints: store().endpoints().length };
    const bad = await add('c3', cniConf({ ipam: { subnet: '10.99.0.0/24' } }));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 7);
    assert.match(bad.body.msg, /network cninet exists with a different pool: subnet 10\.77\.0\.0\/24 \(config: 10\.99\.0\.0\/24\)/);
    assert.deepEqual({ sandboxes: store().sandboxes().length, endpoints: store().endpoints().length }, before);
  });

  it('attaches to an existing patchbay network named by "network" (no ipam needed)', async () => {
    const r = await add('c1', { cniVersion: '1.0.0', name: 'k8s-pod-network', type: 'patchbay', network: 'bridge' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ips[0].gateway, '10.200.0.1');
    assert.equal(store().networkByName('k8s-pod-network'), undefined);
  });

  it('rangeStart/rangeEnd become the dynamic range (the addresses of its block outside it reserved); the gateway defaults to the first address', async () => {
    const r = await add('c1', cniConf({ ipam: { subnet: '10.77.0.0/24', rangeStart: '10.77.0.130', rangeEnd: '10.77.0.254' } }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.ips[0], { address: '10.77.0.130/24', gateway: '10.77.0.1', interface: 2 });
    const [pool] = store().poolsOf(store().networkByName('cninet')!.id);
    assert.equal(pool!.ipRange, '10.77.0.128/25');
    assert.deepEqual(Object.values(pool!.aux).sort(), ['10.77.0.128', '10.77.0.129']);
    const same = await add('c2', cniConf({ ipam: { subnet: '10.77.0.0/24', rangeStart: '10.77.0.130', rangeEnd: '10.77.0.254' } }));
    assert.equal(same.status, 200, JSON.stringify(same.body));
    const other = await add('c3', cniConf({ ipam: { subnet: '10.77.0.0/24', rangeStart: '10.77.0.128', rangeEnd: '10.77.0.254' } }));
    assert.equal(other.body.code, 7);
    assert.match(other.body.msg, /addresses reserved outside the range 10\.77\.0\.128,10\.77\.0\.129 \(config: none\)/);
  });

  it('static IP and MAC from CNI_ARGS, as podman sends them', async () => {
    const r = await add('c1', cniConf(), 'eth0', { CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web;MAC=02:aa:bb:cc:dd:ee;IP=10.77.0.50' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ips[0].address, '10.77.0.50/24');
    assert.equal(r.body.interfaces[2].mac, '02:aa:bb:cc:dd:ee');
    assert.equal((await t.kernel.link(ns('c1'), 'eth0'))?.mac, '02:aa:bb:cc:dd:ee');
    assert.equal(store().sandboxByOrigin('cni', 'c1')!.name, 'web', 'the sandbox is named after K8S_POD_NAME');
  });

  it('static IP and MAC from the ips and mac capabilities', async () => {
    const r = await add('c1', cniConf({ runtimeConfig: { ips: ['10.77.0.60/24'], mac: '02:11:22:33:44:55' } }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ips[0].address, '10.77.0.60/24');
    assert.equal(r.body.interfaces[2].mac, '02:11:22:33:44:55');
  });

  it('portMappings in camelCase (podman) and PascalCase (containerd) become published ports', async () => {
    const camel = await add('c1', cniConf({ runtimeConfig: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp', hostIP: '127.0.0.1' }] } }));
    assert.equal(camel.status, 200, JSON.stringify(camel.body));
    const pascal = await add('c2', cniConf({ runtimeConfig: { portMappings: [{ HostPort: 9090, ContainerPort: 90, Protocol: 'UDP', HostIP: '' }] } }));
    assert.equal(pascal.status, 200, JSON.stringify(pascal.body));
    const ports = store().publishedPorts().map((p) => `${p.hostIp || '*'}:${p.hostPort}/${p.protocol}->${p.containerPort}`);
    assert.deepEqual(ports, ['127.0.0.1:8080/tcp->80', '*:9090/udp->90']);
    const plan = t.controller.firewall.plan(t.controller.fwModel());
    assert.match(plan, /10\.77\.0\.2 \. 80/);
    assert.match(plan, /10\.77\.0\.3 \. 90/);
  });

  it('a chained ADD appends to prevResult (after the loopback plugin)', async () => {
    const prevResult = { cniVersion: '1.0.0', interfaces: [{ name: 'lo', mac: '00:00:00:00:00:00', sandbox: ns('c1') }], ips: [{ address: '127.0.0.1/8', interface: 0 }] };
    const r = await add('c1', cniConf({ prevResult }));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.interfaces[0].name, 'lo');
    assert.equal(r.body.interfaces[3].name, 'eth0');
    assert.deepEqual(r.body.ips.map((i: { address: string; interface: number }) => `${i.address}@${i.interface}`), ['127.0.0.1/8@0', '10.77.0.2/24@3']);
  });

  it('the native API shows CNI attachments with their container id and interface name', async () => {
    await add('c1', cniConf(), 'net0');
    const eps = (await t.app.inject({ method: 'GET', url: '/v1/endpoints' })).json();
    assert.deepEqual(eps.map((e: { cni?: unknown; ifName: string }) => [e.ifName, e.cni]), [['net0', { containerId: 'c1', ifName: 'net0' }]]);
    const sbs = (await t.app.inject({ method: 'GET', url: '/v1/sandboxes' })).json();
    assert.deepEqual(sbs.map((s: { containerId: string; origin?: string; key: string; endpoints: { ifName: string }[] }) => [s.containerId, s.origin, s.key, s.endpoints.map((e) => e.ifName)]), [['c1', 'cni', ns('c1'), ['net0']]]);
  });

  it('the same attachment twice is refused and the first stays intact', async () => {
    await add('c1');
    const again = await add('c1');
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 102);
    assert.match(again.body.msg, /already has interface eth0/);
    assert.equal(store().endpoints().filter((e) => e.ifName === 'eth0').length, 1);
    assert.ok(await t.kernel.link(ns('c1'), 'eth0'));
  });

  it('a container re-added in a new namespace without DEL loses its stale attachments', async () => {
    await add('c1');
    t.kernel.addForeignNetns('/var/run/netns/cni-c1-new');
    const r = await t.exec(cniEnv('ADD', 'c1', '/var/run/netns/cni-c1-new'), cniConf());
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(store().sandboxByOrigin('cni', 'c1')!.key, '/var/run/netns/cni-c1-new');
    assert.equal(store().endpoints().filter((e) => e.ifName === 'eth0').length, 1);
    assert.equal(await t.kernel.link(ns('c1'), 'eth0'), undefined, 'the old interface left the old namespace');
  });

  it('a failing kernel step leaves nothing behind: no endpoint, no sandbox, the address free', async () => {
    await add('c0'); // the network exists
    const before = { sandboxes: store().sandboxes().length, endpoints: store().endpoints().length };
    t.kernel.failNext((c) => c.method === 'ip' && JSON.stringify(c.args).includes('veth.add'));
    const r = await add('c1');
    assert.equal(r.status, 500, JSON.stringify(r.body));
    assert.equal(r.body.code, 106);
    assert.equal(r.body.cniVersion, '1.0.0');
    assert.deepEqual({ sandboxes: store().sandboxes().length, endpoints: store().endpoints().length }, before);
    assert.equal((await add('c2')).body.ips[0].address, '10.77.0.3/24', 'the address of the failed ADD was given back');
  });

  it('CNI_NETNS must be a network namespace, and not the daemon’s own', async () => {
    const missing = await t.exec(cniEnv('ADD', 'c1', '/var/run/netns/nope'), cniConf());
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 4);
    const own = await t.exec(cniEnv('ADD', 'c1', '/proc/self/ns/net'), cniConf());
    assert.equal(own.status, 400);
    assert.equal(own.body.code, 4);
    assert.match(own.body.msg, /own network namespace/);
    assert.equal(store().sandboxes().length, 0);
  });

  it('refuses bad static addresses and unknown CNI_ARGS before anything changes', async () => {
    const cases: [Record<string, string>, Record<string, unknown>, number, RegExp][] = [
      [{ CNI_ARGS: 'IP=10.77.0.999' }, cniConf(), 4, /CNI_ARGS IP: "10.77.0.999" is not an IP address/],
      [{ CNI_ARGS: 'FOO=bar' }, cniConf(), 4, /unknown key FOO/],
      [{ CNI_ARGS: 'MAC=01:00:00:00:00:01' }, cniConf(), 4, /unicast/],
      [{}, cniConf({ runtimeConfig: { ips: ['10.77.0.5', '10.77.0.6'] } }), 7, /more than one IPv4 address/],
      [{ CNI_ARGS: 'IP=10.99.0.5' }, cniConf(), 100, /.+/],
    ];
    for (const [extra, conf, code, msg] of cases) {
      const r = await add('c1', conf, 'eth0', extra);
      assert.equal(r.body.code, code, JSON.stringify(r.body));
      assert.match(r.body.msg, msg);
      assert.equal(store().sandboxes().length, 0, JSON.stringify(extra));
      assert.equal(store().endpoints().length, 0);
    }
  });
});
