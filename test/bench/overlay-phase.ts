/**
 * The overlay rows of `npm run bench` (issue 13): simulated hosts in namespaces with their own
 * patchbayd and etcd on the same machine (test/bench/overlay-hosts.ts).
 * - attach on an overlay network against attach on a bridge network, same host, interleaved;
 * - a connect on one host until both other hosts have its neighbour and FDB entries;
 * - ten hosts with N endpoints each: a host restarts after a crash that outlived its lease, with
 *   its kernel entries gone: until the others have its peers again, until it has theirs.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import type { UnixHttpClient } from './http.js';
import { createBenchHost, createUnderlay, EntryMonitor, hasEtcd, removeUnderlay, startEtcd, stopHelpers, watchPublications, type BenchHost } from './overlay-hosts.js';
import { runOk } from './proc.js';
import { errorCell, type MetricId, type Results } from './results.js';
import { nowMs, quantile, summarize } from './stats.js';

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);
export const OVERLAY_METRICS = ['ovAttach', 'ovAttachBridge', 'ovReach', 'ovRestartPeers', 'ovRestartSelf'] as const satisfies readonly MetricId[];
/**
 * The daemon's default. A 3 s lease (the multi-host suite's) expired now and then under the load
 * of ten daemons on two cores, withdrawing a live host's peers until it re-published.
 */
const TTL_SECONDS = 15;
const TEN_HOSTS = 10;

interface Peer {
  ip: string;
  mac: string;
  vtep: string;
}

export async function overlayRows(cfg: BenchConfig, results: Results, entry: string, scratch: string): Promise<void> {
  if (!(await hasEtcd())) {
    log('overlay: skipped: etcd is not installed (Debian: etcd-server)');
    for (const m of OVERLAY_METRICS) results.set(m, 'patchbay', { kind: 'na', reason: 'etcd not installed' });
    return;
  }
  const dir = join(scratch, 'overlay');
  const hosts: BenchHost[] = [];
  let etcd: Awaited<ReturnType<typeof startEtcd>> | undefined;
  const addHosts = async (from: number, to: number) => {
    const made = await Promise.all(Array.from({ length: to - from + 1 }, (_, i) => createBenchHost(from + i, { entry, dir, etcd: etcd!.endpoint, ttlSeconds: TTL_SECONDS })));
    hosts.push(...made);
  };
  try {
    await createUnderlay();
    etcd = await startEtcd(dir);
    await addHosts(1, 3);
    log(`overlay: attach, overlay against bridge on one host: ${cfg.warmup}+${cfg.iterations} rounds`);
    await attachRounds(hosts[1]!, cfg, results);
    const reachCount = cfg.mode === 'quick' ? 20 : 100;
    log(`overlay: connect → reachable from the other hosts: ${cfg.warmup}+${reachCount}`);
    await reachRows(hosts.slice(0, 3), etcd.endpoint, cfg.warmup, reachCount, results);
    const perHost = cfg.mode === 'quick' ? 20 : 100;
    log(`overlay: ${TEN_HOSTS} hosts × ${perHost} endpoints, ${cfg.restarts} restart(s)`);
    await addHosts(4, TEN_HOSTS);
    await restartRows(hosts, perHost, cfg.restarts, results);
  } catch (err) {
    log(`overlay: ${err instanceof Error ? err.message : String(err)}`);
    for (const m of OVERLAY_METRICS) results.setIfAbsent(m, 'patchbay', errorCell(err));
  } finally {
    await Promise.all(hosts.map((h) => h.daemon.kill()));
    await etcd?.stop();
    stopHelpers();
    await removeUnderlay();
    if (results.errors().length === 0) await rm(dir, { recursive: true, force: true });
  }
}

async function createOverlay(hosts: readonly BenchHost[], name: string, subnet: string): Promise<string> {
  const net = await hosts[0]!.daemon.client.call<{ id: string }>('POST', '/v1/networks', { name, driver: 'overlay', ipam: { config: [{ subnet }] } });
  // every host mirrors it from its watch before anything connects there
  for (const h of hosts) await until(`${name} on host ${h.index}`, async () => (await h.daemon.client.send('GET', `/v1/networks/${net.id}`)).status === 200, 30_000);
  return net.id;
}

async function until(what: string, probe: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = nowMs() + ms;
  while (!(await probe())) {
    if (nowMs() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A sandbox of its own on the host, connected to the network; returns the connect's start and end and the peer it made. */
async function connectNew(client: UnixHttpClient, name: string, networkId: string, vtep: string): Promise<{ sent: number; answered: number; peer: Peer }> {
  await client.call('POST', '/v1/sandboxes', { name });
  const sent = nowMs();
  const ep = await client.call<{ ipv4Address: string; macAddress: string }>('POST', `/v1/networks/${networkId}/connect`, { sandbox: name });
  return { sent, answered: nowMs(), peer: { ip: ep.ipv4Address.split('/')[0]!, mac: ep.macAddress, vtep } };
}

async function attachRounds(host: BenchHost, cfg: BenchConfig, results: Results): Promise<void> {
  const client = host.daemon.client;
  const sides: { metric: MetricId; id: string; samples: number[] }[] = [
    { metric: 'ovAttach', id: await createOverlay([host], 'bench-ov', '10.60.0.0/16'), samples: [] },
    { metric: 'ovAttachBridge', id: (await client.call<{ id: string }>('POST', '/v1/networks', { name: 'bench-ovbr', ipam: { config: [{ subnet: '10.61.0.0/16' }] } })).id, samples: [] },
  ];
  for (let round = 0; round < cfg.warmup + cfg.iterations; round++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(k + round) % sides.length]!;
      const name = `${side.metric}-${round}`;
      const c = await connectNew(client, name, side.id, host.address);
      if (round >= cfg.warmup) side.samples.push(c.answered - c.sent);
      await client.call('DELETE', `/v1/sandboxes/${name}`);
    }
  }
  for (const side of sides) results.set(side.metric, 'patchbay', { kind: 'samples', summary: summarize(side.samples) });
}

/**
 * Connects in turn on each of the hosts; for each, the time from sending the connect until both
 * other hosts' kernels hold its neighbour and FDB entries. Sandboxes stay until the end, so an
 * address (and the MAC made from it) is never reused within the run.
 */
async function reachRows(hosts: readonly BenchHost[], etcd: string, warmup: number, timed: number, results: Results): Promise<void> {
  const id = await createOverlay(hosts, 'bench-reach', '10.63.0.0/16');
  const publications = watchPublications(etcd);
  const fromSent: number[] = [];
  const fromAnswer: number[] = [];
  const untilEtcd: number[] = [];
  const fromEtcd: number[] = [];
  const made: { host: BenchHost; name: string }[] = [];
  for (let i = 0; i < warmup + timed; i++) {
    const host = hosts[i % hosts.length]!;
    const name = `reach-${i}`;
    const c = await connectNew(host.daemon.client, name, id, host.address);
    made.push({ host, name });
    const keys = EntryMonitor.keysOf(c.peer);
    const at = Math.max(...(await Promise.all(hosts.filter((h) => h !== host).map((h) => h.monitor.allPresent(keys, 30_000)))));
    if (i >= warmup) {
      fromSent.push(at - c.sent);
      fromAnswer.push(at - c.answered);
      const inEtcd = publications.seenAt(c.peer.ip);
      if (inEtcd !== undefined) {
        untilEtcd.push(inEtcd - c.sent);
        fromEtcd.push(at - inEtcd);
      }
    }
  }
  publications.stop();
  const sorted = [...fromSent].sort((a, b) => a - b);
  results.set('ovReach', 'patchbay', { kind: 'samples', summary: summarize(fromSent), p99: quantile(sorted, 0.99) });
  const fmt = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? 'n/a' : `median ${quantile(s, 0.5).toFixed(1)} ms, p99 ${quantile(s, 0.99).toFixed(1)} ms, max ${s.at(-1)!.toFixed(1)} ms`;
  };
  log(`overlay: reach from the connect's request: ${fmt(fromSent)}; from its answer: ${fmt(fromAnswer)}`);
  log(`overlay: … split: request → the put seen by an etcd watcher: ${fmt(untilEtcd)}; that event → entries on the other hosts: ${fmt(fromEtcd)}`);
  for (const m of made) await m.host.daemon.client.call('DELETE', `/v1/sandboxes/${m.name}`);
}

/** Runs fn over items with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const keysOfAll = (peers: readonly Peer[]) => peers.flatMap((p) => EntryMonitor.keysOf(p));

async function restartRows(hosts: readonly BenchHost[], perHost: number, restarts: number, results: Results): Promise<void> {
  const id = await createOverlay(hosts, 'bench-ten', '10.64.0.0/16');
  const peersOf = new Map<BenchHost, Peer[]>(hosts.map((h) => [h, []]));
  const t0 = nowMs();
  await Promise.all(
    hosts.map((h) =>
      // one connect at a time per host (ten in flight): with more, the hosts' address claims
      // (each from the lowest free address) collided so often that etcd stopped answering in time
      pool(Array.from({ length: perHost }, (_, i) => `ten-${i}`), 1, async (name) => {
        peersOf.get(h)!.push((await connectNew(h.daemon.client, name, id, h.address)).peer);
      }),
    ),
  );
  const remoteOf = (h: BenchHost) => keysOfAll(hosts.filter((x) => x !== h).flatMap((x) => peersOf.get(x)!));
  await Promise.all(hosts.map((h) => h.monitor.allPresent(remoteOf(h), 300_000)));
  log(`overlay: ${hosts.length * perHost} connects on ${hosts.length} hosts, every host programmed: ${((nowMs() - t0) / 1000).toFixed(1)} s`);

  const peersBack: number[] = [];
  const selfBack: number[] = [];
  for (let r = 0; r < restarts; r++) {
    const host = hosts[(1 + 3 * r) % hosts.length]!;
    const others = hosts.filter((h) => h !== host);
    const mine = keysOfAll(peersOf.get(host)!);
    await host.daemon.kill();
    // its lease expires: the others withdraw its peers
    await Promise.all(others.map((h) => h.monitor.allAbsent(mine, (TTL_SECONDS + 10) * 1000)));
    // as a reboot would, the host loses what its kernel held for the others
    await flushPeers(host, id);
    await host.monitor.allAbsent(remoteOf(host), 10_000);
    const started = nowMs();
    const ready = await host.daemon.start(120_000);
    const [peersAt, selfAt] = await Promise.all([
      Promise.all(others.map((h) => h.monitor.allPresent(mine, 120_000))).then((xs) => Math.max(...xs)),
      host.monitor.allPresent(remoteOf(host), 120_000),
    ]);
    peersBack.push(peersAt - started);
    selfBack.push(selfAt - started);
    log(`overlay: host ${host.index} restarted (ready after ${ready.toFixed(0)} ms): its peers back everywhere after ${(peersAt - started).toFixed(0)} ms, it has all others' after ${(selfAt - started).toFixed(0)} ms`);
  }
  results.set('ovRestartPeers', 'patchbay', { kind: 'samples', summary: summarize(peersBack) });
  results.set('ovRestartSelf', 'patchbay', { kind: 'samples', summary: summarize(selfBack) });
}

/** Deletes every neighbour and FDB entry on the host's vxlan of the network. */
async function flushPeers(host: BenchHost, networkId: string): Promise<void> {
  const dev = `pbx${networkId.slice(0, 12)}`;
  const [cmd, ...ns] = host.ns([]);
  const neigh = JSON.parse((await runOk(cmd!, [...ns, 'ip', '-json', 'neigh', 'show', 'dev', dev])).stdout || '[]') as { dst: string }[];
  const fdb = JSON.parse((await runOk(cmd!, [...ns, 'bridge', '-json', 'fdb', 'show', 'dev', dev])).stdout || '[]') as { mac: string; dst?: string }[];
  if (neigh.length > 0) await runOk(cmd!, [...ns, 'ip', '-batch', '-'], { stdin: neigh.map((n) => `neigh del ${n.dst} dev ${dev}`).join('\n') + '\n' });
  const lines = fdb.filter((f) => f.dst).map((f) => `fdb del ${f.mac} dev ${dev} dst ${f.dst} self`);
  if (lines.length > 0) await runOk(cmd!, [...ns, 'bridge', '-batch', '-'], { stdin: lines.join('\n') + '\n' });
}
