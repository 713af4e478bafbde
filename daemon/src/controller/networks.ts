import type { DriverNetwork } from '@patchbay/drivers';
import { PatchbayError } from '@patchbay/errors';
import { runSteps } from '@patchbay/kernel';
import type { NetworkRecord } from '../store/index.js';
import { PREDEFINED, isUniqueViolation, type Core } from './core.js';
import { stopDnsSteps, validateDnsOption } from './dns.js';
import { driverNetwork } from './driver-objects.js';
import { createGlobalNetworks } from './global-networks.js';
import { findNetwork } from './lookup.js';
import { announceNetwork, bringUpNetwork, newNetworkFields } from './network-up.js';
import type { PoolRequest } from './ipam-service.js';
import { lazyChild } from '../lazy-logger.js';

export interface CreateNetworkInput {
  /** the caller's id (Docker's remote driver: the NetworkID dockerd chose); default a new one */
  id?: string;
  name: string;
  driver: string;
  ipamDriver: string;
  ipamConfig: PoolRequest[];
  ipamOptions: Record<string, string>;
  /** pools requested before the network (RequestPool ids) that it adopts instead of making its own */
  ipamPools?: string[];
  enableIPv6: boolean;
  internal: boolean;
  attachable: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  /** only bootstrap creates predefined networks */
  predefined?: boolean;
}

export function createNetworks(core: Core) {
  const { store, registry, ipam, locks, log } = core;
  const global = createGlobalNetworks(core);
  // each network's driver view, made once per row (the network cache gives a new row on a state change)
  const views = new WeakMap<NetworkRecord, DriverNetwork>();
  const driverNetworksOf = (driverName: string): DriverNetwork[] =>
    core.networkCache.all().flatMap(({ record, pools }) => {
      if (record.driver !== driverName) return [];
      let view = views.get(record);
      if (!view) views.set(record, (view = driverNetwork(store, record, pools)));
      return [view];
    });

  async function create(input: CreateNetworkInput): Promise<NetworkRecord> {
    if (!input.predefined && (PREDEFINED as readonly string[]).includes(input.name)) {
      throw new PatchbayError('PB_ERR_PREDEFINED', `operation is not permitted on predefined ${input.name} network `);
    }
    const driver = registry.get(input.driver);
    if (driver.singleton && !input.predefined) {
      throw new PatchbayError('PB_ERR_PREDEFINED', `only one instance of "${driver.name}" network is allowed`);
    }
    if (driver.scope === 'global') return global.create(input, driver);
    return locks.with([`net:${input.name}`], async () => {
      if (store.networkByName(input.name)) {
        throw new PatchbayError('PB_ERR_NETWORK_EXISTS', `network with name ${input.name} already exists`);
      }
      const others = driverNetworksOf(driver.name);
      const options = validateDnsOption(driver.validateOptions(input.options, { name: input.name, isDefault: input.predefined === true }, others));
      const usesIpam = driver.usesIpam && input.ipamDriver !== 'null';
      if (!usesIpam && (input.ipamConfig.some((c) => c.subnet) || (input.ipamPools?.length ?? 0) > 0)) {
        throw new PatchbayError('PB_ERR_INVALID_SUBNET', `network driver "${driver.name}" with IPAM driver "${input.ipamDriver}" takes no subnets`);
      }
      const planned = usesIpam ? await ipam.planPools(input.name, input.ipamConfig, { enableIPv6: input.enableIPv6, pools: input.ipamPools ?? [] }) : [];
      const record: NetworkRecord = {
        ...newNetworkFields(input, driver.name, options),
        predefined: input.predefined === true,
        driverState: {},
        state: 'creating',
      };
      try {
        store.insertNetwork(record);
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new PatchbayError('PB_ERR_POOL_OVERLAP', `network ${input.name} or one of its subnets already exists`, { cause: err });
        }
        throw err;
      }
      try {
        // the row (state creating) first, then its pools: recovery frees both after a crash
        await ipam.commitPools(record.id, record.name, planned, input.ipamOptions);
        await bringUpNetwork(core, driver, record, 'network.create');
      } catch (err) {
        await forget(record);
        throw err;
      }
      await announceNetwork(core, record);
      log.info({ network: record.name, id: record.id.slice(0, 12) }, 'network created');
      return record;
    });
  }

  async function forget(record: NetworkRecord) {
    await ipam.forgetNetwork(record.id);
    store.deleteNetwork(record.id);
  }

  /** `mirrorOnly`: a global network the cluster already removed (another host deleted it): only this host's copy goes. */
  async function remove(ref: string, opts: { allowPredefined?: boolean; mirrorOnly?: boolean } = {}): Promise<void> {
    const found = findNetwork(store, ref);
    if (found.predefined && !opts.allowPredefined) {
      throw new PatchbayError('PB_ERR_PREDEFINED', `${found.name} is a pre-defined network and cannot be removed`);
    }
    await locks.with([`net:${found.name}`], async () => {
      const net = store.networkById(found.id);
      if (!net) throw new PatchbayError('PB_ERR_NETWORK_NOT_FOUND', `network ${ref} not found`);
      // Checked and marked in one synchronous step, so no connect can slip in between.
      const count = store.endpointCount(net.id);
      if (count > 0) {
        throw new PatchbayError('PB_ERR_ACTIVE_ENDPOINTS', `error while removing network: network ${net.name} id ${net.id} has active endpoints`);
      }
      const driver = registry.get(net.driver);
      if (driver.scope === 'global' && !opts.mirrorOnly) await global.releaseInCluster(net);
      store.setNetworkState(net.id, 'deleting');
      const steps = driver.planDeleteNetwork?.(driverNetwork(store, net), core.driverCtx) ?? [];
      try {
        await runSteps([...stopDnsSteps(core, net), ...steps], lazyChild(log, { op: 'network.delete', network: net.name }));
      } catch (err) {
        store.setNetworkState(net.id, 'ready');
        throw err;
      }
      await forget(net);
      // its parked pairs are retired (deleted with the bridge)
      await core.parking?.release((p) => p.network === net.id);
      // the bridge (and ports retired by recent leaves) go in the background, starting now: a
      // network delete is rare, and a bridge of the same name may be wanted again soon
      if (steps.length > 0) {
        core.reaper.retired(`net:${net.id}`);
        void core.reaper.reapNow();
      }
      await core.firewallSync.sync();
      core.changes.publish({ type: 'network.removed', network: net });
      log.info({ network: net.name, id: net.id.slice(0, 12) }, 'network removed');
    });
  }

  return { create, remove, forget, adoptGlobal: global.adopt };
}
