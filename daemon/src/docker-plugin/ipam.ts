import type { PluginRequestAddressRequest, PluginRequestPoolRequest } from '@patchbay/api';
import { isPatchbayError } from '@patchbay/errors';
import { DOCKER_OWNER, SHARED_NETWORK_OPTION, type PluginContext } from './context.js';
import { pluginError } from './errors.js';

/**
 * IpamDriver.RequestPool. `--ipam-opt patchbay.network=NAME` answers with that existing network's
 * pool (of the family asked), so the Docker network shares its address space; otherwise a pool of
 * patchbay's IPAM, requested by `docker` (`--subnet`, `--ip-range` as SubPool, or the next free one).
 */
export async function requestPool(ctx: PluginContext, req: PluginRequestPoolRequest) {
  const { controller } = ctx;
  const { [SHARED_NETWORK_OPTION]: shared, ...options } = req.Options ?? {};
  if (shared !== undefined) {
    const net = controller.networks.get(shared);
    const family = req.V6 ? 6 : 4;
    const pool = controller.core.store.poolsOf(net.id).find((p) => p.family === family);
    if (!pool) throw pluginError('PB_ERR_INVALID_SUBNET', `network ${net.name} has no IPv${family} pool`);
    // without --subnet, dockerd asks again for as long as the answer overlaps a route of the host (the network's bridge has one)
    if (!req.Pool) throw pluginError('PB_ERR_INVALID_SUBNET', `${SHARED_NETWORK_OPTION}=${net.name}: give the network's subnet too (--subnet ${pool.subnet})`);
    if (req.Pool !== pool.subnet) throw pluginError('PB_ERR_INVALID_SUBNET', `network ${net.name}'s subnet is ${pool.subnet}, not ${req.Pool}`);
    if (req.SubPool) throw pluginError('PB_ERR_INVALID_SUBNET', `--ip-range cannot be given for the shared network ${net.name}`);
    return { PoolID: `${pool.addressSpace}/${pool.subnet}`, Pool: pool.subnet, Data: {} };
  }
  const made = await controller.core.ipam.requestPool({
    ...(req.AddressSpace ? { addressSpace: req.AddressSpace } : {}),
    ...(req.Pool ? { pool: req.Pool } : {}),
    ...(req.SubPool ? { subPool: req.SubPool } : {}),
    options,
    v6: req.V6 === true,
    requestedBy: DOCKER_OWNER,
  });
  return { PoolID: made.poolId, Pool: made.pool, Data: made.data };
}

/** IpamDriver.ReleasePool: a pool already gone is success (dockerd releases before it deletes the network). */
export async function releasePool(ctx: PluginContext, poolId: string): Promise<void> {
  try {
    await ctx.controller.core.ipam.releasePool(poolId);
  } catch (err) {
    if (!(isPatchbayError(err) && err.code === 'PB_ERR_POOL_NOT_FOUND')) throw err;
  }
}

/** IpamDriver.RequestAddress: the gateway, `--ip`, or the next free address, in CIDR form. */
export async function requestAddress(ctx: PluginContext, req: PluginRequestAddressRequest) {
  try {
    const got = await ctx.controller.core.ipam.requestAddress(req.PoolID, {
      ...(req.Address ? { address: req.Address } : {}),
      options: req.Options ?? null,
      owner: DOCKER_OWNER,
    });
    return { Address: got.address, Data: got.data };
  } catch (err) {
    // the allocator's words are libnetwork's ("Address already in use"): say which address and pool
    if (isPatchbayError(err) && err.code === 'PB_ERR_ADDRESS_IN_USE' && req.Address) {
      throw pluginError('PB_ERR_ADDRESS_IN_USE', `address ${req.Address} of pool ${req.PoolID} is already in use`);
    }
    throw err;
  }
}

/** IpamDriver.ReleaseAddress: one already free (its endpoint was deleted first) is success. */
export async function releaseAddress(ctx: PluginContext, poolId: string, address: string): Promise<void> {
  try {
    await ctx.controller.core.ipam.releaseAddress(poolId, address);
  } catch (err) {
    if (!(isPatchbayError(err) && err.code === 'PB_ERR_POOL_NOT_FOUND')) throw err;
  }
}
