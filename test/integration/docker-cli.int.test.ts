import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, hostname, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, inNs, sh, type TestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';

/** The bridge driver's name for a network's bridge (its id, so any network name is safe). */
const bridgeNameFor = (networkId: string) => `pb-${networkId.slice(0, 12)}`;

requireIsolatedNamespace();

/** The unmodified docker CLI (a client only) drives patchbayd through DOCKER_HOST. */
const DOCKER = process.env.PB_DOCKER_CLI ?? '/usr/local/bin/docker';
const HEX64 = /^[0-9a-f]{64}$/;

let d: TestDaemon;
let dockerConfig: string;
const env = () => ({ ...process.env, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: dockerConfig, DOCKER_CLI_HINTS: 'false' });

function docker(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(DOCKER, args, { encoding: 'utf8', env: env(), timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
}
/** A docker command that must succeed; returns its stdout. */
function ok(...args: string[]): string {
  const r = docker(...args);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}
/** A docker command that must fail with `Error response from daemon: <message>`. */
function refused(message: string, ...args: string[]): void {
  const r = docker(...args);
  assert.equal(r.code, 1, `docker ${args.join(' ')} should fail: ${r.out}`);
  // the Go client trims the message (Docker's predefined-network message ends in a space)
  assert.ok(r.err.includes(`Error response from daemon: ${message.trim()}`), `stderr of docker ${args.join(' ')}: ${r.err}`);
}
const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const nsAddrs = (key: string) =>
  (JSON.parse(inNs(key, ['ip', '-json', 'addr']).out) as { ifname: string; addr_info: { family: string; local: string; prefixlen: number }[] }[]).flatMap((l) =>
    l.addr_info.map((a) => ({ dev: l.ifname, cidr: `${a.local}/${a.prefixlen}` })),
  );
const hostAddrs = (dev: string) =>
  (JSON.parse(sh(['ip', '-json', 'addr', 'show', 'dev', dev]).out) as { addr_info: { family: string; local: string; prefixlen: number }[] }[])[0]!.addr_info
    .filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`);
const linkExists = (dev: string) => sh(['ip', 'link', 'show', 'dev', dev], { allowFail: true }).code === 0;

describe('the docker CLI against patchbayd', { skip: !existsSync(DOCKER) && `no docker CLI at ${DOCKER}` }, () => {
  /** Unix time with a fraction, as `docker events --since/--until` pass it through */
  const unixNow = () => (Date.now() / 1000).toFixed(3);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let startedAt = '';
  before(async () => {
    dockerConfig = mkdtempSync(join(tmpdir(), 'pb-docker-config-'));
    d = createTestDaemon(['--bip', '10.123.0.1/24']);
    await d.start();
    await sleep(5);
    startedAt = unixNow(); // after the predefined networks were made
  });
  after(async () => {
    await d?.cleanup();
    if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
  });

  it('docker version negotiates API 1.44 with patchbay', () => {
    const out = ok('version');
    assert.match(out, /Server: patchbay/);
    assert.match(out, /API version:\s+1\.44 \(minimum version 1\.24\)/);
    assert.match(out, /API version:\s+1\.44 \(downgraded from/);
    assert.equal(ok('version', '--format', '{{.Server.APIVersion}} {{.Server.Os}} {{.Server.Platform.Name}}'), '1.44 linux patchbay\n');
  });

  it('docker network ls shows the predefined networks, with --filter and --format', async () => {
    const table = lines(ok('network', 'ls'));
    assert.match(table[0]!, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    const rows = table.slice(1).map((l) => l.split(/\s+/));
    assert.deepStrictEqual(rows.map((r) => r.slice(1)).sort(), [['bridge', 'bridge', 'local'], ['host', 'host', 'local'], ['none', 'null', 'local']]);
    const bridgeId = (await d.req('GET', '/v1/networks/bridge')).body.id as string;
    assert.ok(rows.some((r) => r[0] === bridgeId.slice(0, 12) && r[1] === 'bridge'));
    assert.equal(ok('network', 'ls', '--filter', 'driver=bridge', '--format', '{{.Name}} {{.Driver}} {{.Scope}}'), 'bridge bridge local\n');
    assert.equal(ok('network', 'ls', '--no-trunc', '-q', '--filter', 'name=^bridge$'), `${bridgeId}\n`);
    assert.equal(ok('network', 'ls', '-q', '--filter', 'type=custom'), '');
    assert.deepStrictEqual(lines(ok('network', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}}')).sort(), ['bridge', 'host', 'none']);
    refused(`invalid filter: 'type'='nope'`, 'network', 'ls', '--filter', 'type=nope');
  });

  it('docker network create takes every flag, and the bridge exists with the gateway address', () => {
    const id = ok(
      'network', 'create',
      '--subnet', '10.77.0.0/16', '--gateway', '10.77.0.254', '--ip-range', '10.77.1.0/24', '--aux-address', 'router=10.77.0.9',
      '--ipv6', '--subnet', 'fd00:77::/64',
      '--label', 'team=net', '--label', 'env=e2e',
      '-o', 'com.docker.network.bridge.name=br-e2e', '-o', 'com.docker.network.driver.mtu=1400',
      '--internal', '--attachable',
      'full',
    ).trim();
    assert.match(id, HEX64);
    assert.ok(linkExists('br-e2e'));
    assert.deepStrictEqual(hostAddrs('br-e2e'), ['10.77.0.254/16']);
    assert.match(ok('network', 'create', '--subnet', '10.78.0.0/24', 'app').trim(), HEX64);
    refused('network with name app already exists', 'network', 'create', 'app');
    refused('operation is not permitted on predefined bridge network ', 'network', 'create', 'bridge');
  });

  it('docker network inspect shows Docker shapes, also through -f templates', () => {
    const [net] = JSON.parse(ok('network', 'inspect', 'full'));
    assert.match(net.Id, HEX64);
    assert.match(net.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.deepStrictEqual(
      { ...net, Id: '<id>', Created: '<created>' },
      {
        Name: 'full', Id: '<id>', Created: '<created>', Scope: 'local', Driver: 'bridge', EnableIPv6: true,
        IPAM: {
          Driver: 'default', Options: {},
          Config: [
            { Subnet: '10.77.0.0/16', IPRange: '10.77.1.0/24', Gateway: '10.77.0.254', AuxiliaryAddresses: { router: '10.77.0.9' } },
            // dockerd shows a configured pool's gateway only when one was given (issue 15)
            { Subnet: 'fd00:77::/64' },
          ],
        },
        Internal: true, Attachable: true, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {},
        Options: { 'com.docker.network.bridge.name': 'br-e2e', 'com.docker.network.driver.mtu': '1400' },
        Labels: { team: 'net', env: 'e2e' },
      },
    );
    assert.equal(ok('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'full'), '10.77.0.0/16fd00:77::/64\n');
    assert.equal(ok('network', 'inspect', '-f', '{{.Internal}} {{.Attachable}} {{index .Labels "team"}}', net.Id.slice(0, 12)), 'true true net\n');
    assert.equal(ok('network', 'inspect', '-f', '{{index .Options "com.docker.network.bridge.name"}}', 'bridge'), 'pb0\n');
    refused('network nope not found', 'network', 'inspect', 'nope');
  });

  const sandbox: { id?: string; key?: string } = {};
  it('docker network connect --ip --alias joins a sandbox made through the native API, with that address', async () => {
    const r = await d.req('POST', '/v1/sandboxes', { name: 'web' });
    assert.equal(r.status, 201, r.text);
    Object.assign(sandbox, { id: r.body.id, key: r.body.key });
    assert.equal(ok('network', 'connect', '--ip', '10.78.0.42', '--alias', 'www', 'app', 'web'), '');
    assert.ok(nsAddrs(sandbox.key!).some((a) => a.dev === 'eth0' && a.cidr === '10.78.0.42/24'), JSON.stringify(nsAddrs(sandbox.key!)));
    const containers = JSON.parse(ok('network', 'inspect', '-f', '{{json .Containers}}', 'app'));
    assert.deepStrictEqual(Object.keys(containers), [sandbox.id]);
    assert.equal(containers[sandbox.id!].Name, 'web');
    assert.equal(containers[sandbox.id!].IPv4Address, '10.78.0.42/24');
    const eps = (await d.req('GET', '/v1/networks/app/endpoints')).body as { aliases: string[] }[];
    assert.deepStrictEqual(eps.map((e) => e.aliases), [['www']]);
    // a dynamic address on the default bridge, next to it
    assert.equal(ok('network', 'connect', 'bridge', sandbox.id!.slice(0, 12)), '');
    assert.ok(nsAddrs(sandbox.key!).some((a) => a.dev === 'eth1' && a.cidr.startsWith('10.123.0.')));
  });

  it('docker network connect refusals come with Docker messages', () => {
    refused('user specified IP address is supported on user defined networks only', 'network', 'connect', '--ip', '10.123.0.77', 'bridge', 'web');
    refused('No such container: nosuch', 'network', 'connect', 'app', 'nosuch');
    refused('endpoint with name web already exists in network app', 'network', 'connect', 'app', 'web');
  });

  it('docker network disconnect removes the interface; -f removes a stale endpoint', async () => {
    assert.equal(ok('network', 'disconnect', 'app', 'web'), '');
    assert.ok(!nsAddrs(sandbox.key!).some((a) => a.cidr === '10.78.0.42/24'));
    assert.deepStrictEqual(JSON.parse(ok('network', 'inspect', '-f', '{{json .Containers}}', 'app')), {});
    // an endpoint whose container is gone: only -f removes it, by name
    const stale = await d.req('POST', '/v1/networks/app/endpoints', { name: 'stale' });
    assert.equal(stale.status, 201, stale.text);
    refused('No such container: stale', 'network', 'disconnect', 'app', 'stale');
    assert.equal(ok('network', 'disconnect', '-f', 'app', 'stale'), '');
    assert.deepStrictEqual((await d.req('GET', '/v1/networks/app/endpoints')).body, []);
  });

  it('docker network rm removes several networks and their bridges', () => {
    refused('bridge is a pre-defined network and cannot be removed', 'network', 'rm', 'bridge');
    assert.equal(ok('network', 'rm', 'full', 'app'), 'full\napp\n');
    assert.ok(!linkExists('br-e2e'));
    assert.deepStrictEqual(lines(ok('network', 'ls', '--format', '{{.Name}}')).sort(), ['bridge', 'host', 'none']);
    const r = docker('network', 'rm', 'nope');
    assert.equal(r.code, 1);
    assert.match(r.err, /network nope not found/);
  });

  it('docker network prune -f removes unused custom networks, honouring filters', () => {
    for (const args of [['p1'], ['--label', 'keep=yes', 'p2'], ['busy']]) ok('network', 'create', ...args);
    ok('network', 'connect', 'busy', 'web');
    assert.equal(ok('network', 'prune', '-f', '--filter', 'label!=keep'), 'Deleted Networks:\np1\n\n');
    assert.equal(ok('network', 'prune', '-f'), 'Deleted Networks:\np2\n\n');
    assert.equal(ok('network', 'prune', '-f'), '');
    assert.deepStrictEqual(lines(ok('network', 'ls', '--format', '{{.Name}}')).sort(), ['bridge', 'busy', 'host', 'none']);
  });

  it('docker events replays past network events', async () => {
    await sleep(5);
    // `--until 0s` would be rounded down to the second; a Unix time just past now is passed through
    const until = unixNow();
    const out = ok('events', '--since', startedAt, '--until', until, '--filter', 'type=network', '--filter', 'event=create', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}');
    assert.deepStrictEqual(lines(out), ['network create full', 'network create app', 'network create p1', 'network create p2', 'network create busy']);
    const app = ok('events', '--since', startedAt, '--until', until, '--filter', 'network=app', '--format', '{{.Action}} {{.Actor.Attributes.container}}');
    assert.deepStrictEqual(lines(app), ['create <no value>', `connect ${sandbox.id}`, `disconnect ${sandbox.id}`, 'destroy <no value>']);
    const full = ok('events', '--since', startedAt, '--until', until, '--filter', 'network=full');
    assert.match(lines(full)[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z network create [0-9a-f]{64} \(name=full, type=bridge\)$/);
  });

  it('docker events streams a create as it happens', async () => {
    const child = spawn(DOCKER, ['events', '--filter', 'type=network', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}'], { env: env() });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    try {
      await new Promise((r) => setTimeout(r, 1000)); // the CLI pings and subscribes first
      ok('network', 'create', 'live');
      const deadline = Date.now() + 10_000;
      while (!out.includes('create live bridge') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepStrictEqual(lines(out), ['create live bridge']);
    } finally {
      child.kill('SIGTERM');
    }
  });

  // Differences from dockerd 20.10 found by running the same commands against both (issue 15).
  it('docker info works: name, version, the drivers as network plugins, counts, kernel and OS', () => {
    assert.match(ok('info'), /Server Version: 0\.1\.0/);
    const out = ok('info', '--format', '{{.Name}}|{{.ServerVersion}}|{{json .Plugins.Network}}|{{.Containers}}|{{.OSType}}|{{.KernelVersion}}|{{.NCPU}}|{{.Swarm.LocalNodeState}}');
    assert.equal(out, `${hostname()}|0.1.0|["bridge","host","ipvlan","macvlan","null"]|1|linux|${release()}|${availableParallelism()}|inactive\n`);
  });

  it('docker network create takes any name that is not blank, as dockerd does; the bridge is named after the id', () => {
    const id = ok('network', 'create', 'my net').trim();
    assert.equal(ok('network', 'inspect', '-f', '{{.Name}} {{.Id}}', 'my net'), `my net ${id}\n`);
    assert.ok(linkExists(bridgeNameFor(id)));
    assert.ok(lines(ok('network', 'ls', '--format', '{{.Name}}')).includes('my net'));
    assert.equal(ok('network', 'rm', 'my net'), 'my net\n');
    assert.ok(!linkExists(bridgeNameFor(id)));
    refused('invalid name:', 'network', 'create', ' ');
  });

  it('docker network inspect shows the IPAM config as given: a gateway only when one was given', () => {
    const id = ok('network', 'create', '--subnet', '10.79.0.0/24', 'cfg-sub').trim();
    assert.equal(ok('network', 'inspect', '-f', '{{json .IPAM.Config}}', 'cfg-sub'), '[{"Subnet":"10.79.0.0/24"}]\n');
    // the gateway was still chosen and set on the bridge
    assert.deepStrictEqual(hostAddrs(bridgeNameFor(id)), ['10.79.0.1/24']);
    ok('network', 'create', '--subnet', '10.80.0.0/24', '--gateway', '10.80.0.254', 'cfg-gw');
    assert.equal(ok('network', 'inspect', '-f', '{{json .IPAM.Config}}', 'cfg-gw'), '[{"Subnet":"10.80.0.0/24","Gateway":"10.80.0.254"}]\n');
    assert.equal(ok('network', 'rm', 'cfg-sub', 'cfg-gw'), 'cfg-sub\ncfg-gw\n');
  });

  it('docker network create --scope swarm is refused with dockerd\'s 4xx message', () => {
    refused('cannot create a swarm scoped network when swarm is not active', 'network', 'create', '--scope', 'swarm', 'sw');
    assert.ok(!lines(ok('network', 'ls', '--format', '{{.Name}}')).includes('sw'));
  });

  it('the none network is exclusive, with dockerd\'s message both ways', async () => {
    const message = 'container cannot be connected to multiple networks with one of the networks in private (none) mode';
    assert.equal((await d.req('POST', '/v1/sandboxes', { name: 'solo' })).status, 201);
    assert.equal(ok('network', 'connect', 'none', 'solo'), '');
    refused(message, 'network', 'connect', 'busy', 'solo');
    refused(message, 'network', 'connect', 'none', 'web');
    assert.deepStrictEqual(Object.values(JSON.parse(ok('network', 'inspect', '-f', '{{json .Containers}}', 'none'))).map((c) => (c as { Name: string }).Name), ['solo']);
    assert.equal(ok('network', 'disconnect', 'none', 'solo'), '');
    assert.equal(ok('network', 'connect', 'busy', 'solo'), '');
  });

  it('docker network prune emits a prune event, as dockerd does', async () => {
    const since = unixNow();
    ok('network', 'create', 'doomed');
    assert.equal(ok('network', 'prune', '-f'), 'Deleted Networks:\nlive\ndoomed\n\n');
    await sleep(5);
    const out = ok('events', '--since', since, '--until', unixNow(), '--filter', 'event=prune', '--format', '{{.Type}} {{.Action}} reclaimed={{.Actor.Attributes.reclaimed}}');
    assert.deepStrictEqual(lines(out), ['network prune reclaimed=0']);
  });
});
