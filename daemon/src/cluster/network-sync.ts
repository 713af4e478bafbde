import type { DriverRegistry } from '@patchbay/drivers';
import type { Logger } from 'pino';
import type { Store } from '../store/index.js';
import { watchPrefix, type EtcdClient, type Watch } from './etcd/index.js';
import { keys } from './keys.js';
import type { GlobalNetwork } from './networks.js';
import { createSerialWork } from './serial.js';

export interface NetworkSyncDeps {
  etcd: EtcdClient;
  store: Store;
  registry: DriverRegistry;
  log: Logger;
  /** mirror a network another host created */
  adopt(g: GlobalNetwork): Promise<void>;
  /** remove this host's copy of a network the cluster no longer has */
  removeMirror(id: string): Promise<void>;
}

/**
 * Keeps this host's copies of the global networks in step with the cluster store: list, then
 * watch from the next revision. A network that appears is mirrored (row, pools, bridge, vxlan);
 * one that disappears loses its copy here. Work runs one network at a time in the background.
 */
export function syncNetworks(deps: NetworkSyncDeps): Watch {
  const { etcd, store, registry, log } = deps;
  const inCluster = new Map<string, GlobalNetwork>();
  const idOf = (key: string) => key.slice(keys.networks.length);
  const localGlobal = () => store.networks().filter((n) => registry.names().includes(n.driver) && registry.get(n.driver).scope === 'global');

  const work = createSerialWork(
    async (id) => {
      const g = inCluster.get(id);
      if (g) return deps.adopt(g);
      if (!store.networkById(id)) return;
      // the list may predate a create on this host: ask the store before removing anything
      if (await etcd.get(keys.network(id))) return;
      await deps.removeMirror(id).catch((err: unknown) => {
        // removed here meanwhile (this host deleted it)
        if ((err as { code?: string }).code !== 'PB_ERR_NETWORK_NOT_FOUND') throw err;
      });
    },
    (err, id) => log.error({ err, network: id }, 'cluster: could not bring a global network in step on this host'),
  );

  const watch = watchPrefix(etcd, {
    prefix: keys.networks,
    log,
    async resync() {
      const { kvs, revision } = await etcd.range(keys.networks, { prefix: true });
      inCluster.clear();
      for (const kv of kvs) inCluster.set(idOf(kv.key), JSON.parse(kv.value) as GlobalNetwork);
      for (const id of inCluster.keys()) work.mark(id);
      for (const n of localGlobal()) if (!inCluster.has(n.id)) work.mark(n.id);
      return revision;
    },
    onEvents(events) {
      for (const e of events) {
        const id = idOf(e.kv.key);
        if (e.type === 'put') inCluster.set(id, JSON.parse(e.kv.value) as GlobalNetwork);
        else inCluster.delete(id);
        work.mark(id);
      }
    },
  });
  return {
    ...watch,
    stop() {
      watch.stop();
      work.clear();
    },
  };
}
