/**
 * A throw-away network lab for firewall.int.test.ts: namespaces, bridges, veths, and traffic probes.
 * Runs only inside the test's own namespace (scripts/run-tests.mjs); argv arrays, no shell.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FirewallKernel } from '../src/firewall/index.js';

/** null = the test's main namespace, which plays the host. */
export type Ns = string | null;

const inNs = (ns: Ns, argv: string[]) => (ns === null ? argv : ['ip', 'netns', 'exec', ns, ...argv]);

export function run(argv: string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export const setSysctl = (key: string, value: string) => writeFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, value);

/** The three nft calls of the Kernel contract, on the real nft (packages/kernel's adapter does the same). */
export const realNft: FirewallKernel = {
  async nftApply(document) {
    run(['nft', '-f', '-'], document);
  },
  async nftListTable(family, name) {
    const r = spawnSync('nft', ['list', 'table', family, name], { encoding: 'utf8' });
    if (r.status === 0) return r.stdout;
    if (/No such file or directory/.test(r.stderr)) return undefined;
    throw new Error(`nft list table ${family} ${name}: ${r.stderr}`);
  },
  async nftDeleteTable(family, name) {
    const r = spawnSync('nft', ['delete', 'table', family, name], { encoding: 'utf8' });
    if (r.status !== 0 && !/No such file or directory/.test(r.stderr)) throw new Error(`nft delete table: ${r.stderr}`);
  },
};

export function addBridge(name: string, cidr: string): void {
  run(['ip', 'link', 'add', name, 'type', 'bridge']);
  run(['ip', 'addr', 'add', cidr, 'dev', name]);
  run(['ip', 'link', 'set', name, 'up']);
}

/** A namespace with eth0 on `bridge` (or, with no bridge, on a plain veth to the main namespace). */
export function addSandbox(
  ns: string,
  opts: { bridge?: string; hostIf: string; hostCidr?: string; cidr: string; gateway?: string; routes?: string[] },
): void {
  run(['ip', 'netns', 'add', ns]);
  run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  run(['ip', 'link', 'add', opts.hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  if (opts.bridge) run(['ip', 'link', 'set', opts.hostIf, 'master', opts.bridge]);
  if (opts.hostCidr) run(['ip', 'addr', 'add', opts.hostCidr, 'dev', opts.hostIf]);
  run(['ip', 'link', 'set', opts.hostIf, 'up']);
  run(['ip', '-n', ns, 'addr', 'add', opts.cidr, 'dev', 'eth0']);
  run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
  if (opts.gateway) run(['ip', '-n', ns, 'route', 'add', 'default', 'via', opts.gateway]);
  for (const route of opts.routes ?? []) run(['ip', '-n', ns, 'route', 'add', ...route.split(' ')]);
}

export function ping(ns: Ns, address: string): boolean {
  const argv = inNs(ns, ['ping', '-c', '1', '-W', '1', '-q', address]);
  return spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' }).status === 0;
}

const scripts = mkdtempSync(join(tmpdir(), 'pb-fw-lab-'));
const script = (name: string, text: string) => {
  const path = join(scripts, name);
  writeFileSync(path, text);
  return path;
};
// Each server answers with the peer address it sees, so a test can tell DNAT from SNAT.
const tcpServer = script('tcp-server.mjs', `
import { createServer } from 'node:net';
createServer((s) => s.end(s.remoteAddress + '\\n')).listen(Number(process.argv[2]), '0.0.0.0', () => console.log('ready'));
`);
const udpServer = script('udp-server.mjs', `
import { createSocket } from 'node:dgram';
const sock = createSocket('udp4');
sock.on('message', (_m, r) => sock.send(r.address + '\\n', r.port, r.address));
sock.bind(Number(process.argv[2]), '0.0.0.0', () => console.log('ready'));
`);
const tcpClient = script('tcp-client.mjs', `
import { connect } from 'node:net';
let data = '';
const s = connect(Number(process.argv[3]), process.argv[2]);
s.setTimeout(2000, () => process.exit(2));
s.on('data', (d) => (data += d));
s.on('end', () => { process.stdout.write(data); process.exit(0); });
s.on('error', () => process.exit(1));
`);
const udpClient = script('udp-client.mjs', `
import { createSocket } from 'node:dgram';
const sock = createSocket('udp4');
setTimeout(() => process.exit(2), 1500);
sock.on('message', (m) => { process.stdout.write(m.toString()); process.exit(0); });
sock.on('error', () => process.exit(1));
sock.send('?', Number(process.argv[3]), process.argv[2]);
`);

const servers: ChildProcess[] = [];

/** Start a server that answers every connection (tcp) or datagram (udp) with the peer's address. */
export async function serve(ns: Ns, protocol: 'tcp' | 'udp', port: number): Promise<void> {
  const argv = inNs(ns, [process.execPath, protocol === 'tcp' ? tcpServer : udpServer, String(port)]);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`${protocol} server in ${ns ?? 'main'} exited with ${code}`)));
  });
}

export function stopServers(): void {
  for (const child of servers.splice(0)) child.kill();
}

/** The peer address the server reported, or undefined when no answer came. */
export function ask(ns: Ns, protocol: 'tcp' | 'udp', host: string, port: number): string | undefined {
  const argv = inNs(ns, [process.execPath, protocol === 'tcp' ? tcpClient : udpClient, host, String(port)]);
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
