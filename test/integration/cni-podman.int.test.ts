import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, sh, type TestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';
import { cliFor, emptyDirs } from '../helpers/runtime.js';
import { miniRootfs } from '../helpers/mini-image.js';

requireIsolatedNamespace();

let d: TestDaemon;
let work: string;
let cli: ReturnType<typeof cliFor>;

/** podman 4.3 with its CNI backend, everything it keeps in directories of this test. */
function podman(args: string[], allowFail = false): { code: number; out: string; err: string } {
  const r = spawnSync('podman', ['--network-backend', 'cni', '--root', join(work, 'root'), '--runroot', join(work, 'runroot'), '--storage-driver', 'vfs', '--tmpdir', join(work, 'tmp'), ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, CONTAINERS_CONF: join(work, 'containers.conf') },
  });
  const res = { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  if (res.code !== 0 && !allowFail) throw new Error(`podman ${args.join(' ')} exited ${res.code}: ${res.err || res.out}`);
  return res;
}
const CONTAINER_FLAGS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--cap-add', 'NET_RAW'];
const runContainer = (name: string, network: string, extra: string[], command: string[]) =>
  podman(['run', '-d', '--name', name, '--network', network, ...extra, ...CONTAINER_FLAGS, '--rootfs', join(work, 'rootfs'), ...command]);
const ipOf = (name: string, network: string) => podman(['inspect', name, '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`]).out.trim();


function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('podman 4.3 runs its containers on patchbay (CNI backend)', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'pb-podman-'));
    // podman and libcni keep state here; this test's mount namespace gets empty ones
    emptyDirs(['/var/lib/cni', '/run/containers', '/run/libpod', '/etc/cni/net.d', '/var/lib/containers']);
    for (const dir of ['plugins', 'net.d', 'root', 'runroot', 'tmp']) mkdirSync(join(work, dir));
    miniRootfs(join(work, 'rootfs'));
    writeFileSync(
      join(work, 'containers.conf'),
      `[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["${join(work, 'plugins')}", "/usr/lib/cni"]\nnetwork_config_dir = "${join(work, 'net.d')}"\n` +
        '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n',
    );
    d = createTestDaemon(['--bip', '10.150.0.1/24']);
    await d.start();
    cli = cliFor(d);
    await cli('cni', 'install', '--bin-dir', join(work, 'plugins'), '--conf-dir', join(work, 'net.d'), '--network', 'front', '--subnet', '10.151.0.0/24');
    await cli('cni', 'install', '--bin-dir', join(work, 'plugins'), '--conf-dir', join(work, 'net.d'), '--network', 'back', '--subnet', '10.152.0.0/24');
  });
  after(async () => {
    podman(['rm', '-f', '-t', '0', '--all'], true);
    await d?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('podman lists the networks from the installed conflists', () => {
    const names = podman(['network', 'ls', '--format', '{{.Name}} {{.Driver}}']).out;
    assert.match(names, /^front patchbay$/m);
    assert.match(names, /^back patchbay$/m);
  });

  it('two containers ping each other; -p reaches a container; patchbay shows both', async () => {
    runContainer('c1', 'front', [], ['/bin/sleep', '3600']);
    runContainer('c2', 'front', ['-p', '127.0.0.1:18080:80'], ['/bin/sh', '-c', 'echo hello-from-c2 > /tmp/index.html; exec /bin/httpd -f -p 80 -h /tmp']);
    const ip2 = ipOf('c2', 'front');
    assert.match(ip2, /^10\.151\.0\.\d+$/);
    assert.equal(podman(['exec', 'c1', 'ping', '-c', '1', '-W', '2', ip2]).code, 0);
    let body = '';
    for (let i = 0; i < 20 && body === ''; i++) {
      body = await httpGet(18080).catch(() => '');
      if (body === '') await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(body.trim(), 'hello-from-c2');
    const ids = ['c1', 'c2'].map((c) => podman(['inspect', c, '--format', '{{.Id}}']).out.trim());
    const sandboxes = await cli('sandbox', 'ls');
    for (const [i, name] of ['c1', 'c2'].entries()) assert.match(sandboxes, new RegExp(`\\s${name}\\s+${ids[i]!.slice(0, 12)}\\s+/run/netns/netns-\\S+\\s+eth0@front`));
    const endpoints = await cli('endpoint', 'ls', '--network', 'front');
    assert.match(endpoints, new RegExp(`${ids[0]!.slice(0, 12)}\\s+eth0\\s+10\\.151\\.0\\.`));
  });

  it('podman network connect and disconnect add and remove eth1', async () => {
    podman(['network', 'connect', 'back', 'c1']);
    assert.match(podman(['exec', 'c1', 'ip', 'addr', 'show', 'eth1']).out, /inet 10\.152\.0\.\d+\/24/);
    assert.match(await cli('sandbox', 'ls'), /eth0@front,eth1@back|eth1@back,eth0@front/);
    podman(['network', 'disconnect', 'back', 'c1']);
    assert.notEqual(podman(['exec', 'c1', 'ip', 'link', 'show', 'eth1'], true).code, 0);
    assert.doesNotMatch(await cli('sandbox', 'ls'), /@back/);
  });

  it('podman rm -f leaves nothing behind', async () => {
    podman(['rm', '-f', '-t', '0', 'c1', 'c2']);
    assert.deepEqual((await d.req('GET', '/v1/sandboxes')).body, []);
    assert.deepEqual((await d.req('GET', '/v1/endpoints')).body, []);
    const ipam = (await d.req('GET', '/v1/networks/front/ipam')).body;
    assert.deepEqual(ipam.subnets[0].allocations.map((a: { kind: string }) => a.kind), ['gateway']);
    assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith('netns-')), [], 'podman removed its namespaces');
    // retired host veths are deleted by the reaper in the background
    let vethsLeft = -1;
    for (let i = 0; i < 50 && vethsLeft !== 0; i++) {
      vethsLeft = sh(['ip', '-o', 'link', 'show']).out.split('\n').filter((l) => /: pbv/.test(l)).length;
      if (vethsLeft !== 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(vethsLeft, 0);
    assert.equal((await d.req('GET', '/v1/system/check')).body.consistent, true);
  });
});
