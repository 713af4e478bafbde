import { PatchbayError } from '@patchbay/errors';
import { familyOf, formatAddress, tryParseAddress } from '@patchbay/ip';
import { validatePoolConfig, type PoolDef } from '@patchbay/ipam';
import type { Kernel } from '@patchbay/kernel';
import { GLOBAL_ADDRESS_SPACE, LOCAL_ADDRESS_SPACE, type PoolRecord } from '../../store/index.js';
import { poolIdOf, prefixOf, type IpamContext } from './context.js';
import { chooseDefaultSubnet } from './default-subnet.js';
import { SERIAL_OPTION } from './network-pools.js';

/** RequestAddress's option that asks for the pool's gateway (libnetwork's `ipamapi.RequestAddressType`). */
export const REQUEST_ADDRESS_TYPE = 'RequestAddressType';
export const GATEWAY_ADDRESS_TYPE = 'com.docker.network.gateway';

/** How often an automatic pool is chosen again when another request claimed the same subnet first. */
const CHOOSE_ATTEMPTS = 5;

/** Docker's IpamDriver.RequestPool. */
export interface RequestPoolInput {
  /** `LocalDefault` (the default) or `GlobalDefault` */
  addressSpace?: string;
  /** the subnet; empty or absent: the next free one of the default pools (IPv4 only) */
  pool?: string;
  /** the range dynamic addresses come from, inside the pool (Docker's `--ip-range`) */
  subPool?: string;
  /** kept with the pool; `com.docker.network.ipam.serial=true` allocates serially */
  options?: Record<string, string>;
  v6?: boolean;
  /** who asks, kept as the pool's (and its addresses') owner; default `ipam` */
  requestedBy?: string;
}
export interface RequestedPool {
  poolId: string;
  /** the subnet (CIDR) */
  pool: string;
  data: Record<string, string>;
}

/** Docker's IpamDriver.RequestAddress. */
export interface RequestAddressInput {
  /** a bare address; empty or absent: the next free one */
  address?: string;
  /** `RequestAddressType: com.docker.network.gateway` asks for the pool's gateway */
  options?: Record<string, string> | null;
  /** the owner recorded with the address; default the pool's requester */
  owner?: string;
}
export interface RequestedAddress {
  /** CIDR form, as dockerd requires */
  address: string;
  data: Record<string, string>;
}

/** The pool's form of an address (`10.0.0.5`, RFC 5952 IPv6), or PB_ERR_INVALID_ADDRESS. */
function addressIn(pool: PoolRecord, text: string): string {
  const addr = tryParseAddress(text.split('/')[0]!);
  if (!addr || addr.family !== pool.family) {
    throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `invalid address "${text}": not an IPv${pool.family} address`);
  }
  return formatAddress(addr.family, addr.value);
}

/** Pools and addresses on their own, before (and without) a network: the IPAM door Docker's protocol needs. */
export function createIpamRequests(ctx: IpamContext, kernel: Kernel, defaultPools: readonly PoolDef[]) {
  const defaultAddressSpaces = () => ({ local: LOCAL_ADDRESS_SPACE, global: GLOBAL_ADDRESS_SPACE });

  async function requestPool(input: RequestPoolInput): Promise<RequestedPool> {
    const target = ctx.storeFor(input.addressSpace || LOCAL_ADDRESS_SPACE);
    const family = input.v6 ? 6 : 4;
    const requestedBy = input.requestedBy ?? 'ipam';
    const options = input.options ?? {};
    const claim = async (subnet: string, userConfigured: boolean) => {
      const pool = validatePoolConfig({ subnet, ...(input.subPool ? { ipRange: input.subPool } : {}) }, { family, networkName: requestedBy });
      const made = await target.claimPool(
        {
          addressSpace: target.addressSpace,
          networkId: null,
          requestedBy,
          family,
          subnet: pool.subnet,
          ...(pool.ipRange ? { ipRange: pool.ipRange } : {}),
          aux: {},
          serial: options[SERIAL_OPTION] === 'true',
          userConfigured,
          options,
        },
        [],
      );
      return { poolId: poolIdOf(made), pool: made.subnet, data: {} };
    };
    if (input.pool) {
      if (familyOf(input.pool) !== family) {
        throw new PatchbayError('PB_ERR_INVALID_SUBNET', `invalid pool "${input.pool}": not an IPv${family} subnet${input.v6 ? '' : ' (set V6 for IPv6)'}`);
      }
      return claim(input.pool, true);
    }
    if (input.subPool) throw new PatchbayError('PB_ERR_INVALID_SUBNET', `sub-pool ${input.subPool} needs a pool`);
    if (family === 6) throw new PatchbayError('PB_ERR_INVALID_SUBNET', 'there are no default IPv6 pools: give the pool (an IPv6 subnet)');
    for (let attempt = 1; ; attempt++) {
      const subnet = await chooseDefaultSubnet(kernel, defaultPools, (await target.pools()).map((p) => p.subnet));
      try {
        return await claim(subnet, false);
      } catch (err) {
        // another request claimed the same subnet since it was chosen
        if (!(err instanceof PatchbayError && err.code === 'PB_ERR_POOL_OVERLAP') || attempt >= CHOOSE_ATTEMPTS) throw err;
      }
    }
  }

  /** Frees the pool and its addresses; a pool a network uses goes when that network goes. */
  async function releasePool(poolId: string): Promise<void> {
    const pool = await ctx.poolById(poolId);
    const target = ctx.storeFor(pool.addressSpace);
    if (pool.networkId) {
      await target.setRequestedBy(pool.id, null);
      return;
    }
    await target.dropPool(pool.id);
    ctx.cache.forget(pool.id);
  }

  async function requestAddress(poolId: string, input: RequestAddressInput = {}): Promise<RequestedAddress> {
    const pool = await ctx.poolById(poolId);
    const gatewayAsked = input.options?.[REQUEST_ADDRESS_TYPE] === GATEWAY_ADDRESS_TYPE;
    const want = input.address ? addressIn(pool, input.address) : undefined;
    const cidr = (address: string) => ({ address: `${address}/${prefixOf(pool)}`, data: {} });
    if (gatewayAsked && pool.gateway) {
      // asked again (a replay after a restart): the same answer; another address is refused
      if (want === undefined || want === pool.gateway) return cidr(pool.gateway);
      throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `pool ${poolId} already has gateway ${pool.gateway}`);
    }
    const owner = input.owner ?? pool.requestedBy ?? 'ipam';
    const [address] = await ctx.claim([{ pool, want, row: { kind: gatewayAsked ? 'gateway' : 'address', owner } }]);
    // the pool's record changed (it has a gateway now): the next use rebuilds its allocator
    if (gatewayAsked) ctx.cache.forget(pool.id);
    return cidr(address!);
  }

  /**
   * Gives an address back; one already free is success. Endpoint and aux addresses are refused
   * (the endpoint or pool holds them); a network's gateway stays until the network goes.
   */
  async function releaseAddress(poolId: string, address: string): Promise<void> {
    const pool = await ctx.poolById(poolId);
    const normalized = addressIn(pool, address);
    const held = await ctx.storeFor(pool.addressSpace).allocation(pool.id, normalized);
    if (!held) return;
    if (held.kind === 'endpoint') {
      throw new PatchbayError('PB_ERR_FORBIDDEN', `address ${normalized} is held by endpoint ${held.owner}: remove the endpoint to free it`);
    }
    if (held.kind === 'aux') throw new PatchbayError('PB_ERR_FORBIDDEN', `address ${normalized} is auxiliary address ${held.owner} of pool ${poolId}`);
    if (held.kind === 'gateway' && pool.networkId) return;
    await ctx.release(pool, [normalized], { kinds: [held.kind] });
    if (held.kind === 'gateway') ctx.cache.forget(pool.id);
  }

  return { defaultAddressSpaces, requestPool, releasePool, requestAddress, releaseAddress };
}
