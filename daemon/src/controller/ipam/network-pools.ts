import { PatchbayError } from '@patchbay/errors';
import { createAllocator, overlaps, validatePoolConfig, type NormalizedPool, type PoolDef } from '@patchbay/ipam';
import type { Kernel } from '@patchbay/kernel';
import { assertSubnetFree, LOCAL_ADDRESS_SPACE, type HeldAddress, type HeldSubnet, type PoolRecord } from '../../store/index.js';
import type { IpamContext } from './context.js';
import { chooseDefaultSubnet } from './default-subnet.js';

export interface PoolRequest {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  auxAddresses?: Record<string, string>;
}

export interface PlanPoolsOptions {
  enableIPv6: boolean;
  internal?: boolean;
  /** pools requested before (RequestPool ids) that the network adopts instead of making its own */
  pools?: readonly string[];
}

export const SERIAL_OPTION = 'com.docker.network.ipam.serial';

/** A pool the network makes (validated, subnet chosen), or one it adopts. */
export type PlannedPool = (NormalizedPool & { userConfigured: boolean; adopt?: undefined }) | { adopt: PoolRecord };

const familyOfPlan = (p: PlannedPool) => (p.adopt ? p.adopt.family : p.family);

/** One IPv4 pool at most (a bridge has one IPv4 subnet); IPv6 pools exactly when IPv6 is enabled. */
function checkFamilies(planned: readonly PlannedPool[], enableIPv6: boolean) {
  if (planned.filter((p) => familyOfPlan(p) === 4).length > 1) {
    throw new PatchbayError('PB_ERR_INVALID_SUBNET', "bridge driver doesn't support multiple subnets");
  }
  if (enableIPv6 && !planned.some((p) => familyOfPlan(p) === 6)) {
    throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'enableIPv6 needs an IPv6 subnet in the IPAM config');
  }
  if (!enableIPv6 && planned.some((p) => familyOfPlan(p) === 6)) {
    throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'an IPv6 subnet needs enableIPv6');
  }
}

/** A network's pools: planned (validated) before the network exists, claimed or adopted after its row. */
export function createNetworkPools(ctx: IpamContext, kernel: Kernel, defaultPools: readonly PoolDef[]) {
  const local = () => ctx.storeFor(LOCAL_ADDRESS_SPACE);

  async function planAdoption(requests: readonly PoolRequest[], opts: PlanPoolsOptions): Promise<PlannedPool[]> {
    if (requests.some((r) => r.subnet || r.ipRange || r.gateway || Object.keys(r.auxAddresses ?? {}).length > 0)) {
      throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'a network takes either an IPAM config or requested pools, not both');
    }
    const planned: { adopt: PoolRecord }[] = [];
    for (const id of opts.pools ?? []) {
      const pool = await ctx.poolById(id);
      if (pool.addressSpace !== LOCAL_ADDRESS_SPACE) {
        throw new PatchbayError('PB_ERR_INVALID', `pool ${id} is in address space ${pool.addressSpace}; a local network takes ${LOCAL_ADDRESS_SPACE} pools`);
      }
      if (pool.networkId) throw new PatchbayError('PB_ERR_FORBIDDEN', `pool ${id} is already used by network ${ctx.labelOf(pool)}`);
      if (planned.some((p) => p.adopt.id === pool.id)) throw new PatchbayError('PB_ERR_INVALID', `pool ${id} is given twice`);
      if (!pool.gateway) {
        throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `pool ${id} has no gateway: request one (RequestAddressType com.docker.network.gateway) before a network adopts it`);
      }
      planned.push({ adopt: pool });
    }
    if (!planned.some((p) => p.adopt.family === 4)) throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'a network needs an IPv4 pool');
    checkFamilies(planned, opts.enableIPv6);
    return planned;
  }

  /** Validate the requested pools and fill in what is missing (subnet from the defaults, gateway). */
  async function planPools(networkName: string, requests: readonly PoolRequest[], opts: PlanPoolsOptions): Promise<PlannedPool[]> {
    if ((opts.pools?.length ?? 0) > 0) return planAdoption(requests, opts);
    // every address space's pools: a local network must not take a subnet a global one uses here
    const held = (await Promise.all(ctx.stores.map((s) => s.subnets()))).flat();
    // The pools with their holders only label an overlap's error: read when one is found.
    const labelled = async (): Promise<HeldSubnet[]> => {
      const names = ctx.networkNames();
      return (await Promise.all(ctx.stores.map((s) => s.pools()))).flat().map((p) => ({
        subnet: p.subnet,
        requestedBy: p.requestedBy,
        networkName: p.networkId ? ctx.labelOf(p, names) : null,
      }));
    };
    const out: PlannedPool[] = [];
    for (const req of requests) {
      if (!req.subnet) {
        if (req.ipRange || req.gateway || req.auxAddresses) {
          throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'ip-range, gateway and aux addresses need a subnet');
        }
        continue;
      }
      const family = req.subnet.includes(':') ? 6 : 4;
      const pool = { ...validatePoolConfig(req as { subnet: string }, { family, networkName }), userConfigured: true };
      const planned = out.map((p) => ({ subnet: p.adopt ? p.adopt.subnet : p.subnet, networkName }));
      const holders = held.some((subnet) => overlaps(pool.subnet, subnet)) ? await labelled() : [];
      assertSubnetFree(pool.subnet, [...holders, ...planned]);
      out.push(pool);
    }
    if (!out.some((p) => familyOfPlan(p) === 4)) {
      const subnet = await chooseDefaultSubnet(kernel, defaultPools, held);
      out.unshift({ ...validatePoolConfig({ subnet }, { family: 4, networkName }), userConfigured: false });
    }
    checkFamilies(out, opts.enableIPv6);
    return out;
  }

  /**
   * Claim the network's new pools (with their gateway and aux addresses) and adopt the requested
   * ones. Call it after the network's row is committed: the pools refer to it, and recovery frees
   * them with a network whose create was interrupted.
   */
  async function commitPools(networkId: string, networkName: string, planned: readonly PlannedPool[], ipamOptions: Record<string, string>) {
    const serial = ipamOptions[SERIAL_OPTION] === 'true';
    const adopted = planned.flatMap((p) => (p.adopt ? [p.adopt.id] : []));
    if (adopted.length > 0) {
      await local().adoptPools(adopted, networkId);
      // their allocators were built under the pool's id; messages now name the network
      for (const id of adopted) ctx.cache.forget(id);
    }
    for (const p of planned) {
      if (p.adopt) continue;
      const gateway = p.gateway ?? createAllocator(p, { serial, networkLabel: networkName }).allocate();
      const held: HeldAddress[] = [{ address: gateway, kind: 'gateway', owner: networkName, ownerId: networkId }];
      for (const [name, address] of Object.entries(p.auxAddresses)) {
        if (address !== gateway) held.push({ address, kind: 'aux', owner: name, ownerId: networkId });
      }
      const pool = { family: p.family, subnet: p.subnet, ...(p.ipRange ? { ipRange: p.ipRange } : {}), gateway, aux: p.auxAddresses };
      await local().claimPool(
        { ...pool, addressSpace: LOCAL_ADDRESS_SPACE, networkId, serial, userConfigured: p.userConfigured, gatewayConfigured: p.gateway !== undefined, options: {} },
        held,
      );
    }
  }

  /** The network is going: the pools it made are freed, requested ones stay with their requester. */
  async function forgetNetwork(networkId: string) {
    for (const s of ctx.stores) {
      const pools = (await s.pools()).filter((p) => p.networkId === networkId);
      if (pools.length === 0) continue;
      await s.releaseNetworkPools(networkId);
      for (const p of pools) ctx.cache.forget(p.id);
    }
  }

  return { planPools, commitPools, forgetNetwork };
}
