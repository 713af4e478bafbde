/**
 * Simulated hosts for the overlay rows, inside the bench's own namespace: an underlay bridge,
 * etcd on it, and per host a network + mount namespace (a private /run/netns) holding `eth0` on
 * the underlay and its own patchbayd (exec'd there by nsenter) pointed at that etcd. Each host
 * also runs `ip monitor neigh`, which reports the neighbour and FDB entries the daemon programs
 * the moment the kernel has them: that is how "the other hosts can reach it" is seen, without
 * polling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BenchDaemon } from './daemon.js';
import { ipBatch, run, runOk } from './proc.js';
import { nowMs } from './stats.js';

const UNDERLAY = 'ul0';
const GATEWAY = '192.0.2.254';
const children: ChildProcess[] = [];
// never leave a holder, monitor or etcd behind, whatever happens to the bench
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Kills every holder, monitor and etcd started here (their pipes would keep the bench from exiting). */
export function stopHelpers(): void {
  for (const c of children.splice(0)) c.kill('SIGKILL');
}

function track(c: ChildProcess): ChildProcess {
  children.push(c);
  return c;
}

/** Whether an `etcd` binary is on PATH (the overlay rows need one). */
export async function hasEtcd(): Promise<boolean> {
  return (await run('etcd', ['--version']).catch(() => undefined))?.code === 0;
}

export async function createUnderlay(): Promise<void> {
  await ipBatch(null, [`link add ${UNDERLAY} type bridge`, `addr add ${GATEWAY}/24 dev ${UNDERLAY}`, `link set ${UNDERLAY} up`]);
}

export async function removeUnderlay(): Promise<void> {
  await run('ip', ['link', 'del', UNDERLAY]);
}

/** A one-member etcd on the underlay (data under `dir`); resolves once it answers /health. */
export async function startEtcd(dir: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const client = `http://${GATEWAY}:2379`;
  const peer = 'http://127.0.0.1:2380';
  const args = ['--name', 'bench', '--data-dir', join(dir, 'etcd'), '--listen-client-urls', client, '--advertise-client-urls', client];
  args.push('--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `bench=${peer}`, '--log-level', 'warn');
  const child = track(spawn('etcd', args, { stdio: 'ignore' }));
  const deadline = nowMs() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode})`);
    if ((await fetch(`${client}/health`).then((r) => r.ok, () => false))) break;
    if (nowMs() > deadline) throw new Error('etcd did not come up in 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint: `${GATEWAY}:2379`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/** The neighbour/FDB entries one host's kernel holds, as `ip monitor neigh` reports them, each with when it appeared. */
export class EntryMonitor {
  private readonly seen = new Map<string, number>();
  private waiters: { keys: readonly string[]; resolve(at: number): void }[] = [];

  constructor(child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
  }

  /** neighbour entry: `<ip>|<mac>`; forwarding entry: `<vtep>|<mac>` (both print as "<addr> dev D lladdr M"). */
  static keysOf(peer: { ip: string; mac: string; vtep: string }): string[] {
    const mac = peer.mac.toLowerCase();
    return [`${peer.ip}|${mac}`, `${peer.vtep}|${mac}`];
  }

  /**
   * "ADDR dev pbx… lladdr MAC …" adds; "Deleted ADDR dev … lladdr MAC" removes that entry; a
   * neighbour's deletion prints no MAC ("[Deleted ]ADDR dev … FAILED"): every entry of ADDR goes.
   */
  private onLine(line: string): void {
    const m = /^(Deleted )?(\S+) dev pbx\S* (?:lladdr (\S+))?/.exec(line);
    if (!m) return;
    const [, deleted, addr, mac] = m;
    if (deleted || !mac) {
      for (const key of this.seen.keys()) if (mac ? key === `${addr}|${mac.toLowerCase()}` : key.startsWith(`${addr}|`)) this.seen.delete(key);
    } else {
      const key = `${addr}|${mac.toLowerCase()}`;
      if (!this.seen.has(key)) this.seen.set(key, nowMs());
    }
    this.waiters = this.waiters.filter((w) => !this.settle(w));
  }

  private settle(w: { keys: readonly string[]; resolve(at: number): void }): boolean {
    let last = 0;
    for (const k of w.keys) {
      const at = this.seen.get(k);
      if (at === undefined) return false;
      last = Math.max(last, at);
    }
    w.resolve(last);
    return true;
  }

  /** Resolves once none of `keys` is present; rejects after timeoutMs. */
  async allAbsent(keys: readonly string[], timeoutMs: number): Promise<void> {
    const deadline = nowMs() + timeoutMs;
    while (keys.some((k) => this.seen.has(k))) {
      if (nowMs() > deadline) throw new Error(`${keys.filter((k) => this.seen.has(k)).length} of ${keys.length} entries still present after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** When the last of `keys` appeared (at once if all are there); rejects after timeoutMs. */
  allPresent(keys: readonly string[], timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${keys.filter((k) => !this.seen.has(k)).length} of ${keys.length} entries missing after ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        keys,
        resolve: (at: number) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      if (!this.settle(waiter)) this.waiters.push(waiter);
    });
  }
}

export interface BenchHost {
  index: number;
  address: string;
  daemon: BenchDaemon;
  monitor: EntryMonitor;
  /** argv run in the host's network and mount namespaces */
  ns(argv: readonly string[]): string[];
}

/** Host `index` (underlay address 192.0.2.index) with its daemon started; `dir` holds its store and log. */
export async function createBenchHost(index: number, o: { entry: string; dir: string; etcd: string; ttlSeconds: number }): Promise<BenchHost> {
  const holder = track(spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /run/netns && echo ready && exec sleep infinity'], { stdio: ['ignore', 'pipe', 'ignore'] }));
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`host ${index}: namespace holder exited (${code})`)));
  });
  const pid = String(holder.pid);
  const address = `192.0.2.${index}`;
  const ns = (argv: readonly string[]) => ['nsenter', '-t', pid, '-n', '-m', '--', ...argv];
  await ipBatch(null, [`link add vh${index} type veth peer name eth0 netns ${pid}`, `link set vh${index} master ${UNDERLAY} up`]);
  await runOk('nsenter', ns(['ip', '-batch', '-']).slice(1), { stdin: `addr add ${address}/24 dev eth0\nlink set eth0 up\nlink set lo up\n` });
  const mon = track(spawn('nsenter', ns(['ip', 'monitor', 'neigh']).slice(1), { stdio: ['ignore', 'pipe', 'ignore'] }));
  const dir = join(o.dir, `host${index}`);
  await mkdir(dir, { recursive: true });
  const daemon = new BenchDaemon({
    entry: o.entry,
    dir,
    prefix: ns([]),
    // the simulated hosts share the bench's /run: the Docker plugin's one socket there is none of theirs
    // (an earlier phase's dockerd leaves /run/docker, which would turn the plugin on in all ten)
    extraArgs: ['--cluster-store', `etcd://${o.etcd}`, '--cluster-advertise', address, '--cluster-lease-ttl', String(o.ttlSeconds), '--docker-plugin=false'],
  });
  await daemon.start(120_000);
  return { index, address, daemon, monitor: new EntryMonitor(mon), ns };
}

/**
 * When each endpoint's publication reached etcd, as a watcher of `/patchbay/v1/endpoints/` (what
 * every host's watch sees) is told: peer address → time of the put event. Splits the reach time
 * into "until etcd had it" and "from etcd's event to the other kernels".
 */
export function watchPublications(endpoint: string): { seenAt(ip: string): number | undefined; stop(): void } {
  const seen = new Map<string, number>();
  const prefix = '/patchbay/v1/endpoints/';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  const ac = new AbortController();
  void (async () => {
    const res = await fetch(`http://${endpoint}/v3/watch`, { method: 'POST', body: JSON.stringify({ create_request: { key: b64(prefix), range_end: b64(end) } }), signal: ac.signal });
    let buffered = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const at = nowMs();
      buffered += Buffer.from(chunk).toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const msg = JSON.parse(buffered.slice(0, nl)) as { result?: { events?: { type?: string; kv?: { value?: string } }[] } };
        buffered = buffered.slice(nl + 1);
        for (const e of msg.result?.events ?? []) {
          if (e.type === 'DELETE' || !e.kv?.value) continue;
          const peer = JSON.parse(Buffer.from(e.kv.value, 'base64').toString('utf8')) as { ipv4: string };
          if (!seen.has(peer.ipv4)) seen.set(peer.ipv4, at);
        }
      }
    }
  })().catch(() => undefined);
  return { seenAt: (ip) => seen.get(ip), stop: () => ac.abort() };
}
