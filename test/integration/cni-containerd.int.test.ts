import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { requireIsolatedNamespace } from '../helpers/isolation.js';
import { cliFor, emptyDirs } from '../helpers/runtime.js';
import { miniOciArchive } from '../helpers/mini-image.js';

requireIsolatedNamespace();

const IMAGE = 'docker.io/library/mini:latest';
let d: TestDaemon;
let work: string;
let cli: ReturnType<typeof cliFor>;
let containerd: ChildProcess | undefined;

function ctr(args: string[], allowFail = false): { code: number; out: string; err: string } {
  const r = spawnSync('ctr', ['-a', join(work, 'containerd.sock'), ...args], { encoding: 'utf8', timeout: 180_000 });
  const res = { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  if (res.code !== 0 && !allowFail) throw new Error(`ctr ${args.join(' ')} exited ${res.code}: ${res.err || res.out}`);
  return res;
}


const ipOf = async (containerId: string): Promise<string> => {
  const eps = (await d.req('GET', '/v1/endpoints')).body as { cni?: { containerId: string }; ipv4Address: string }[];
  const ep = eps.find((e) => e.cni?.containerId === containerId);
  assert.ok(ep, `no attachment for ${containerId}: ${JSON.stringify(eps)}`);
  return ep.ipv4Address.split('/')[0]!;
};

describe('containerd 1.6 (ctr run --cni) runs its containers on patchbay', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'pb-containerd-'));
    // the kubelet's default CNI dirs, and containerd's and libcni's state: empty ones for this test
    emptyDirs(['/opt/cni/bin', '/etc/cni/net.d', '/var/lib/cni', '/run/containerd', '/var/lib/containerd']);
    writeFileSync(
      join(work, 'config.toml'),
      `version = 2\nroot = "${join(work, 'root')}"\nstate = "${join(work, 'state')}"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${join(work, 'containerd.sock')}"\n`,
    );
    containerd = spawn('containerd', ['--config', join(work, 'config.toml')], { stdio: 'ignore' });
    // the sweep that drops sandboxes whose namespace vanished runs every second here
    d = createTestDaemon(['--bip', '10.140.0.1/24', '--firewall-check-interval', '1']);
    await d.start();
    cli = cliFor(d);
    for (let i = 0; i < 100 && !existsSync(join(work, 'containerd.sock')); i++) await new Promise((r) => setTimeout(r, 100));
    await cli('cni', 'install', '--network', 'ctrnet', '--subnet', '10.141.0.0/24');
    // ctr adds a loopback network of its own (go-cni WithLoNetwork): the reference plugin
    copyFileSync('/usr/lib/cni/loopback', '/opt/cni/bin/loopback');
    ctr(['images', 'import', '--snapshotter', 'native', miniOciArchive(join(work, 'mini.tar'))]);
  });
  after(async () => {
    for (const c of ['c1', 'c2']) {
      ctr(['task', 'kill', '-s', 'SIGKILL', c], true);
      ctr(['task', 'rm', '-f', c], true);
      ctr(['containers', 'rm', c], true);
    }
    if (containerd?.pid) containerd.kill('SIGTERM');
    await d?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('two containers ping each other, and an attached run of ctr deletes its attachment itself', async () => {
    for (const c of ['c1', 'c2']) ctr(['run', '--snapshotter', 'native', '--cni', '-d', IMAGE, c, '/bin/sleep', '1000']);
    const ip2 = await ipOf('default-c2');
    assert.match(ip2, /^10\.141\.0\.\d+$/);
    const ping = ctr(['task', 'exec', '--exec-id', 'ping1', 'c1', 'ping', '-c', '1', '-W', '2', ip2]);
    assert.match(ping.out, /1 packets received/);
    assert.match(await cli('endpoint', 'ls'), /default-c1\s+eth0\s+10\.141\.0\./);
    // without -d, ctr runs the task to its end and then sends DEL (with an empty CNI_NETNS)
    const once = ctr(['run', '--rm', '--snapshotter', 'native', '--cni', IMAGE, 'once', '/bin/ping', '-c', '1', '-W', '2', ip2]);
    assert.match(once.out, /1 packets received/);
    const attached = ((await d.req('GET', '/v1/endpoints')).body as { cni?: { containerId: string } }[]).map((e) => e.cni?.containerId).sort();
    assert.deepEqual(attached, ['default-c1', 'default-c2']);
  });

  it('after the tasks are removed nothing is left (the namespaces vanish; the sweep drops them)', async () => {
    for (const c of ['c1', 'c2']) {
      ctr(['task', 'kill', '-s', 'SIGKILL', c]);
      for (let i = 0; i < 50 && ctr(['task', 'rm', c], true).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
      ctr(['containers', 'rm', c]);
    }
    let left: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      left = (await d.req('GET', '/v1/sandboxes')).body;
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(left, []);
    assert.deepEqual((await d.req('GET', '/v1/endpoints')).body, []);
    const ipam = (await d.req('GET', '/v1/networks/ctrnet/ipam')).body;
    assert.deepEqual(ipam.subnets[0].allocations.map((a: { kind: string }) => a.kind), ['gateway']);
    assert.equal((await d.req('GET', '/v1/system/check')).body.consistent, true);
  });
});
