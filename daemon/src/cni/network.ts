import { NAME_RE, type CniNetConf } from '@patchbay/api';
import { isPatchbayError } from '@patchbay/errors';
import { familyOf } from '@patchbay/ip';
import type { Controller } from '../controller/index.js';
import type { PoolRequest } from '../controller/ipam-service.js';
import type { NetworkRecord } from '../store/index.js';
import { cniError } from './errors.js';
import { OUTSIDE_RANGE, parseCniIpam, poolRequestOf } from './ipam-config.js';

/** Label of the networks the CNI front door created on first use. */
export const CNI_NETWORK_LABEL = 'dev.patchbay.cni.network';

/** The patchbay network a configuration attaches to: `network`, else the CNI network name. */
export function networkNameOf(config: CniNetConf): string {
  const name = config.network ?? config.name;
  if (!NAME_RE.test(name)) {
    throw cniError(
      'PB_ERR_CNI_INVALID_CONFIG',
      `${config.network !== undefined ? 'network' : 'the CNI network name'} ${JSON.stringify(name)} is not a patchbay network name ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 characters)${config.network === undefined ? '; set "network"' : ''}`,
    );
  }
  return name;
}

/** The network's pool must be the one the configuration describes (fields the config leaves out are not compared). */
function assertSamePool(controller: Controller, net: NetworkRecord, want: PoolRequest, given: { gateway: boolean }) {
  const family = familyOf(want.subnet!);
  const pool = controller.core.store.poolsOf(net.id).find((p) => p.family === family);
  const differs: string[] = [];
  if (!pool || pool.subnet !== want.subnet) differs.push(`subnet ${pool?.subnet ?? 'none'} (config: ${want.subnet})`);
  else {
    if ((pool.ipRange ?? '') !== (want.ipRange ?? '')) differs.push(`range ${pool.ipRange ?? 'the whole subnet'} (config: ${want.ipRange ?? 'the whole subnet'})`);
    if (given.gateway && pool.gateway !== want.gateway) differs.push(`gateway ${pool.gateway} (config: ${want.gateway})`);
    const outside = (aux: Record<string, string> | undefined) => Object.entries(aux ?? {}).filter(([k]) => k.startsWith(OUTSIDE_RANGE)).map(([, v]) => v).sort().join(',');
    if (outside(pool.aux) !== outside(want.auxAddresses)) differs.push(`addresses reserved outside the range ${outside(pool.aux) || 'none'} (config: ${outside(want.auxAddresses) || 'none'})`);
  }
  if (differs.length > 0) {
    throw cniError('PB_ERR_CNI_INVALID_CONFIG', `network ${net.name} exists with a different pool: ${differs.join(', ')}`, 'PB_ERR_POOL_OVERLAP');
  }
}

function usable(controller: Controller, net: NetworkRecord): NetworkRecord {
  if (net.state !== 'ready') throw cniError('PB_ERR_CNI_TRY_AGAIN', `network ${net.name} is being ${net.state === 'creating' ? 'created' : 'removed'}; try again`);
  if (!controller.core.registry.get(net.driver).planAttach) {
    throw cniError('PB_ERR_CNI_INVALID_CONFIG', `network ${net.name} uses the ${net.driver} driver, which makes no interface; CNI attachments need a bridge network`);
  }
  return net;
}

/** The existing network of the configuration, or undefined (DEL, CHECK and GC never create one). */
export function findConfiguredNetwork(controller: Controller, config: CniNetConf): NetworkRecord | undefined {
  return controller.core.store.networkByName(networkNameOf(config));
}

/**
 * The network of an ADD: the existing one (its pool must match the config's `ipam`), or a new
 * bridge network made from `ipam` (a pool from the daemon's defaults without it). Two ADDs that
 * race to create it both end up with the one network.
 */
export async function ensureNetwork(controller: Controller, config: CniNetConf): Promise<NetworkRecord> {
  const name = networkNameOf(config);
  const ipam = parseCniIpam(config.ipam);
  const pool = ipam ? poolRequestOf(ipam) : undefined;
  for (let attempt = 0; ; attempt++) {
    const existing = controller.core.store.networkByName(name);
    if (existing) {
      if (pool) assertSamePool(controller, existing, pool, { gateway: ipam?.gateway !== undefined });
      return usable(controller, existing);
    }
    try {
      const ipv6 = pool !== undefined && familyOf(pool.subnet!) === 6;
      return await controller.networks.create({
        name,
        driver: 'bridge',
        ipamDriver: 'default',
        ipamConfig: pool ? [pool] : [],
        ipamOptions: {},
        enableIPv6: ipv6,
        internal: false,
        attachable: false,
        options: {},
        labels: { [CNI_NETWORK_LABEL]: config.name },
      });
    } catch (err) {
      if (attempt === 0 && isPatchbayError(err) && err.code === 'PB_ERR_NETWORK_EXISTS') continue;
      throw err;
    }
  }
}
