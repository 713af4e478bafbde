import { PatchbayError } from '@patchbay/errors';
import type { IpamDriverName, PoolConfig } from './contract.js';

export const ipamDriverNames: readonly IpamDriverName[] = ['default', 'null'];

/**
 * The null IPAM driver: a network that uses it gets no pool and its endpoints no addresses
 * (libnetwork `ipams/null`, used by the host and null networks and for L2-only networks).
 */
export const nullIpam = Object.freeze({ name: 'null' as const, assignsAddresses: false as const });

export const isNullIpam = (name: string | undefined): boolean => name === nullIpam.name;

/** The IPAM driver a network asks for; empty means 'default'. Unknown names are PB_ERR_DRIVER_NOT_FOUND. */
export function resolveIpamDriver(name: string | undefined): IpamDriverName {
  if (name === undefined || name === '') return 'default';
  const known = ipamDriverNames.find((n) => n === name);
  if (!known) throw new PatchbayError('PB_ERR_DRIVER_NOT_FOUND', `ipam driver "${name}" not found`);
  return known;
}

/** The null driver hands out nothing, so a network that uses it may not ask for pools (as in libnetwork). */
export function assertNullIpamConfig(configs: readonly Partial<PoolConfig>[]): void {
  const asked = configs.find((c) => c.subnet || c.ipRange || c.gateway || Object.keys(c.auxAddresses ?? {}).length > 0);
  if (asked) {
    throw new PatchbayError('PB_ERR_INVALID_OPTION', 'null ipam driver does not handle specific address pool requests');
  }
}
