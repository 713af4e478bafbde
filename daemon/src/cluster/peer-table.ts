import { overlayVxlanFor, type DriverRegistry } from '@patchbay/drivers';
import type { IpOp, Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';
import type { ChangeFeed } from '../changes.js';
import type { Store } from '../store/index.js';
import { watchPrefix, type EtcdClient, type Watch } from './etcd/index.js';
import { keys } from './keys.js';
import type { PublishedPeer } from './publisher.js';
import { createSerialWork } from './serial.js';

export interface PeerTableDeps {
  etcd: EtcdClient;
  kernel: Kernel;
  store: Store;
  registry: DriverRegistry;
  changes: ChangeFeed;
  hostId: string;
  log: Logger;
}

/**
 * Programs every remote endpoint of the global networks this host has into their vxlan device:
 * a permanent neighbour entry (its address → its MAC: the vxlan's proxy answers ARP from it, so
 * no ARP crosses the underlay) and a forwarding entry (its MAC → its host's VTEP). The table is
 * the cluster store's, followed by a watch (list, then watch; full resync after a compaction);
 * per network the kernel is compared with it and brought in step, so a restart, a lost entry or
 * a network mirrored late all converge. While etcd is away nothing is removed: traffic goes on.
 */
export function programPeers(deps: PeerTableDeps): { watch: Watch; settled(): Promise<void>; stop(): void } {
  const { etcd, kernel, store, registry, hostId, log } = deps;
  /** networkId → endpoint key → peer */
  const table = new Map<string, Map<string, PublishedPeer>>();
  const split = (key: string) => key.slice(keys.endpoints.length).split('/') as [string, string];

  /** per network, the remote peers this process last brought the kernel in step with */
  const programmed = new Map<string, PublishedPeer[]>();
  /** networks whose next pass compares with the kernel (a dump) rather than applying the change since the last pass */
  const compare = new Set<string>();
  const neighOf = (p: PublishedPeer) => `${p.ipv4}|${p.mac.toLowerCase()}`;
  const fdbOf = (p: PublishedPeer) => `${p.mac.toLowerCase()}|${p.vtep}`;

  async function bringInStep(networkId: string) {
    const net = store.networkById(networkId);
    if (!net || net.state !== 'ready' || !registry.names().includes(net.driver) || registry.get(net.driver).scope !== 'global') {
      programmed.delete(networkId);
      return;
    }
    const dev = overlayVxlanFor(networkId);
    const want = [...(table.get(networkId)?.values() ?? [])].filter((p) => p.host !== hostId);
    const had = programmed.get(networkId);
    const full = compare.delete(networkId) || had === undefined;
    // the usual pass applies only what changed since the last one: no dump of every neighbour
    // and FDB entry for each event (the periodic and post-resync passes still compare)
    const { add, del } = full ? await kernelDiff(dev, want) : knownDiff(dev, had, want);
    programmed.delete(networkId); // unknown until the kernel took it all
    // removals first: a MAC that moved to another host loses its old forwarding entry
    if (del.length > 0) await kernel.ip(null, del, { ignoreMissing: true });
    if (add.length > 0) await kernel.ip(null, add);
    programmed.set(networkId, want);
    if (add.length + del.length > 0) log.debug({ network: net.name, added: add.length, removed: del.length, compared: full }, 'cluster: peers programmed');
  }

  async function kernelDiff(dev: string, want: PublishedPeer[]): Promise<{ add: IpOp[]; del: IpOp[] }> {
    const [neigh, fdb] = await Promise.all([kernel.neighbors(null), kernel.fdb(null)]);
    const haveNeigh = neigh.filter((n) => n.dev === dev);
    const haveFdb = fdb.filter((f) => f.dev === dev);
    const add: IpOp[] = [];
    for (const p of want) {
      const mac = p.mac.toLowerCase();
      if (!haveNeigh.some((n) => n.address === p.ipv4 && n.mac === mac)) add.push({ op: 'neigh.replace', dev, address: p.ipv4, mac });
      if (!haveFdb.some((f) => f.mac === mac && f.dst === p.vtep)) add.push({ op: 'fdb.append', dev, mac, dst: p.vtep });
    }
    const del: IpOp[] = [
      ...haveNeigh.filter((n) => !want.some((p) => p.ipv4 === n.address && p.mac.toLowerCase() === n.mac)).map((n): IpOp => ({ op: 'neigh.del', dev, address: n.address })),
      ...haveFdb.filter((f) => !want.some((p) => p.mac.toLowerCase() === f.mac && p.vtep === f.dst)).map((f): IpOp => ({ op: 'fdb.del', dev, mac: f.mac, dst: f.dst })),
    ];
    return { add, del };
  }

  function knownDiff(dev: string, had: PublishedPeer[], want: PublishedPeer[]): { add: IpOp[]; del: IpOp[] } {
    const [hadNeigh, hadFdb] = [new Set(had.map(neighOf)), new Set(had.map(fdbOf))];
    const [wantNeigh, wantFdb] = [new Set(want.map(neighOf)), new Set(want.map(fdbOf))];
    const add: IpOp[] = [];
    for (const p of want) {
      const mac = p.mac.toLowerCase();
      if (!hadNeigh.has(neighOf(p))) add.push({ op: 'neigh.replace', dev, address: p.ipv4, mac });
      if (!hadFdb.has(fdbOf(p))) add.push({ op: 'fdb.append', dev, mac, dst: p.vtep });
    }
    const del: IpOp[] = [
      // an address that stays (with another MAC) is replaced, not deleted
      ...had.filter((p) => !wantNeigh.has(neighOf(p)) && !want.some((w) => w.ipv4 === p.ipv4)).map((p): IpOp => ({ op: 'neigh.del', dev, address: p.ipv4 })),
      ...had.filter((p) => !wantFdb.has(fdbOf(p))).map((p): IpOp => ({ op: 'fdb.del', dev, mac: p.mac.toLowerCase(), dst: p.vtep })),
    ];
    return { add, del };
  }
  /** the next pass of these networks compares with the kernel */
  const markCompare = (ids: Iterable<string>) => {
    for (const id of ids) {
      compare.add(id);
      work.mark(id);
    }
  };

  const work = createSerialWork(bringInStep, (err, id) => {
    compare.add(id);
    log.error({ err, network: id }, 'cluster: could not program the peers of a network');
  });
  const unsubscribe = deps.changes.subscribe((change) => {
    if (change.type === 'network.created') markCompare([change.network.id]);
  });
  // now and then, even without events: entries someone deleted by hand come back
  const heal = setInterval(() => markCompare(table.keys()), 10_000);
  heal.unref();

  const watch = watchPrefix(etcd, {
    prefix: keys.endpoints,
    log,
    async resync() {
      const { kvs, revision } = await etcd.range(keys.endpoints, { prefix: true });
      const before = [...table.keys()];
      table.clear();
      for (const kv of kvs) {
        const [networkId] = split(kv.key);
        (table.get(networkId) ?? table.set(networkId, new Map()).get(networkId)!).set(kv.key, JSON.parse(kv.value) as PublishedPeer);
      }
      markCompare(new Set([...before, ...table.keys()]));
      return revision;
    },
    onEvents(events) {
      for (const e of events) {
        const [networkId] = split(e.kv.key);
        const peers = table.get(networkId) ?? table.set(networkId, new Map()).get(networkId)!;
        if (e.type === 'put') peers.set(e.kv.key, JSON.parse(e.kv.value) as PublishedPeer);
        else peers.delete(e.kv.key);
        work.mark(networkId);
      }
    },
  });

  return {
    watch,
    settled: () => work.settled(),
    stop() {
      unsubscribe();
      clearInterval(heal);
      watch.stop();
      work.clear();
    },
  };
}
