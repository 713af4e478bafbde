/**
 * DNS bench: queries per second and median latency of patchbay's resolver against podman's
 * aardvark-dns, answering the same 100 local names and forwarding other names to the same fake
 * upstream. Run it as root with
 *   node --import tsx --conditions=development test/bench/dns.ts [--quick] [--concurrency N]
 * It re-runs itself inside `unshare --net --mount`: everything listens on loopback addresses of
 * that namespace, and /etc/resolv.conf (aardvark reads it, fixed path) is a bind mount there only.
 * Each server runs in its own process, the load generator in this one. `npm run bench` runs
 * measureDns for its DNS rows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createDnsService } from '../../daemon/src/dns/index.js';
import { silentLog, startFakeUpstream } from '../../daemon/test/helpers/dns.js';
import { runLoad, waitForAnswer, type LoadResult } from './dns-load.js';
import { run, runOk } from './proc.js';
import { markdownTable } from './report.js';
import { summarize } from './stats.js';

const AARDVARK = '/usr/lib/podman/aardvark-dns';
const UPSTREAM = '127.54.0.53';
const PATCHBAY = '127.54.0.1';
const AARDVARK_ADDR = '127.54.0.2';
const NAMES = 100;
const localNames = Array.from({ length: NAMES }, (_, i) => `web${i}`);
const forwardedNames = Array.from({ length: NAMES }, (_, i) => `h${i}.example.test`);
const addressOf = (i: number) => `10.99.${i >> 8}.${(i & 255) + 1}`;
const self = new URL(import.meta.url).pathname;
const nodeArgs = ['--import', 'tsx', '--conditions=development', self];
const log = (msg: string) => void process.stderr.write(`dns bench: ${msg}\n`);

/** Child roles: the fake upstream, or patchbay's DNS service; each prints `ready` when serving. */
async function role(name: string): Promise<void> {
  if (name === 'upstream') {
    await startFakeUpstream(UPSTREAM, Object.fromEntries(forwardedNames.map((n, i) => [n, addressOf(i)])), { port: 53 });
  } else {
    const dns = createDnsService({ log: silentLog, resolvConfPath: '/etc/resolv.conf', enabled: true, rateLimit: { perSecond: 1e9, burst: 1e9 } });
    await dns.addNetwork({ id: 'bench', name: 'bench', gateway4: PATCHBAY, internal: false });
    localNames.forEach((n, i) => dns.upsertEndpoint('bench', { endpointId: `e${i}`, names: [n], ipv4: addressOf(i) }));
  }
  process.on('SIGTERM', () => process.exit(0));
  process.stdout.write('ready\n');
}

function startRole(name: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...(process.env.PB_DNS_BENCH_PROF && name === 'patchbay' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PB_DNS_BENCH_PROF}`] : []), ...nodeArgs, '--role', name], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).once('line', (line) => (line === 'ready' ? resolve(child) : reject(new Error(line))));
  });
}

/** aardvark-dns daemonises itself; its pid is in the config directory. */
async function startAardvark(dir: string): Promise<number> {
  const lines = [AARDVARK_ADDR, ...localNames.map((n, i) => `${i.toString(16).padStart(12, '0')} ${addressOf(i)}  ${n}`)];
  await writeFile(join(dir, 'bench'), `${lines.join('\n')}\n`);
  await runOk(AARDVARK, ['--config', dir, '-p', '53', 'run']);
  return Number((await readFile(join(dir, 'aardvark.pid'), 'utf8')).trim());
}

export interface DnsCell {
  server: 'patchbay' | 'aardvark-dns';
  kind: 'local' | 'forwarded';
  runs: LoadResult[];
}

export interface DnsBenchOptions {
  durationMs: number;
  rounds: number;
  /** queries in flight at once */
  concurrency: number;
}

export const dnsBenchOptions = (quick: boolean, concurrency = 16): DnsBenchOptions => ({ durationMs: quick ? 500 : 1500, rounds: quick ? 2 : 5, concurrency });

/** Per cell: the median of the rounds' rates, latencies over every answered query. */
export function dnsCellSummary({ runs }: DnsCell) {
  const rates = summarize(runs.map((r) => r.answered / r.seconds));
  const latencies = runs.flatMap((r) => r.latenciesMs);
  const sum = (k: 'lost' | 'wrong') => runs.reduce((n, r) => n + r[k], 0);
  return { rates, latency: latencies.length > 0 ? summarize(latencies) : undefined, lost: sum('lost'), wrong: sum('wrong') };
}

function table(cells: DnsCell[], concurrency: number): string {
  const body = cells.map((cell) => {
    const { rates, latency: s, lost, wrong } = dnsCellSummary(cell);
    return [cell.server, cell.kind, Math.round(rates.median).toString(), `${Math.round(rates.min)}–${Math.round(rates.max)}`, s ? s.median.toFixed(3) : 'n/a', s ? s.p90.toFixed(3) : 'n/a', String(lost), String(wrong)];
  });
  return markdownTable([`server (${concurrency} in flight)`, 'names', 'queries/s', 'range', 'median ms', 'p90 ms', 'lost', 'wrong'], body);
}

/**
 * Both servers answering the same names, measured in rounds. Must run as root in a network and
 * mount namespace of its own (the CLI below makes one; `npm run bench` already runs in one).
 */
export async function measureDns({ durationMs, rounds, concurrency }: DnsBenchOptions): Promise<DnsCell[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-dns-bench-'));
  const children: ChildProcess[] = [];
  let aardvarkPid: number | undefined;
  try {
    await writeFile(join(dir, 'resolv.conf'), `nameserver ${UPSTREAM}\n`);
    await runOk('mount', ['--bind', join(dir, 'resolv.conf'), '/etc/resolv.conf']);
    await runOk('ip', ['addr', 'add', `${UPSTREAM}/32`, 'dev', 'lo']);
    children.push(await startRole('upstream'));
    children.push(await startRole('patchbay'));
    const sides: { server: DnsCell['server']; address: string }[] = [{ server: 'patchbay', address: PATCHBAY }];
    try {
      await runOk('mkdir', ['-p', join(dir, 'aardvark')]);
      aardvarkPid = await startAardvark(join(dir, 'aardvark'));
      sides.push({ server: 'aardvark-dns', address: AARDVARK_ADDR });
    } catch (e) {
      log(`aardvark-dns not available (${(e as Error).message}); patchbay only`);
    }
    const cells: DnsCell[] = sides.flatMap((side) => (['local', 'forwarded'] as const).map((kind) => ({ server: side.server, kind, runs: [] })));
    for (const side of sides) {
      await waitForAnswer(side.address, 53, localNames[0]!);
      await waitForAnswer(side.address, 53, forwardedNames[0]!);
    }
    // rounds with the starting side rotated, so a busy moment of the machine hits every side alike
    for (let round = 0; round < rounds; round++) {
      log(`round ${round + 1}/${rounds}`);
      for (let k = 0; k < cells.length; k++) {
        const cell = cells[(k + round) % cells.length]!;
        const side = sides.find((x) => x.server === cell.server)!;
        const names = cell.kind === 'local' ? localNames : forwardedNames;
        cell.runs.push(await runLoad({ address: side.address, port: 53, names, warmupMs: 200, durationMs, concurrency }));
      }
    }
    return cells;
  } finally {
    if (aardvarkPid !== undefined) process.kill(aardvarkPid, 'SIGTERM');
    for (const c of children) c.kill('SIGTERM');
    await run('ip', ['addr', 'del', `${UPSTREAM}/32`, 'dev', 'lo']);
    await run('umount', ['/etc/resolv.conf']);
    await rm(dir, { recursive: true, force: true });
  }
}

async function bench(args: string[]): Promise<void> {
  const at = args.indexOf('--concurrency');
  const options = dnsBenchOptions(args.includes('--quick'), at >= 0 ? Number(args[at + 1]) : 16);
  const cells = await measureDns(options);
  console.log(table(cells, options.concurrency));
  console.log(`\n${options.rounds} rounds of ${options.durationMs} ms per cell, ${NAMES} names cycled; queries/s is the median round (range: slowest–fastest round); latencies over all answered queries. patchbay runs with its per-client rate limit lifted (default 1000/s, burst 2000).`);
}

const args = process.argv.slice(2);
const roleAt = args.indexOf('--role');
// run as a program (the CLI, or a role child); `npm run bench` imports this file for measureDns
const isEntry = process.argv[1] !== undefined && new URL(`file://${process.argv[1]}`).pathname === self;
if (isEntry && roleAt >= 0) {
  await role(args[roleAt + 1]!);
} else if (isEntry && process.env.PB_DNS_BENCH_NS !== '1') {
  if (process.getuid?.() !== 0) throw new Error('the DNS bench needs root (it makes its own network and mount namespace)');
  const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', 'ip link set lo up; exec "$@"', 'sh', process.execPath, ...nodeArgs, ...args], {
    stdio: 'inherit',
    env: { ...process.env, PB_DNS_BENCH_NS: '1' },
  });
  child.on('exit', (code) => process.exit(code ?? 1));
} else if (isEntry) {
  await bench(args);
}
