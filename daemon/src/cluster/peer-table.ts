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

  async function bringInStep(networkId: string) {
    const net = store.networkById(networkId);
    if (!net || net.state !== 'ready' || !registry.names().includes(net.driver) || registry.get(net.driver).scope !== 'global') return;
    const dev = overlayVxlanFor(networkId);
    const want = [...(table.get(networkId)?.values() ?? [])].filter((p) => p.host !== hostId);
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
    // removals first: a MAC that moved to another host loses its old forwarding entry
    if (del.length > 0) await kernel.ip(null, del, { ignoreMissing: true });
    if (add.length > 0) await kernel.ip(null, add);
    if (add.length + del.length > 0) log.debug({ network: net.name, added: add.length, removed: del.length }, 'cluster: peers programmed');
  }

  const work = createSerialWork(bringInStep, (err, id) => log.error({ err, network: id }, 'cluster: could not program the peers of a network'));
  const unsubscribe = deps.changes.subscribe((change) => {
    if (change.type === 'network.created') work.mark(change.network.id);
  });
  // now and then, even without events: entries someone deleted by hand come back
  const heal = setInterval(() => {
    for (const id of table.keys()) work.mark(id);
  }, 10_000);
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
      for (const id of new Set([...before, ...table.keys()])) work.mark(id);
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
