import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export function requestSocket(socketPath: string, method: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpRequest(
      { socketPath, method, path, agent: false, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: unknown = undefined;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout ${method} ${path}`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export interface TestDaemon {
  dir: string;
  socket: string;
  pid: () => number;
  args: string[];
  logs: () => string;
  req: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  start: (extraArgs?: string[]) => Promise<void>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
  /** True once the daemon process has exited, waiting up to `ms` for it. */
  exited: (ms: number) => Promise<boolean>;
  cleanup: () => Promise<void>;
}

/**
 * A patchbayd for integration tests, run from source in the test's own (already isolated)
 * namespace, with its socket, store and exec root in a temporary directory.
 */
export function createTestDaemon(args: string[] = [], opts: { dir?: string; env?: Record<string, string>; prefix?: string[] } = {}): TestDaemon {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pbd-'));
  const socket = join(dir, 'pb.sock');
  let child: ChildProcess | undefined;
  let output = '';
  const base = ['--host', `unix://${socket}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--log-level', process.env.PB_TEST_LOG ?? 'warn'];
  const d: TestDaemon = {
    dir,
    socket,
    args,
    pid: () => child?.pid ?? -1,
    logs: () => output,
    req: (method, path, body) => requestSocket(socket, method, path, body),
    async start(extraArgs = args) {
      output = '';
      // `prefix`: a command that execs the daemon elsewhere (nsenter into a namespace the test made)
      const [cmd, ...pre] = [...(opts.prefix ?? []), process.execPath];
      child = spawn(cmd!, [...pre, '--import', 'tsx', '--conditions=development', join(root, 'daemon/src/main.ts'), ...base, ...extraArgs], {
        cwd: root,
        env: { ...process.env, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (b) => (output += b));
      child.stderr!.on('data', (b) => (output += b));
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      // generous: tsx transpiles the daemon at start, which a loaded machine (CI, parallel suites) makes slow
      const deadline = Date.now() + 60_000;
      for (;;) {
        const state = await Promise.race([exited.then((c) => ({ exited: c })), new Promise<null>((r) => setTimeout(() => r(null), 100))]);
        if (state) throw new Error(`patchbayd exited with ${state.exited}:\n${output}`);
        try {
          const r = await requestSocket(socket, 'GET', '/v1/health', undefined, 2000);
          if (r.status === 200) return;
        } catch {
          /* not up yet */
        }
        if (Date.now() > deadline) throw new Error(`patchbayd did not come up:\n${output}`);
      }
    },
    async stop(signal = 'SIGTERM') {
      // a daemon already ended by a signal (a test's kill -9) sends no further 'exit'
      if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      const done = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      child.kill(signal);
      return done;
    },
    async exited(ms) {
      if (!child || child.exitCode !== null || child.signalCode !== null) return true;
      const c = child;
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        c.once('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
    async cleanup() {
      await d.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return d;
}

/** Run a command (argv array) and return its output; throws on a non-zero exit unless allowed. */
export function sh(argv: string[], opts: { allowFail?: boolean; input?: string } = {}): { code: number; out: string; err: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input: opts.input, timeout: 60_000 });
  const res = { code: r.status ?? -1, out: r.stdout ?? '', err: r.stderr ?? '' };
  if (res.code !== 0 && !opts.allowFail) throw new Error(`${argv.join(' ')} exited ${res.code}: ${res.err || res.out}`);
  return res;
}

/** Run a command inside a namespace file path (/run/netns/X or any nsfs path). */
export const inNs = (key: string, argv: string[], opts: { allowFail?: boolean } = {}) => sh(['nsenter', `--net=${key}`, '--', ...argv], opts);
