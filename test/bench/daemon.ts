import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnixHttpClient } from './http.js';
import { schedTimes, type SchedTimes } from './schedstat.js';
import { nowMs } from './stats.js';

export interface DaemonPaths {
  /** daemon/bin/patchbayd.js (run as an executable, so its shebang's node flags apply) */
  entry: string;
  /** scratch dir holding the socket, data root, exec root and log */
  dir: string;
  /** flags after the bench's own (e.g. the cluster flags of a simulated host) */
  extraArgs?: readonly string[];
  /** a command that execs the daemon elsewhere (nsenter into a simulated host's namespaces) */
  prefix?: readonly string[];
}

/** every daemon child of this process: one exit handler kills them all, whatever happens to the bench */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** A patchbayd child process in the bench namespace, restartable with the same store. */
export class BenchDaemon {
  readonly socket: string;
  readonly client: UnixHttpClient;
  private child?: ChildProcess;
  private readonly log: string;

  constructor(private readonly paths: DaemonPaths) {
    this.socket = join(paths.dir, 'pb.sock');
    this.log = join(paths.dir, 'daemon.log');
    this.client = new UnixHttpClient(this.socket);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the daemon and returns the milliseconds from spawn until GET /v1/health answered 200. */
  async start(timeoutMs = 30_000): Promise<number> {
    const fd = openSync(this.log, 'a');
    const args = [
      '--host', `unix://${this.socket}`,
      '--data-root', join(this.paths.dir, 'data'),
      '--exec-root', join(this.paths.dir, 'exec'),
      '--bridge', 'none',
      '--log-level', 'warn',
      ...(this.paths.extraArgs ?? []),
    ];
    const started = nowMs();
    // A .js bin runs as an executable (its shebang carries the daemon's node flags); a plain
    // module path (PATCHBAY_BENCH_DAEMON) runs under this node.
    const direct = this.paths.entry.includes('/bin/');
    const [cmd, ...argv] = [...(this.paths.prefix ?? []), ...(direct ? [this.paths.entry] : [process.execPath, this.paths.entry]), ...args];
    const child = spawn(cmd!, argv, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    live.add(child);
    let exited: string | undefined;
    child.once('exit', (code, signal) => {
      exited = `exited (${signal ?? code})`;
      live.delete(child);
    });
    while (nowMs() - started < timeoutMs) {
      if (exited) throw new Error(`daemon ${exited} before it was ready: ${this.logTail()}`);
      const status = await this.client.send('GET', '/v1/health').then((r) => r.status, () => 0);
      if (status === 200) return nowMs() - started;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`daemon not ready after ${timeoutMs} ms: ${this.logTail()}`);
  }

  /** SIGKILL, as a crash: the daemon gets no chance to clean up. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.client.dropConnections();
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM, then wait for the process to exit (SIGKILL after the timeout). */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.client.dropConnections(); // idle keep-alive sockets must not keep the server from closing
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await gone;
    clearTimeout(timer);
  }

  /** Resident set size in MB, from /proc/PID/status (VmRSS). */
  rssMb(): number {
    if (!this.pid) throw new Error('daemon not running');
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
    if (!Number.isFinite(kb)) throw new Error('no VmRSS in /proc/PID/status');
    return kb / 1024;
  }

  /** The daemon's threads' run time and run-queue wait so far (schedstat: nanoseconds, where /proc/PID/stat counts 10 ms ticks). */
  sched(): SchedTimes {
    if (!this.pid) throw new Error('daemon not running');
    return schedTimes(this.pid);
  }

  logTail(lines = 5): string {
    try {
      return readFileSync(this.log, 'utf8').trim().split('\n').slice(-lines).join(' | ') || '(log empty)';
    } catch {
      return '(no log)';
    }
  }
}

/**
 * Waits until the daemon's background kernel work is done (the reaper's deletions, the bridge
 * ports' IPv6 turned off: its /metrics backlogs at 0), so what is timed next does not compete
 * with it. A daemon without a backlog metric counts as done. Returns the backlogs it found and
 * how long the wait took.
 */
export async function backgroundSettled(client: UnixHttpClient, timeoutMs = 300_000): Promise<{ backlogs: number[]; ms: number }> {
  const started = nowMs();
  const backlogs = async () => {
    const text = (await client.send('GET', '/metrics')).body;
    return ['patchbay_reaper_backlog', 'patchbay_link_quieter_backlog'].map((name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? 0));
  };
  let first: number[] | undefined;
  for (;;) {
    const now = await backlogs();
    first ??= now;
    if (now.every((n) => n === 0)) break;
    if (nowMs() - started > timeoutMs) throw new Error(`the daemon's background work did not settle in ${timeoutMs} ms (reaper, link quieter backlogs: ${now.join(', ')})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { backlogs: first, ms: nowMs() - started };
}
