import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDaemon, sh, type TestDaemon } from './daemon.js';

const root = new URL('../..', import.meta.url).pathname;

/**
 * Simulated hosts for multi-host tests, inside the test's own namespace (the "underlay world"):
 * an underlay bridge, and per host a network and mount namespace (a private /run/netns, so one
 * host's daemon never sees another's sandboxes) holding `eth0` on the underlay, with its own
 * patchbayd exec'd into both namespaces by nsenter.
 */
export interface SimHost {
  index: number;
  address: string;
  /** the host's namespaces are this process's */
  holderPid: number;
  /** the veth end on the underlay bridge (set it down to cut the host off) */
  uplink: string;
  daemon: TestDaemon;
  /** run a command in the host's network and mount namespaces */
  run(argv: string[], opts?: { allowFail?: boolean }): ReturnType<typeof sh>;
  /** run a command inside one of the host's sandboxes (its namespace path as the daemon gave it) */
  inSandbox(key: string, argv: string[], opts?: { allowFail?: boolean }): ReturnType<typeof sh>;
  dispose(): Promise<void>;
}

export const UNDERLAY_BRIDGE = 'ul0';
export const UNDERLAY_PREFIX = '192.0.2';
export const UNDERLAY_GATEWAY = `${UNDERLAY_PREFIX}.254`;

export function createUnderlay(mtu = 1500): void {
  sh(['ip', 'link', 'add', UNDERLAY_BRIDGE, 'mtu', String(mtu), 'type', 'bridge']);
  sh(['ip', 'addr', 'add', `${UNDERLAY_GATEWAY}/24`, 'dev', UNDERLAY_BRIDGE]);
  sh(['ip', 'link', 'set', UNDERLAY_BRIDGE, 'up']);
}

async function waitForFile(path: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!existsSync(path)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`host namespace holder did not start (exit ${child.exitCode})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function createSimHost(index: number, daemonArgs: (address: string) => string[], mtu = 1500): Promise<SimHost> {
  const dir = mkdtempSync(join(tmpdir(), `pb-host${index}-`));
  const ready = join(dir, 'ready');
  // the holder keeps the host's namespaces alive while its daemon is killed and restarted
  const holder = spawn('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs tmpfs /run/netns && touch ${ready} && exec sleep infinity`], {
    stdio: 'ignore',
  });
  await waitForFile(ready, holder);
  const pid = holder.pid!;
  const address = `${UNDERLAY_PREFIX}.${index}`;
  const uplink = `vh${index}`;
  const ns = ['nsenter', '-t', String(pid), '-n', '-m', '--'];
  sh(['ip', 'link', 'add', uplink, 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'mtu', String(mtu), 'netns', String(pid)]);
  sh(['ip', 'link', 'set', uplink, 'master', UNDERLAY_BRIDGE, 'up']);
  sh([...ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
  sh([...ns, 'ip', 'link', 'set', 'eth0', 'up']);
  sh([...ns, 'ip', 'link', 'set', 'lo', 'up']);
  const daemon = createTestDaemon(daemonArgs(address), { dir, prefix: ['nsenter', '-t', String(pid), '-n', '-m', `--wd=${root}`, '--'] });
  return {
    index,
    address,
    holderPid: pid,
    uplink,
    daemon,
    run: (argv, opts) => sh([...ns, ...argv], opts),
    inSandbox: (key, argv, opts) => sh([...ns, 'nsenter', `--net=${key}`, '--', ...argv], opts),
    async dispose() {
      await daemon.cleanup();
      holder.kill('SIGKILL');
      sh(['ip', 'link', 'del', uplink], { allowFail: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls probe (every 50 ms) until it gives something other than undefined/false; throws after ms. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The remote peers (neighbour entries' addresses) programmed on a host's vxlan of an overlay network, sorted. */
export const overlayPeersOn = (host: SimHost, networkId: string): string[] =>
  (JSON.parse(host.run(['ip', '-json', 'neigh', 'show', 'dev', `pbx${networkId.slice(0, 12)}`]).out || '[]') as { dst: string }[]).map((n) => n.dst).sort();

/** A sandbox on a simulated host, joined to a network: where it lives and its IPv4 address. */
export interface SimSandbox {
  host: SimHost;
  name: string;
  key: string;
  ip: string;
}

/** Create sandbox `name` on `host` and connect it to `network` (both must succeed). */
export async function connectSimSandbox(host: SimHost, name: string, network: string): Promise<SimSandbox> {
  const s = await host.daemon.req('POST', '/v1/sandboxes', { name });
  assert.equal(s.status, 201, s.text);
  const c = await host.daemon.req('POST', `/v1/networks/${network}/connect`, { sandbox: name });
  assert.equal(c.status, 201, c.text);
  return { host, name, key: s.body.key as string, ip: (c.body.ipv4Address as string).split('/')[0]! };
}
