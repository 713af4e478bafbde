import type { NetworkDriver } from '@patchbay/drivers';
import { PatchbayError } from '@patchbay/errors';
import type { ClusterNetworks, GlobalNetwork } from '../cluster/networks.js';
import { GLOBAL_ADDRESS_SPACE, type NetworkRecord } from '../store/index.js';
import { isUniqueViolation, type Core } from './core.js';
import { validateDnsOption } from './dns.js';
import { announceNetwork, bringUpNetwork, newNetworkFields } from './network-up.js';
import type { CreateNetworkInput } from './networks.js';

/** What the controller needs of the cluster: global networks claimed and released in its store. */
export interface ClusterPort {
  hostId: string;
  networks: ClusterNetworks;
}

export function clusterOf(core: Core): ClusterPort {
  if (!core.cluster) throw new PatchbayError('PB_ERR_NO_CLUSTER', 'global-scope networks need a cluster: start patchbayd with --cluster-store and --cluster-advertise');
  return core.cluster;
}

/**
 * Global-scope networks (overlay). The cluster store holds each network's record, VNI and pools;
 * every host keeps a mirror of it in SQLite (same id, its pools in the GlobalDefault address
 * space) with its own kernel objects, so endpoints, joins, recovery and reconcile work as for
 * local networks.
 */
export function createGlobalNetworks(core: Core) {
  const { store, registry, locks, log } = core;

  /**
   * Mirror a network the cluster holds: its row and pools here, its kernel objects on this host,
   * committed (or nothing). Call under its name's lock; announce it after.
   */
  async function mirrorLocked(g: GlobalNetwork): Promise<NetworkRecord> {
    const driver = registry.get(g.network.driver);
    const record: NetworkRecord = { ...g.network, predefined: false, driverState: {}, state: 'creating' };
    try {
      store.insertNetwork(record);
    } catch (err) {
      if (isUniqueViolation(err)) throw new PatchbayError('PB_ERR_NETWORK_EXISTS', `network with name ${record.name} already exists on this host`, { cause: err });
      throw err;
    }
    try {
      for (const p of g.pools) {
        store.insertPool({
          addressSpace: GLOBAL_ADDRESS_SPACE,
          networkId: record.id,
          family: p.family,
          subnet: p.subnet,
          ...(p.ipRange ? { ipRange: p.ipRange } : {}),
          gateway: p.gateway,
          aux: p.aux,
          serial: false,
          userConfigured: p.userConfigured,
          gatewayConfigured: p.gatewayConfigured,
        });
      }
      await bringUpNetwork(core, driver, record, 'network.mirror');
    } catch (err) {
      // the pool rows go with the network's row (foreign key)
      store.deleteNetwork(record.id);
      throw err;
    }
    log.info({ network: record.name, id: record.id.slice(0, 12), vni: g.vni }, 'global network ready on this host');
    return record;
  }

  /** Create: claim name, VNI and pools in the cluster (one transaction), then mirror here; a failed mirror gives the claim back. */
  async function create(input: CreateNetworkInput, driver: NetworkDriver): Promise<NetworkRecord> {
    const cluster = clusterOf(core);
    if (input.enableIPv6) throw new PatchbayError('PB_ERR_INVALID_SUBNET', `${driver.name} networks are IPv4 only`);
    if (input.ipamDriver !== 'default') throw new PatchbayError('PB_ERR_INVALID', `${driver.name} networks use the default IPAM driver, not ${input.ipamDriver}`);
    if ((input.ipamPools?.length ?? 0) > 0) throw new PatchbayError('PB_ERR_INVALID', `${driver.name} networks make their own pools`);
    return locks.with([`net:${input.name}`], async () => {
      if (store.networkByName(input.name)) throw new PatchbayError('PB_ERR_NETWORK_EXISTS', `network with name ${input.name} already exists`);
      const options = validateDnsOption(driver.validateOptions(input.options, { name: input.name, isDefault: false }, []));
      const network: GlobalNetwork['network'] = newNetworkFields(input, driver.name, options);
      // a claim etcd did not answer is given back by the cluster's networks when etcd answers
      const claimed = await cluster.networks.claim(network, input.ipamConfig);
      let record: NetworkRecord;
      try {
        record = await mirrorLocked(claimed);
      } catch (err) {
        await cluster.networks.release(claimed, { force: true }).catch((e: unknown) => log.error({ err: e, network: input.name }, 'cluster: could not give back the claim of a failed create'));
        throw err;
      }
      // committed here and in the cluster: a firewall failure now is reconcile's to repair, as for a bridge network
      await announceNetwork(core, record);
      return record;
    });
  }

  /** A network another host created (seen by the cluster watch): mirror it unless it is here already. */
  async function adopt(g: GlobalNetwork): Promise<void> {
    await locks.with([`net:${g.network.name}`], async () => {
      if (store.networkById(g.network.id)) return;
      const cluster = clusterOf(core);
      // the claim of a create that failed here without etcd's answer, committed after all
      if (cluster.networks.isAbandoned(g.network.id)) return cluster.networks.giveBack(g.network.id);
      // the watch's news may be old: a create that failed here gave its claim back meanwhile
      if (!(await cluster.networks.get(g.network.id))) return;
      await announceNetwork(core, await mirrorLocked(g));
    });
  }

  /** Before a global network's local teardown: remove it from the cluster (refused while any host has an endpoint in it). */
  async function releaseInCluster(net: NetworkRecord): Promise<void> {
    const cluster = clusterOf(core);
    const g = await cluster.networks.get(net.id);
    if (g) await cluster.networks.release(g);
  }

  return { create, adopt, releaseInCluster };
}
export type GlobalNetworks = ReturnType<typeof createGlobalNetworks>;
