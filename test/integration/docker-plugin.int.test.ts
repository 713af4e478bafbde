// test-timeout: 600000
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type TestDaemon } from '../helpers/daemon.js';
import { createDockerd, endpointLinks, eventually, httpGet, ipOf as ipIn, privateDockerDirs, SERVE, type Dockerd } from '../helpers/dockerd.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';
import { cliFor } from '../helpers/runtime.js';

requireIsolatedNamespace();

/**
 * Docker's own dockerd (Debian's docker.io 20.10) runs its containers on patchbay through the
 * remote network and IPAM driver "patchbay". Everything runs in this test's namespaces: /run and
 * /etc/docker are private tmpfs (so /run/docker/plugins, where dockerd finds the plugin, is this
 * test's alone); dockerd keeps its data in a temporary directory with the vfs storage driver.
 * Restarts are in docker-plugin-restarts.int.test.ts.
 */

let d: TestDaemon;
let cli: ReturnType<typeof cliFor>;
let engine: Dockerd;
const PLUGIN_SOCKET = '/run/docker/plugins/patchbay.sock';
const docker = (args: string[], allowFail = false) => engine.docker(args, allowFail);
const ipOf = (container: string, network: string) => ipIn(docker, container, network);
const dockerNetworkId = (name: string) => docker(['network', 'inspect', name, '--format', '{{.Id}}']).out;
/** DOCKER-USER's rules that patchbay added (each names one bridge). */
const dockerUserRules = () => sh(['iptables', '-S', 'DOCKER-USER']).out.split('\n').filter((l) => l.includes('patchbay'));

const OUTSIDE = '/run/netns/outside';

describe('dockerd 20.10 runs its containers on patchbay (remote network and IPAM driver)', () => {
  before(async () => {
    privateDockerDirs();
    engine = createDockerd();
    // an "outside" host on a link of its own: 10.199.0.1 here, 10.199.0.2 there
    sh(['ip', 'netns', 'add', 'outside']);
    sh(['ip', 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'outside']);
    sh(['ip', 'addr', 'add', '10.199.0.1/24', 'dev', 'up0']);
    sh(['ip', 'link', 'set', 'up0', 'up']);
    inNs(OUTSIDE, ['ip', 'addr', 'add', '10.199.0.2/24', 'dev', 'eth0']);
    inNs(OUTSIDE, ['ip', 'link', 'set', 'eth0', 'up']);
    inNs(OUTSIDE, ['ip', 'link', 'set', 'lo', 'up']);

    d = createTestDaemon(['--bip', '10.198.0.1/24']);
    await d.start();
    cli = cliFor(d);
    await engine.start();
    engine.importMini();
  });

  after(async () => {
    await engine?.destroy();
    await d?.cleanup();
  });

  it('serves the plugin on a root-only socket in dockerd\'s plugin directory', () => {
    const st = statSync(PLUGIN_SOCKET);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
  });

  it('docker network create -d patchbay --ipam-driver patchbay: a patchbay network with the Docker id; two containers ping each other', async () => {
    docker(['network', 'create', '-d', 'patchbay', '--ipam-driver', 'patchbay', '--subnet', '10.190.0.0/24', 'pnet']);
    const id = dockerNetworkId('pnet');
    const listed = JSON.parse(await cli('network', 'ls', '--json')) as { id: string; driver: string }[];
    assert.ok(listed.some((n) => n.id === id && n.driver === 'bridge'), `patchbay lists ${id}`);

    docker(['run', '-d', '--name', 'web', '--network', 'pnet', '-p', '8080:80', 'mini', ...SERVE]);
    docker(['run', '-d', '--name', 'c2', '--network', 'pnet', 'mini', 'sleep', '100000']);
    const webIp = ipOf('web', 'pnet');
    const c2Ip = ipOf('c2', 'pnet');
    assert.match(webIp, /^10\.190\.0\.\d+$/);
    assert.notEqual(webIp, c2Ip);
    // dockerd named the interface eth0 and gave it patchbay's address and the gateway's route
    assert.match(docker(['exec', 'c2', 'ip', '-o', 'addr', 'show', 'eth0']).out, new RegExp(`inet ${c2Ip.replace(/\./g, '\\.')}/24`));
    assert.match(docker(['exec', 'c2', 'ip', 'route']).out, /default via 10\.190\.0\.1 dev eth0/);
    docker(['exec', 'c2', 'ping', '-c', '1', '-W', '2', webIp]);
    docker(['exec', 'web', 'ping', '-c', '1', '-W', '2', c2Ip]);

    // patchbay's records: endpoints with Docker's ids and addresses; Docker's allocations in the IPAM view
    const ipam = (await d.req('GET', `/v1/networks/${id}/ipam`)).body as { subnets: { allocations: { address: string; owner: string }[] }[] };
    const addresses = ipam.subnets[0]!.allocations.map((a) => a.address);
    assert.ok(addresses.includes(webIp) && addresses.includes(c2Ip) && addresses.includes('10.190.0.1'), JSON.stringify(ipam));
    const eps = (await d.req('GET', `/v1/networks/${id}/endpoints`)).body as { ipv4Address?: string; ipv4?: string }[];
    assert.equal(eps.length, 2);
    assert.equal(endpointLinks().filter((l) => l.startsWith('pbv')).length, 2);
  });

  it('the published port answers from an outside namespace and on the host\'s loopback', async () => {
    await eventually(async () => assert.equal((await httpGet('127.0.0.1', 8080)).trim(), 'served-by-web'));
    await eventually(() => assert.match(inNs(OUTSIDE, ['wget', '-q', '-O', '-', '-T', '3', 'http://10.199.0.1:8080/index.html']).out, /served-by-web/));
  });

  it('a container reaches the outside through masquerade; an --internal network reaches nothing outside', () => {
    docker(['exec', 'c2', 'ping', '-c', '1', '-W', '2', '10.199.0.2']);
    docker(['network', 'create', '-d', 'patchbay', '--ipam-driver', 'patchbay', '--internal', '--subnet', '10.192.0.0/24', 'inet']);
    docker(['run', '-d', '--name', 'inside', '--network', 'inet', 'mini', 'sleep', '100000']);
    assert.doesNotMatch(docker(['exec', 'inside', 'ip', 'route']).out, /default/);
    assert.notEqual(docker(['exec', 'inside', 'ping', '-c', '1', '-W', '1', '10.199.0.2'], true).code, 0);
    assert.notEqual(docker(['exec', 'inside', 'ping', '-c', '1', '-W', '1', '10.198.0.1'], true).code, 0);
    docker(['rm', '-f', 'inside']);
    docker(['network', 'rm', 'inet']);
  });

  it('docker network connect/disconnect a running container: eth1 appears and goes', async () => {
    docker(['network', 'create', '-d', 'patchbay', '--ipam-driver', 'patchbay', '--subnet', '10.193.0.0/24', 'pnet2']);
    docker(['network', 'connect', 'pnet2', 'c2']);
    const ip2 = ipOf('c2', 'pnet2');
    assert.match(ip2, /^10\.193\.0\.\d+$/);
    await eventually(() => assert.match(docker(['exec', 'c2', 'ip', '-o', 'addr', 'show', 'eth1']).out, new RegExp(`inet ${ip2.replace(/\./g, '\\.')}/24`)));
    docker(['network', 'disconnect', 'pnet2', 'c2']);
    assert.notEqual(docker(['exec', 'c2', 'ip', 'link', 'show', 'eth1'], true).code, 0);
    docker(['network', 'rm', 'pnet2']);
    assert.equal(endpointLinks().filter((l) => l.startsWith('pbv')).length, 2);
  });

  it('--ip-range and --ip: addresses come from the range, a requested one is given', () => {
    docker(['network', 'create', '-d', 'patchbay', '--ipam-driver', 'patchbay', '--subnet', '10.194.0.0/24', '--ip-range', '10.194.0.128/25', '--gateway', '10.194.0.254', 'ranged']);
    docker(['run', '-d', '--name', 'r1', '--network', 'ranged', 'mini', 'sleep', '100000']);
    docker(['run', '-d', '--name', 'r2', '--network', 'ranged', '--ip', '10.194.0.50', 'mini', 'sleep', '100000']);
    assert.equal(ipOf('r1', 'ranged'), '10.194.0.128');
    assert.equal(ipOf('r2', 'ranged'), '10.194.0.50');
    assert.match(docker(['exec', 'r1', 'ip', 'route']).out, /default via 10\.194\.0\.254/);
    docker(['exec', 'r1', 'ping', '-c', '1', '-W', '2', '10.194.0.50']);
  });

  it('bad input gets dockerd\'s error and leaves nothing: a taken --ip, an exhausted pool, a network patchbay lost', async () => {
    const linksBefore = endpointLinks().sort();
    const taken = docker(['run', '-d', '--name', 'dup', '--network', 'ranged', '--ip', '10.194.0.50', 'mini', 'sleep', '100000'], true);
    assert.notEqual(taken.code, 0);
    assert.match(taken.err, /address 10\.194\.0\.50 of pool LocalDefault\/10\.194\.0\.0\/24 is already in use/);
    docker(['rm', '-f', 'dup'], true);

    docker(['network', 'create', '-d', 'patchbay', '--ipam-driver', 'patchbay', '--subnet', '10.195.0.0/30', 'tiny']);
    docker(['run', '-d', '--name', 't1', '--network', 'tiny', 'mini', 'sleep', '100000']);
    const full = docker(['run', '-d', '--name', 't2', '--network', 'tiny', 'mini', 'sleep', '100000'], true);
    assert.notEqual(full.code, 0);
    assert.match(full.err, /no available IPv4 addresses/);
    docker(['rm', '-f', 't1', 't2'], true);
    docker(['network', 'rm', 'tiny']);

    // the patchbay network behind a Docker network removed by hand: dockerd gets a clear refusal
    docker(['network', 'create', '-d', 'patchbay', '--subnet', '10.196.0.0/24', 'lost']);
    await cli('network', 'rm', dockerNetworkId('lost'));
    const lost = docker(['run', '-d', '--name', 'l1', '--network', 'lost', 'mini', 'sleep', '100000'], true);
    assert.notEqual(lost.code, 0);
    assert.match(lost.err, /not a patchbay network/);
    docker(['rm', '-f', 'l1'], true);
    docker(['network', 'rm', 'lost']);

    assert.deepEqual(endpointLinks().sort(), linksBefore);
    // of the Docker networks, only pnet and ranged are left
    const networks = (await d.req('GET', '/v1/networks')).body as { id: string }[];
    assert.deepEqual(networks.map((n) => n.id).filter((id) => [dockerNetworkId('pnet'), dockerNetworkId('ranged')].includes(id)).length, 2);
    assert.equal(networks.length, 5, 'bridge, host, none, pnet, ranged');
  });

  it('a shared network: a patchbay sandbox and a Docker container on one L2 network and address space', async () => {
    await cli('network', 'create', '--subnet', '10.197.0.0/24', 'shared');
    await cli('sandbox', 'create', '--name', 'pbbox');
    await cli('network', 'connect', 'shared', 'pbbox', '--ip', '10.197.0.10');
    docker(['network', 'create', '-d', 'patchbay', '--ipam-driver', 'patchbay', '--subnet', '10.197.0.0/24', '--ipam-opt', 'patchbay.network=shared', '-o', 'patchbay.network=shared', 'dshared']);
    docker(['run', '-d', '--name', 's1', '--network', 'dshared', 'mini', 'sleep', '100000']);
    const s1Ip = ipOf('s1', 'dshared');
    assert.match(s1Ip, /^10\.197\.0\.\d+$/);
    assert.notEqual(s1Ip, '10.197.0.10');
    const sb = (await d.req('GET', '/v1/sandboxes/pbbox')).body as { key: string };
    await eventually(() => void inNs(sb.key, ['ping', '-c', '1', '-W', '2', s1Ip]));
    docker(['exec', 's1', 'ping', '-c', '1', '-W', '2', '10.197.0.10']);
    const shared = (await d.req('GET', '/v1/networks/shared/endpoints')).body as unknown[];
    assert.equal(shared.length, 2);
    docker(['rm', '-f', 's1']);
    docker(['network', 'rm', 'dshared']);
    // the shared network stays, with only patchbay's own endpoint
    assert.equal(((await d.req('GET', '/v1/networks/shared/endpoints')).body as unknown[]).length, 1);
    await cli('network', 'disconnect', 'shared', 'pbbox');
    await cli('sandbox', 'rm', 'pbbox');
    await cli('network', 'rm', 'shared');
  });

  it('docker rm -f and docker network rm leave no link, address, allocation or rule; patchbay system check is consistent', async () => {
    docker(['rm', '-f', ...docker(['ps', '-aq']).out.split('\n').filter(Boolean)]);
    docker(['network', 'rm', 'pnet', 'ranged']);
    assert.deepEqual(endpointLinks(), []);
    const networks = (await d.req('GET', '/v1/networks')).body as { name: string }[];
    assert.deepEqual(networks.map((n) => n.name).filter((n) => n.startsWith('docker-')), []);
    const pools = (await d.req('GET', '/v1/networks/bridge/ipam')).body as { subnets: { allocations: unknown[] }[] };
    assert.equal(pools.subnets[0]!.allocations.length, 1, 'only the default bridge\'s gateway');
    // only the default bridge keeps its DOCKER-USER rules
    assert.deepEqual(dockerUserRules().map((l) => /-[io] (\S+)/.exec(l)?.[1]).sort(), ['pb0', 'pb0']);
    assert.deepEqual(sh(['ip', '-o', 'addr', 'show']).out.split('\n').filter((l) => /10\.19[0-7]\./.test(l)), []);
    const check = (await d.req('GET', '/v1/system/check')).body as { consistent: boolean; drifts: unknown[] };
    assert.deepEqual(check, { consistent: true, drifts: [] });
  });
});
