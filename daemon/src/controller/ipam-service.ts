import { readFileSync } from 'node:fs';
import { PatchbayError } from '@patchbay/errors';
import {
  choosePool,
  createAllocator,
  defaultLocalPools,
  assertNoPoolOverlap,
  validatePoolConfig,
  type AddressAllocator,
  type NormalizedPool,
  type PoolDef,
} from '@patchbay/ipam';
import type { Kernel } from '@patchbay/kernel';
import type { PoolRecord, Store } from '../store/index.js';

export interface PoolRequest {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  auxAddresses?: Record<string, string>;
}

const SERIAL_OPTION = 'com.docker.network.ipam.serial';

/** A validated pool, and whether its subnet came from the request. */
export type PlannedPool = NormalizedPool & { userConfigured: boolean };

function nameservers(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8')
      .split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((s): s is string => s !== undefined);
  } catch {
    return [];
  }
}

/**
 * The daemon's IPAM: pure allocators (from @patchbay/ipam) kept in memory per pool, rebuilt from
 * the allocation rows of the store; every allocation is also a row with a unique (pool, address).
 */
export function createIpamService(store: Store, kernel: Kernel, defaultPools: PoolDef[]) {
  const allocators = new Map<number, AddressAllocator>();
  const pools = defaultPools.length > 0 ? defaultPools : defaultLocalPools();

  function allocatorOf(pool: PoolRecord, networkName: string): AddressAllocator {
    let a = allocators.get(pool.id);
    if (!a) {
      const normalized: NormalizedPool = {
        family: pool.family,
        subnet: pool.subnet,
        ...(pool.ipRange ? { ipRange: pool.ipRange } : {}),
        ...(pool.gateway ? { gateway: pool.gateway } : {}),
        auxAddresses: pool.aux,
      };
      a = createAllocator(normalized, { serial: pool.serial, networkLabel: networkName });
      for (const row of store.allocationsOf(pool.id)) a.reserve(row.address);
      if (pool.cursor) a.setCursor(pool.cursor);
      allocators.set(pool.id, a);
    }
    return a;
  }

  /** Validate the requested pools and fill in what is missing (subnet from the defaults, gateway). */
  async function planPools(
    networkName: string,
    requests: PoolRequest[],
    opts: { enableIPv6: boolean; internal?: boolean },
  ): Promise<PlannedPool[]> {
    const existing = store.pools().map((p) => ({ subnet: p.subnet, networkName: store.networkById(p.networkId)?.name ?? p.networkId }));
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
      assertNoPoolOverlap(pool.subnet, [...existing, ...out.map((p) => ({ subnet: p.subnet, networkName }))]);
      out.push(pool);
    }
    if (out.filter((p) => p.family === 4).length > 1) {
      throw new PatchbayError('PB_ERR_INVALID_SUBNET', "bridge driver doesn't support multiple subnets");
    }
    if (!out.some((p) => p.family === 4)) {
      const hostRoutes = (await kernel.routes(null)).filter((r) => r.family === 4 && r.dst !== 'default' && r.scope === 'link');
      const subnet = choosePool({
        pools,
        inUse: existing.map((e) => e.subnet),
        hostRoutes: hostRoutes.map((r) => r.dst),
        nameservers: nameservers(),
        family: 4,
      });
      out.unshift({ ...validatePoolConfig({ subnet }, { family: 4, networkName }), userConfigured: false });
    }
    if (opts.enableIPv6 && !out.some((p) => p.family === 6)) {
      throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'enableIPv6 needs an IPv6 subnet in the IPAM config');
    }
    if (!opts.enableIPv6 && out.some((p) => p.family === 6)) {
      throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'an IPv6 subnet needs enableIPv6');
    }
    return out;
  }

  /**
   * Record the pools of a new network with their gateway and aux allocations. Synchronous: call it
   * inside the store transaction that inserts the network.
   */
  function commitPools(networkId: string, networkName: string, planned: PlannedPool[], ipamOptions: Record<string, string>) {
    const serial = ipamOptions[SERIAL_OPTION] === 'true';
    const made: PoolRecord[] = [];
    for (const p of planned) {
      const probe = createAllocator(p, { serial, networkLabel: networkName });
      const gateway = p.gateway ?? probe.allocate();
      const id = store.insertPool({
        networkId,
        family: p.family,
        subnet: p.subnet,
        ...(p.ipRange ? { ipRange: p.ipRange } : {}),
        gateway,
        aux: p.auxAddresses,
        serial,
        userConfigured: p.userConfigured,
        gatewayConfigured: p.gateway !== undefined,
      });
      store.insertAllocation({ poolId: id, address: gateway, kind: 'gateway', owner: networkName, ownerId: networkId });
      for (const [name, address] of Object.entries(p.auxAddresses)) {
        if (address !== gateway) store.insertAllocation({ poolId: id, address, kind: 'aux', owner: name, ownerId: networkId });
      }
      made.push({ id, networkId, family: p.family, subnet: p.subnet, gateway, aux: p.auxAddresses, serial, userConfigured: p.userConfigured, gatewayConfigured: p.gateway !== undefined, ...(p.ipRange ? { ipRange: p.ipRange } : {}) });
    }
    return made;
  }

  /**
   * Allocate the endpoint's addresses (requested or dynamic) and record them. Synchronous, for use
   * inside a store transaction; `undo` gives the in-memory addresses back if that transaction fails.
   */
  function allocateEndpoint(
    networkId: string,
    networkName: string,
    endpoint: { id: string; name: string },
    requested: { ipv4?: string; ipv6?: string },
  ) {
    const taken: { pool: PoolRecord; address: string; alloc: AddressAllocator }[] = [];
    const undo = () => {
      for (const t of taken) t.alloc.release(t.address);
    };
    try {
      const result: { ipv4?: string; ipv6?: string } = {};
      for (const pool of store.poolsOf(networkId)) {
        const alloc = allocatorOf(pool, networkName);
        const want = pool.family === 4 ? requested.ipv4 : requested.ipv6;
        const address = alloc.allocate(want);
        taken.push({ pool, address, alloc });
        store.insertAllocation({ poolId: pool.id, address, kind: 'endpoint', owner: endpoint.name, ownerId: endpoint.id });
        if (pool.serial) store.setPoolCursor(pool.id, alloc.getCursor());
        const cidr = `${address}/${pool.subnet.split('/')[1]}`;
        if (pool.family === 4) result.ipv4 = cidr;
        else result.ipv6 = cidr;
      }
      for (const [fam, want] of [['IPv4', requested.ipv4], ['IPv6', requested.ipv6]] as const) {
        if (want && !taken.some((t) => t.pool.family === (fam === 'IPv4' ? 4 : 6))) {
          throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `network ${networkName} has no ${fam} subnet for address ${want}`);
        }
      }
      return { ...result, undo };
    } catch (err) {
      undo();
      throw err;
    }
  }

  /** Give an endpoint's addresses back to the allocators (the rows go with the endpoint row). */
  function releaseEndpoint(networkId: string, networkName: string, addresses: (string | null)[]) {
    for (const pool of store.poolsOf(networkId)) {
      const alloc = allocatorOf(pool, networkName);
      for (const cidr of addresses) if (cidr && cidr.includes(':') === (pool.family === 6)) alloc.release(cidr.split('/')[0]!);
    }
  }

  function forgetNetwork(networkId: string) {
    for (const pool of store.poolsOf(networkId)) allocators.delete(pool.id);
  }

  return { planPools, commitPools, allocateEndpoint, releaseEndpoint, forgetNetwork, allocatorOf };
}
export type IpamService = ReturnType<typeof createIpamService>;
