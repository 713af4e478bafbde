import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type TestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

requireIsolatedNamespace();

/**
 * The unmodified docker CLI drives macvlan networks on patchbayd, on an outside LAN this test
 * makes (veths lan0, lan1 whose peers sit in the namespace `lanhost`, the LAN host).
 *
 * The messages below were observed with a real dockerd 20.10.24 (shared/tools/dockerd-sandbox)
 * on the same set-up, with the same commands; the test runs the CLI against patchbayd only.
 */
const DOCKERD_20_10 = {
  parentInUse: (id12: string) => `network dm-${id12} is already using parent interface lan0`,
  badMode: "requested macvlan mode 'foo' is not valid, 'bridge' mode is the macvlan driver default",
  badIpvlanMode: "requested ipvlan mode 'l4' is not valid, 'l2' mode is the ipvlan driver default",
  noSuchParent: 'invalid subinterface vlan name nosuch, example formatting is eth0.10',
  noSuchVlanBase: '-o parent interface does was not found on the host: nosuch',
  vlanIdRange: 'vlan id must be between 1-4094, received: 5000',
  nameTaken: 'network with name lan already exists',
  endpointExists: 'endpoint with name web already exists in network lan',
  outsideSubnet: "Invalid address 10.9.9.9: It does not belong to any of this network's subnets",
  addressInUse: 'Address already in use',
  activeEndpoints: (id: string) => `error while removing network: network lan id ${id} has active endpoints`,
  notConnected: (id: string) => `container ${id} is not connected to network lan`,
};
/**
 * Where patchbay refuses on purpose where dockerd does not (or only later, with the kernel's
 * errno): on this kernel, which lacks 802.1Q, dummy and ipvlan links, dockerd said
 * `failed to create lan0.10 vlan link: operation not supported` (parent=lan0.10),
 * `operation not supported` (no parent), created an ipvlan network that no container could join,
 * and for a second container on a passthru network `failed to create the macvlan port: invalid
 * argument`. patchbay names the missing kernel feature up front, and the passthru rule, with
 * nothing made.
 */
const PATCHBAY_ONLY = {
  noVlan: 'this kernel has no vlan link type (CONFIG_VLAN_8021Q)',
  noIpvlan: 'this kernel has no ipvlan link type (CONFIG_IPVLAN)',
  passthruTaken: (ep: string) => `network pt takes no more endpoints: macvlan mode passthru gives parent interface lan1 to 1 endpoint, and it has ${ep}`,
};

const DOCKER = process.env.PB_DOCKER_CLI ?? '/usr/local/bin/docker';
const LAN = '/run/netns/lanhost';
let d: TestDaemon;
let dockerConfig: string;

function docker(...args: string[]): { code: number; out: string; err: string } {
  const env = { ...process.env, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: dockerConfig, DOCKER_CLI_HINTS: 'false' };
  const r = spawnSync(DOCKER, args, { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}
function ok(...args: string[]): string {
  const r = docker(...args);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}
function refused(message: string, ...args: string[]): void {
  const r = docker(...args);
  assert.equal(r.code, 1, `docker ${args.join(' ')} should fail: ${r.out}`);
  // the CLI adds "exit status 1" after some messages (it did with dockerd too)
  assert.equal(r.err.split('\n')[0], `Error response from daemon: ${message}`, `stderr of docker ${args.join(' ')}`);
}
const ping = (key: string, ip: string) => inNs(key, ['ping', '-c', '1', '-W', '2', ip], { allowFail: true }).code === 0;
const linkNames = () => (JSON.parse(sh(['ip', '-json', 'link', 'show']).out) as { ifname: string }[]).map((l) => l.ifname).sort();

describe('the docker CLI against patchbayd: macvlan', { skip: !existsSync(DOCKER) && `no docker CLI at ${DOCKER}` }, () => {
  const sandboxes: Record<string, { id: string; key: string }> = {};
  let lanId = '';

  before(async () => {
    dockerConfig = mkdtempSync(join(tmpdir(), 'pb-docker-config-'));
    sh(['ip', 'netns', 'add', 'lanhost']);
    for (const [parent, peer, cidr] of [
      ['lan0', 'lanp0', '192.168.90.254/24'],
      ['lan1', 'lanp1', '192.168.97.254/24'],
    ] as const) {
      sh(['ip', 'link', 'add', parent, 'type', 'veth', 'peer', 'name', peer, 'netns', 'lanhost']);
      sh(['ip', 'link', 'set', parent, 'up']);
      inNs(LAN, ['ip', 'addr', 'add', cidr, 'dev', peer]);
      inNs(LAN, ['ip', 'link', 'set', peer, 'up']);
    }
    d = createTestDaemon(['--bip', '10.125.0.1/24']);
    await d.start();
    for (const name of ['web', 'db', 'p1', 'p2']) {
      const r = await d.req('POST', '/v1/sandboxes', { name });
      assert.equal(r.status, 201, r.text);
      sandboxes[name] = r.body;
    }
  });
  after(async () => {
    await d?.cleanup();
    sh(['ip', 'netns', 'del', 'lanhost'], { allowFail: true });
    if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
  });

  it('docker network create -d macvlan --subnet --gateway -o parent=lan0, and inspect shows what dockerd shows', () => {
    lanId = ok('network', 'create', '-d', 'macvlan', '--subnet', '192.168.90.0/24', '--gateway', '192.168.90.254', '-o', 'parent=lan0', 'lan').trim();
    assert.match(lanId, /^[0-9a-f]{64}$/);
    const [net] = JSON.parse(ok('network', 'inspect', 'lan'));
    assert.equal(net.Id, lanId);
    assert.equal(net.Driver, 'macvlan');
    assert.equal(net.Scope, 'local');
    assert.equal(net.Internal, false);
    assert.deepStrictEqual(net.Options, { parent: 'lan0' });
    assert.deepStrictEqual(net.IPAM.Config, [{ Subnet: '192.168.90.0/24', Gateway: '192.168.90.254' }]);
    assert.deepStrictEqual(net.Containers, {});
    assert.equal(ok('network', 'ls', '--filter', 'driver=macvlan', '--format', '{{.Name}} {{.Driver}} {{.Scope}}').trim(), 'lan macvlan local');
  });

  it("docker network create refusals come in dockerd's words", () => {
    const base = ['network', 'create', '-d', 'macvlan', '--subnet', '192.168.91.0/24'];
    refused(DOCKERD_20_10.parentInUse(lanId.slice(0, 12)), ...base, '-o', 'parent=lan0', 'lan2');
    refused(DOCKERD_20_10.badMode, ...base, '-o', 'parent=lan1', '-o', 'macvlan_mode=foo', 'lan2');
    refused(DOCKERD_20_10.noSuchParent, ...base, '-o', 'parent=nosuch', 'lan2');
    refused(DOCKERD_20_10.noSuchVlanBase, ...base, '-o', 'parent=nosuch.10', 'lan2');
    refused(DOCKERD_20_10.vlanIdRange, ...base, '-o', 'parent=lan1.5000', 'lan2');
    refused(DOCKERD_20_10.nameTaken, ...base, '-o', 'parent=lan1', 'lan');
    refused(DOCKERD_20_10.badIpvlanMode, 'network', 'create', '-d', 'ipvlan', '--subnet', '192.168.92.0/24', '-o', 'parent=lan1', '-o', 'ipvlan_mode=l4', 'ipv');
  });

  it('what this kernel lacks is refused up front, naming it, with nothing left', () => {
    const links = linkNames();
    refused(PATCHBAY_ONLY.noVlan, 'network', 'create', '-d', 'macvlan', '--subnet', '192.168.93.0/24', '-o', 'parent=lan1.10', 'v10');
    refused(PATCHBAY_ONLY.noIpvlan, 'network', 'create', '-d', 'ipvlan', '--subnet', '192.168.94.0/24', '-o', 'parent=lan1', 'ipv');
    assert.deepStrictEqual(linkNames(), links);
    assert.deepStrictEqual(lines(ok('network', 'ls', '--format', '{{.Name}}')).sort(), ['bridge', 'host', 'lan', 'none']);
  });

  it('docker network connect puts a sandbox on the LAN: a macvlan eth0, the address and MAC dockerd would give, traffic both ways', () => {
    assert.equal(ok('network', 'connect', 'lan', 'web'), '');
    const containers = JSON.parse(ok('network', 'inspect', '-f', '{{json .Containers}}', 'lan'));
    const web = containers[sandboxes.web!.id];
    // dockerd 20.10 gave its first container on this network exactly these
    assert.equal(web.Name, 'web');
    assert.equal(web.IPv4Address, '192.168.90.1/24');
    assert.equal(web.MacAddress, '02:42:c0:a8:5a:01');
    assert.equal(web.IPv6Address, '');
    const eth0 = JSON.parse(inNs(sandboxes.web!.key, ['ip', '-json', '-details', 'link', 'show', 'eth0']).out)[0];
    assert.equal(eth0.linkinfo.info_kind, 'macvlan');
    assert.equal(eth0.address, '02:42:c0:a8:5a:01');
    assert.ok(ping(sandboxes.web!.key, '192.168.90.254'), 'web → LAN host');
    assert.ok(ping(LAN, '192.168.90.1'), 'LAN host → web');

    assert.equal(ok('network', 'connect', '--ip', '192.168.90.50', 'lan', 'db'), '');
    assert.ok(ping(sandboxes.db!.key, '192.168.90.1'), 'db → web (bridge mode)');
    assert.ok(ping(LAN, '192.168.90.50'), 'LAN host → db at its static address');
  });

  it("docker network connect refusals come in dockerd's words", () => {
    refused(DOCKERD_20_10.endpointExists, 'network', 'connect', 'lan', 'web');
    refused(DOCKERD_20_10.outsideSubnet, 'network', 'connect', '--ip', '10.9.9.9', 'lan', 'p1');
    refused(DOCKERD_20_10.addressInUse, 'network', 'connect', '--ip', '192.168.90.254', 'lan', 'p1');
    assert.deepStrictEqual(Object.keys(JSON.parse(ok('network', 'inspect', '-f', '{{json .Containers}}', 'lan'))).sort(), [sandboxes.db!.id, sandboxes.web!.id].sort());
  });

  it('passthru: the first sandbox takes the parent, a second is refused with the rule named', async () => {
    ok('network', 'create', '-d', 'macvlan', '--subnet', '192.168.97.0/24', '--gateway', '192.168.97.254', '-o', 'parent=lan1', '-o', 'macvlan_mode=passthru', 'pt');
    assert.equal(ok('network', 'connect', 'pt', 'p1'), '');
    assert.ok(ping(sandboxes.p1!.key, '192.168.97.254'), 'p1 → LAN host');
    const endpoints = ((await d.req('GET', '/v1/networks/pt/endpoints')).body as { name: string }[]).map((e) => e.name);
    assert.equal(endpoints.length, 1);
    refused(PATCHBAY_ONLY.passthruTaken(endpoints[0]!), 'network', 'connect', 'pt', 'p2');
    assert.deepStrictEqual(
      (JSON.parse(inNs(sandboxes.p2!.key, ['ip', '-json', 'link', 'show']).out) as { ifname: string }[]).map((l) => l.ifname),
      ['lo'],
      'nothing made in p2',
    );
    assert.equal(ok('network', 'disconnect', 'pt', 'p1'), '');
    assert.equal(ok('network', 'rm', 'pt').trim(), 'pt');
  });

  it("docker network rm refuses while sandboxes are connected, disconnect and rm then work, the parent stays", () => {
    refused(DOCKERD_20_10.activeEndpoints(lanId), 'network', 'rm', 'lan');
    assert.equal(ok('network', 'disconnect', 'lan', 'web'), '');
    refused(DOCKERD_20_10.notConnected(sandboxes.web!.id), 'network', 'disconnect', 'lan', 'web');
    assert.equal(ok('network', 'disconnect', 'lan', 'db'), '');
    assert.equal(ok('network', 'rm', 'lan').trim(), 'lan');
    assert.ok(linkNames().includes('lan0') && linkNames().includes('lan1'), 'the parents stay');
    assert.deepStrictEqual(lines(ok('network', 'ls', '--format', '{{.Name}}')).sort(), ['bridge', 'host', 'none']);
  });
});

const lines = (s: string) => s.split('\n').filter((l) => l !== '');
