import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sh, type TestDaemon } from './daemon.js';
import { miniRootfs } from './mini-image.js';

export interface DockerResult {
  code: number;
  out: string;
  err: string;
}

/**
 * A real dockerd (Debian's docker.io 20.10) in this test's namespaces, for the suites where
 * Docker runs its containers on patchbay. `privateDockerDirs()` first: a private tmpfs on /run
 * (with /run/netns and /run/docker/plugins made again: dockerd finds the plugin there, never in the
 * host's) and on /etc/docker. dockerd keeps its data in a temporary directory (vfs storage driver).
 */
export function createDockerd() {
  const work = mkdtempSync(join(tmpdir(), 'pb-dockerd-'));
  const socket = join(work, 'docker.sock');
  let proc: ChildProcess | undefined;

  function docker(args: string[], allowFail = false): DockerResult {
    const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, DOCKER_HOST: `unix://${socket}` } });
    const res = { code: r.status ?? -1, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() };
    if (res.code !== 0 && !allowFail) throw new Error(`docker ${args.join(' ')} exited ${res.code}: ${res.err || res.out}`);
    return res;
  }

  async function start(extra: string[] = []): Promise<void> {
    const p = spawn('dockerd', ['--data-root', join(work, 'data'), '--exec-root', join(work, 'exec'), '--pidfile', join(work, 'dockerd.pid'), '-H', `unix://${socket}`, '--storage-driver', 'vfs', ...extra], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    proc = p;
    const deadline = Date.now() + 90_000;
    while (docker(['version'], true).code !== 0) {
      if (p.exitCode !== null) throw new Error(`dockerd exited with ${p.exitCode}`);
      if (Date.now() > deadline) throw new Error('dockerd did not come up');
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  async function stop(): Promise<void> {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  /** The image `mini` from busybox-static, imported (no registry). */
  function importMini(): void {
    const root = miniRootfs(join(work, 'rootfs'));
    const r = spawnSync('sh', ['-c', `tar -C '${root}' -c . | docker import - mini`], { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: `unix://${socket}` } });
    if (r.status !== 0) throw new Error(`docker import failed: ${r.stderr}`);
  }

  async function destroy(): Promise<void> {
    if (proc && proc.exitCode === null) {
      const all = docker(['ps', '-aq'], true).out.split('\n').filter(Boolean);
      if (all.length > 0) docker(['rm', '-f', ...all], true);
    }
    await stop();
    // dockerd leaves mounts under its data root (in this test's mount namespace): off before the rm
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(`${work}/`));
    for (const m of mounts.sort().reverse()) sh(['umount', '-l', m], { allowFail: true });
    rmSync(work, { recursive: true, force: true });
    // privateDockerDirs' tmpfs on /etc/docker would keep the runner from unmounting its /etc overlay
    sh(['umount', '-l', '/etc/docker'], { allowFail: true });
  }

  const running = () => !!proc && proc.exitCode === null && proc.signalCode === null;
  return { work, docker, start, stop, importMini, destroy, running };
}
export type Dockerd = ReturnType<typeof createDockerd>;

/** Private /run (with /run/netns and /run/docker/plugins) and /etc/docker for this test's mount namespace. */
export function privateDockerDirs(): void {
  sh(['mount', '-t', 'tmpfs', 'tmpfs', '/run']);
  mkdirSync('/run/netns');
  mkdirSync('/run/docker/plugins', { recursive: true });
  mkdirSync('/etc/docker', { recursive: true });
  sh(['mount', '-t', 'tmpfs', 'tmpfs', '/etc/docker']);
}

/** A container's address on a network. */
export const ipOf = (docker: Dockerd['docker'], container: string, network: string) =>
  docker(['inspect', container, '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`]).out;

/** Links of this namespace a Docker endpoint could leave: patchbay's host veths (pbv) and container sides (pbt). */
export const endpointLinks = () =>
  sh(['ip', '-o', 'link', 'show'])
    .out.split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n && (n.startsWith('pbv') || n.startsWith('pbt')));

export function httpGet(host: string, port: number, path = '/index.html'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Retries `fn` until it passes (dockerd configures the interface up to ~2 s after Join). */
export async function eventually(fn: () => void | Promise<void>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await fn();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** busybox's httpd serving a page (`served-by-web`) from /www on port 80. */
export const SERVE = ['sh', '-c', 'mkdir -p /www && echo served-by-web > /www/index.html && exec httpd -f -p 80 -h /www'];

/**
 * patchbayd (plugin on: /run/docker exists) and dockerd in this test's namespaces, with network
 * `pnet` (10.190.0.0/24 from patchbay's IPAM), `web` serving on 8080 and `c2` on it.
 */
export async function dockerOnPatchbay(createDaemon: () => TestDaemon, dockerdFlags: string[] = []): Promise<{ d: TestDaemon; engine: Dockerd }> {
  privateDockerDirs();
  const engine = createDockerd();
  const d = createDaemon();
  await d.start();
  await engine.start(dockerdFlags);
  engine.importMini();
  engine.docker(['network', 'create', '-d', 'patchbay', '--ipam-driver', 'patchbay', '--subnet', '10.190.0.0/24', 'pnet']);
  engine.docker(['run', '-d', '--name', 'web', '--network', 'pnet', '-p', '8080:80', 'mini', ...SERVE]);
  engine.docker(['run', '-d', '--name', 'c2', '--network', 'pnet', 'mini', 'sleep', '100000']);
  return { d, engine };
}
