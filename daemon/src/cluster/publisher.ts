import type { DriverRegistry } from '@patchbay/drivers';
import type { Logger } from 'pino';
import type { ChangeFeed } from '../changes.js';
import type { EndpointRecord, Store } from '../store/index.js';
import { keepLease, type EtcdClient, type LeaseKeeper, type TxnOp } from './etcd/index.js';
import { keys } from './keys.js';

const TXN_OPS = 100;

/** A joined endpoint as other hosts need it: where to send its frames (VTEP) and its addresses. */
export interface PublishedPeer {
  host: string;
  vtep: string;
  mac: string;
  ipv4: string;
  name: string;
}

export interface PublisherDeps {
  etcd: EtcdClient;
  store: Store;
  registry: DriverRegistry;
  changes: ChangeFeed;
  hostId: string;
  vtep: string;
  ttlSeconds: number;
  log: Logger;
}

/**
 * Publishes this host's joined endpoints of global networks under its lease: when the host
 * dies, its lease expires and every other host drops its peers. A change is written at once; a
 * write that fails (etcd away) marks the whole set for a full sync, which also runs on every new
 * lease: it puts what is missing and deletes what this host published but no longer has (the
 * crash recovery of its part of the cluster store).
 */
export function publishEndpoints(deps: PublisherDeps) {
  const { etcd, store, registry, hostId, log } = deps;
  let dirty = true;
  let syncing = false;
  let writes: Promise<void> = Promise.resolve();
  const isGlobal = (networkId: string) => {
    const net = store.networkById(networkId);
    return net !== undefined && registry.names().includes(net.driver) && registry.get(net.driver).scope === 'global';
  };
  const peerOf = (ep: EndpointRecord): PublishedPeer | undefined =>
    ep.mac && ep.ipv4 ? { host: hostId, vtep: deps.vtep, mac: ep.mac, ipv4: ep.ipv4.split('/')[0]!, name: ep.name } : undefined;
  const desired = () => {
    const out = new Map<string, string>();
    for (const ep of store.endpoints()) {
      if (ep.state !== 'ready' || (!ep.sandboxId && !ep.hostIf) || !isGlobal(ep.networkId)) continue;
      const peer = peerOf(ep);
      if (peer) out.set(keys.endpoint(ep.networkId, ep.id), JSON.stringify(peer));
    }
    return out;
  };

  async function fullSync(lease: string) {
    const want = desired();
    const { kvs } = await etcd.range(keys.endpoints, { prefix: true });
    const mine = new Map(kvs.filter((kv) => (JSON.parse(kv.value) as PublishedPeer).host === hostId).map((kv) => [kv.key, kv]));
    const ops: TxnOp[] = [...mine.keys()].filter((key) => !want.has(key)).map((key) => ({ delete: key }));
    for (const [key, value] of want) {
      const have = mine.get(key);
      if (!have || have.value !== value || have.lease !== lease) ops.push({ put: key, value, lease });
    }
    // a restarted host re-publishes all its endpoints at once: in transactions (within etcd's
    // default limit of 128 operations), not one round trip each
    for (let i = 0; i < ops.length; i += TXN_OPS) await etcd.txn([], ops.slice(i, i + TXN_OPS));
  }

  /** Every write goes through one chain: a full sync never races a join's or a leave's write. */
  const serially = (work: () => Promise<unknown>): Promise<void> => {
    const next = writes.then(work).then(() => undefined);
    writes = next.catch(() => undefined);
    return next;
  };

  async function syncIfDirty() {
    if (!dirty || syncing) return;
    syncing = true;
    dirty = false;
    try {
      await serially(() => fullSync(keeper.id()));
    } catch (err) {
      dirty = true;
      log.debug({ err: (err as Error).message }, 'cluster: publishing endpoints failed; retrying');
    } finally {
      syncing = false;
    }
  }

  const keeper: LeaseKeeper = keepLease(etcd, {
    ttlSeconds: deps.ttlSeconds,
    log,
    onGranted: async (lease) => {
      dirty = false;
      await serially(() => fullSync(lease)).catch((err: unknown) => {
        dirty = true;
        throw err;
      });
    },
  });
  const retry = setInterval(() => void syncIfDirty(), 500);
  retry.unref();

  function write(key: string, value: string | undefined) {
    let lease: string;
    try {
      lease = keeper.id();
    } catch {
      dirty = true;
      return;
    }
    // one write after the other: a join and the leave right after it reach etcd in that order
    serially(() => (value === undefined ? etcd.delete(key) : etcd.put(key, value, { lease }))).catch(() => void (dirty = true));
  }

  const unsubscribe = deps.changes.subscribe((change) => {
    if (change.type !== 'endpoint.joined' && change.type !== 'endpoint.left') return;
    if (!isGlobal(change.network.id)) return;
    const key = keys.endpoint(change.network.id, change.endpoint.id);
    const peer = change.type === 'endpoint.joined' ? peerOf(change.endpoint) : undefined;
    write(key, peer ? JSON.stringify(peer) : undefined);
  });

  return {
    ready: keeper.ready,
    async stop() {
      unsubscribe();
      clearInterval(retry);
      // the lease stays: a restart within the TTL keeps the peers reachable without a gap
      await keeper.stop();
    },
  };
}
