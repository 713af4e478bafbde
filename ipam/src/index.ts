/**
 * @patchbay/ipam: the default IPAM as pure arithmetic (bigint addresses, no I/O) and the null IPAM.
 * Address and CIDR parsing and formatting live in @patchbay/ip; this package adds IPAM's rules
 * and its errors (PB_ERR_INVALID_SUBNET / PB_ERR_INVALID_ADDRESS naming the field).
 *
 * Decisions worth knowing:
 * - Subnets with host bits set are accepted and canonicalized (`10.1.2.3/24` → `10.1.2.0/24`).
 * - IPv4 subnets are /1–/31, IPv6 /1–/127. IPv4 ≤ /30 loses its network and broadcast address,
 *   IPv6 ≤ /126 its network (subnet-router anycast) address; /31 and /127 use both addresses.
 * - createAllocator() reserves the pool's gateway and all its aux addresses itself; the daemon
 *   reserve()s the endpoint addresses it persisted, and may persist the serial cursor.
 * - Without a configured gateway the daemon takes one with allocate() (lowest free address of
 *   the dynamic range, as libnetwork does) and stores it in the pool.
 */
export type {
  AddressAllocator,
  AddressCounts,
  AllocatorOptions,
  IpamDriverName,
  IpFamily,
  NormalizedPool,
  PoolConfig,
  PoolDef,
} from './contract.js';
export { contains, normalizeSubnet, overlaps, parseCidr, protocolReserved } from './cidr.js';
export { validatePoolConfig, type PoolValidationOptions } from './pool-config.js';
export { createAllocator, type CreateAllocatorOptions } from './allocator.js';
export { defaultLocalPools, expandPools, parseAddressPoolFlag, parsePoolDef, validatePoolDef, type ParsedPoolDef } from './default-pools.js';
export { choosePool, type ChoosePoolRequest } from './choose-pool.js';
export { assertNoPoolOverlap, findOverlap, type ExistingPool } from './overlap.js';
export { assertNullIpamConfig, ipamDriverNames, isNullIpam, nullIpam, resolveIpamDriver } from './null-ipam.js';
