import { familyOf } from '@patchbay/ip';
import type { Controller } from '../controller/index.js';
import { cniError } from './errors.js';
import { parseCniIpam, poolRequestOf } from './ipam-config.js';
import { networkNameOf } from './network.js';
import type { CniCall } from './request.js';

/**
 * STATUS: can the daemon take an ADD for this configuration? Code 50 when not: the network is
 * being changed, its pool has no free address, or it does not exist and cannot be made as configured.
 */
export async function cniStatus(controller: Controller, call: CniCall): Promise<void> {
  const name = networkNameOf(call.config);
  const ipam = parseCniIpam(call.config.ipam);
  const { store, ipam: ipamService } = controller.core;
  const net = store.networkByName(name);
  if (!net) {
    const pool = ipam ? poolRequestOf(ipam) : undefined;
    try {
      await ipamService.planPools(name, pool ? [pool] : [], { enableIPv6: pool?.subnet !== undefined && familyOf(pool.subnet) === 6 });
    } catch (err) {
      throw cniError('PB_ERR_CNI_NOT_READY', `network ${name} does not exist and cannot be created: ${(err as Error).message}`);
    }
    return;
  }
  if (net.state !== 'ready') throw cniError('PB_ERR_CNI_NOT_READY', `network ${name} is being ${net.state === 'creating' ? 'created' : 'removed'}`);
  for (const pool of store.poolsOf(net.id)) {
    if (ipamService.allocatorOf(pool, net.name).counts().free === 0n) {
      throw cniError('PB_ERR_CNI_NOT_READY', `network ${name} has no free address left in ${pool.subnet}`);
    }
  }
}
