import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestEtcd {
  /** `host:port` of the client URL */
  endpoint: string;
  dataDir: string;
  start(): Promise<void>;
  /** SIGKILL (default) or SIGTERM; resolves when the process is gone */
  stop(signal?: NodeJS.Signals): Promise<void>;
  cleanup(): Promise<void>;
  logs(): string;
}

/**
 * A single-member etcd for tests: its data in a temporary directory, client and peer URLs on
 * `host` (loopback unless a test gives an address of a namespace it made), ports picked free.
 * `prefix` runs it through another command (nsenter into a namespace).
 */
export async function createTestEtcd(opts: { host?: string; clientPort?: number; prefix?: string[] } = {}): Promise<TestEtcd> {
  const host = opts.host ?? '127.0.0.1';
  const clientPort = opts.clientPort ?? (await freePort());
  const peerPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pb-etcd-'));
  const dataDir = join(dir, 'data');
  let child: ChildProcess | undefined;
  let output = '';
  const client = `http://${host}:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'default',
    '--data-dir', dataDir,
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `default=${peer}`,
    '--log-level', 'warn',
  ];
  const up = async () => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${client}/health`);
        if (r.ok) return;
      } catch {
        /* not yet */
      }
      if (child?.exitCode !== null) throw new Error(`etcd exited:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`etcd did not come up:\n${output}`);
  };
  const e: TestEtcd = {
    endpoint: `${host}:${clientPort}`,
    dataDir,
    logs: () => output,
    async start() {
      const [cmd, ...pre] = [...(opts.prefix ?? []), 'etcd'];
      child = spawn(cmd!, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (b) => (output += b));
      child.stderr!.on('data', (b) => (output += b));
      await up();
    },
    async stop(signal = 'SIGKILL') {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill(signal);
      await gone;
    },
    async cleanup() {
      await e.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await e.start();
  return e;
}

export interface TestEtcdCluster {
  /** `host:port` of each member's client URL */
  endpoints: string[];
  /** the index of the member that leads now (asked through etcd's status API) */
  leader(): Promise<number>;
  /** the pid of a member's etcd process */
  pid(index: number): number;
  /** whether a member's process still runs */
  alive(index: number): boolean;
  /** resolves when a member's process has exited (after a kill by pid) */
  exited(index: number): Promise<void>;
  kill(index: number): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * An n-member etcd cluster, each member its own process, data in temporary directories. By
 * default every member listens on 127.0.0.1 (ports picked free); `members` puts member i on its
 * own address, run through its own command prefix (nsenter into a namespace the test made,
 * which execs etcd: the child's pid is etcd's).
 */
export async function createTestEtcdCluster(n = 3, opts: { members?: { host: string; prefix: string[] }[] } = {}): Promise<TestEtcdCluster> {
  const members = await Promise.all(
    Array.from({ length: n }, async (_, i) => ({
      name: `m${i}`,
      host: opts.members?.[i]?.host ?? '127.0.0.1',
      prefix: opts.members?.[i]?.prefix ?? [],
      client: await freePort(),
      peer: await freePort(),
      dir: mkdtempSync(join(tmpdir(), `pb-etcd-m${i}-`)),
    })),
  );
  const initial = members.map((m) => `${m.name}=http://${m.host}:${m.peer}`).join(',');
  const children: ChildProcess[] = [];
  const outputs: string[] = members.map(() => '');
  members.forEach((m, i) => {
    const [cmd, ...pre] = [...m.prefix, 'etcd'];
    const c = spawn(cmd!, [
      ...pre,
      '--name', m.name,
      '--data-dir', join(m.dir, 'data'),
      '--listen-client-urls', `http://${m.host}:${m.client}`,
      '--advertise-client-urls', `http://${m.host}:${m.client}`,
      '--listen-peer-urls', `http://${m.host}:${m.peer}`,
      '--initial-advertise-peer-urls', `http://${m.host}:${m.peer}`,
      '--initial-cluster', initial,
      '--initial-cluster-state', 'new',
      '--log-level', 'warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (b) => (outputs[i] += b));
    c.stderr!.on('data', (b) => (outputs[i] += b));
    children.push(c);
  });
  const endpoints = members.map((m) => `${m.host}:${m.client}`);
  const status = async (i: number) => {
    const r = await fetch(`http://${endpoints[i]}/v3/maintenance/status`, { method: 'POST', body: '{}' });
    return (await r.json()) as { header: { member_id: string }; leader: string };
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const all = await Promise.all(endpoints.map((_, i) => status(i)));
      if (all.every((s) => s.leader && s.leader !== '0')) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`etcd cluster did not come up:\n${outputs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const alive = (i: number) => children[i]!.exitCode === null && children[i]!.signalCode === null;
  const exits = children.map((c) => new Promise<void>((r) => c.once('exit', () => r())));
  const kill = async (i: number) => {
    if (!alive(i)) return;
    children[i]!.kill('SIGKILL');
    await exits[i];
  };
  return {
    endpoints,
    async leader() {
      for (let i = 0; i < n; i++) {
        if (!alive(i)) continue;
        const s = await status(i);
        if (s.header.member_id === s.leader) return i;
      }
      throw new Error('no member leads');
    },
    pid: (i) => children[i]!.pid!,
    alive,
    exited: (i) => exits[i]!,
    kill,
    async cleanup() {
      for (let i = 0; i < n; i++) await kill(i);
      for (const m of members) rmSync(m.dir, { recursive: true, force: true });
    },
  };
}
