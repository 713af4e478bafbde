import { readFileSync } from 'node:fs';
import type { ClusterFacts, DriverRegistry } from '@patchbay/drivers';
import type { Kernel } from '@patchbay/kernel';
import type { Logger } from 'pino';
import type { ChangeFeed } from '../changes.js';
import { clusterEndpoints, type DaemonConfig } from '../config.js';
import type { ClusterPort } from '../controller/global-networks.js';
import type { IpamStore, Store } from '../store/index.js';
import { createEtcdClient, type EtcdClient, type EtcdTls, type Watch } from './etcd/index.js';
import { loadHostId, resolveUnderlay } from './host.js';
import { createEtcdIpamStore } from './ipam-store-etcd.js';
import { syncNetworks } from './network-sync.js';
import { createClusterNetworks, type GlobalNetwork } from './networks.js';
import { programPeers } from './peer-table.js';
import { publishEndpoints } from './publisher.js';

export { createEtcdClient } from './etcd/index.js';
export type { GlobalNetwork } from './networks.js';

/** What the cluster needs of the running controller once it started. */
export interface ClusterController {
  registry: DriverRegistry;
  changes: ChangeFeed;
  adoptGlobal(g: GlobalNetwork): Promise<void>;
  removeMirror(id: string): Promise<void>;
}

function tlsOf(config: DaemonConfig): EtcdTls | undefined {
  if (!config.clusterStoreCacert && !config.clusterStoreCert) return undefined;
  return {
    ...(config.clusterStoreCacert ? { ca: readFileSync(config.clusterStoreCacert) } : {}),
    ...(config.clusterStoreCert ? { cert: readFileSync(config.clusterStoreCert) } : {}),
    ...(config.clusterStoreKey ? { key: readFileSync(config.clusterStoreKey) } : {}),
  };
}

/**
 * The daemon's part of a cluster (`--cluster-store`): the etcd client, this host's id and
 * underlay, the GlobalDefault IPAM store and the controller's port, made before the controller;
 * `start` follows the cluster once the controller is up (it never waits for etcd: a host that
 * starts while etcd is away serves local networks and catches up when etcd returns).
 */
export async function createCluster(config: DaemonConfig, deps: { kernel: Kernel; store: Store; log: Logger; wrapEtcd?: (c: EtcdClient) => EtcdClient }) {
  const log = deps.log.child({ component: 'cluster' });
  const tls = tlsOf(config);
  const client = createEtcdClient({ endpoints: clusterEndpoints(config.clusterStore!), ...(tls ? { tls } : {}) });
  const etcd = deps.wrapEtcd ? deps.wrapEtcd(client) : client;
  const hostId = loadHostId(config.dataRoot);
  const underlay = await resolveUnderlay(deps.kernel, config.clusterAdvertise!);
  const ipamStore: IpamStore = createEtcdIpamStore(deps.store, etcd, hostId);
  const port: ClusterPort = { hostId, networks: createClusterNetworks(etcd, hostId) };
  const facts: ClusterFacts = { localAddress: underlay.address, underlayMtu: underlay.mtu };
  log.info({ hostId, vtep: underlay.address, underlayMtu: underlay.mtu, endpoints: etcd.endpoints }, 'cluster: this host');

  let running: { watches: Watch[]; stop(): Promise<void> } | undefined;
  return {
    port,
    ipamStore,
    facts,
    hostId,
    start(controller: ClusterController) {
      const common = { etcd, store: deps.store, registry: controller.registry, log };
      const networks = syncNetworks({ ...common, adopt: controller.adoptGlobal, removeMirror: controller.removeMirror });
      const peers = programPeers({ ...common, kernel: deps.kernel, changes: controller.changes, hostId });
      const publisher = publishEndpoints({ ...common, changes: controller.changes, hostId, vtep: underlay.address, ttlSeconds: config.clusterLeaseTtl });
      running = {
        watches: [networks, peers.watch],
        async stop() {
          networks.stop();
          peers.stop();
          await publisher.stop();
        },
      };
    },
    async stop() {
      await running?.stop();
      etcd.close();
    },
  };
}
export type Cluster = Awaited<ReturnType<typeof createCluster>>;
