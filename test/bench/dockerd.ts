import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { UnixHttpClient } from './http.js';
import { run, runOk } from './proc.js';
import { nowMs } from './stats.js';

/** The Engine API version both daemons are spoken to in (dockerd 20.10 speaks up to 1.41). */
export const DOCKER_API = '/v1.41';

/**
 * Why dockerd cannot be a peer in this run, or undefined when it can: Debian's docker.io (dockerd,
 * containerd, runc) and busybox-static for the `mini` image.
 */
export async function dockerdMissing(): Promise<string | undefined> {
  for (const [tool, pkg] of [['dockerd', 'docker.io'], ['containerd', 'containerd'], ['runc', 'runc'], ['busybox', 'busybox-static']] as const) {
    const found = await run('sh', ['-c', `command -v ${tool}`]).catch(() => undefined);
    if (found?.code !== 0) return `${tool} not installed (apt-get install ${pkg})`;
  }
  return undefined;
}

/**
 * A real dockerd (with the containerd it starts) in a network + mount namespace of its own, made
 * here inside the bench's namespace (as shared/tools/dockerd-sandbox does): private tmpfs on /run,
 * data and exec roots under the bench's scratch directory, its API on a unix socket there. Its
 * bridges and iptables rules live and die with that namespace.
 */
export class BenchDockerd {
  readonly socket: string;
  readonly client: UnixHttpClient;
  private child?: ChildProcess;
  private readonly log: string;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.socket = join(dir, 'docker.sock');
    this.log = join(dir, 'dockerd.log');
    this.client = new UnixHttpClient(this.socket);
    process.on('exit', () => this.child?.kill('SIGKILL'));
  }

  /** Starts dockerd; resolves with the milliseconds until GET /_ping answered. */
  async start(timeoutMs = 90_000): Promise<number> {
    const setup = [
      'mount -t tmpfs tmpfs /run',
      'mkdir -p /run/netns /run/docker/plugins',
      'ip link set lo up',
      `exec dockerd --data-root ${this.dir}/data --exec-root ${this.dir}/exec --pidfile ${this.dir}/dockerd.pid -H unix://${this.socket} --storage-driver vfs`,
    ].join(' && ');
    const fd = openSync(this.log, 'a');
    const started = nowMs();
    // unshare and sh exec: the child's pid is dockerd's
    const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', setup], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
    while (nowMs() - started < timeoutMs) {
      if (exited) throw new Error(`dockerd ${exited} before it was ready: ${this.logTail()}`);
      const status = await this.client.send('GET', '/_ping').then((r) => r.status, () => 0);
      if (status === 200) return nowMs() - started;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`dockerd not ready after ${timeoutMs} ms: ${this.logTail()}`);
  }

  /** Imports busybox-static as the image `mini` (POST /images/create?fromSrc=-), unless it is there. */
  async importMini(): Promise<void> {
    if ((await this.client.send('GET', `${DOCKER_API}/images/mini/json`)).status === 200) return;
    const root = join(this.dir, 'mini-root');
    await runOk('sh', ['-c', `mkdir -p ${root}/bin && cp "$(command -v busybox)" ${root}/bin/ && for c in sh sleep; do ln -sf busybox ${root}/bin/$c; done`]);
    const tar = await new Promise<Buffer>((resolve, reject) => {
      const p = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const chunks: Buffer[] = [];
      p.stdout.on('data', (c: Buffer) => chunks.push(c));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`tar exited ${code}`))));
    });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { socketPath: this.socket, method: 'POST', path: `${DOCKER_API}/images/create?fromSrc=-&repo=mini&tag=latest`, headers: { 'content-type': 'application/x-tar', 'content-length': tar.length } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(tar);
    });
    if (status !== 200) throw new Error(`importing the mini image: HTTP ${status}`);
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.client.dropConnections();
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await gone;
    clearTimeout(timer);
  }

  logTail(lines = 5): string {
    try {
      return readFileSync(this.log, 'utf8').trim().split('\n').slice(-lines).join(' | ') || '(log empty)';
    } catch {
      return '(no log)';
    }
  }
}
