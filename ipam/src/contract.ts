/**
 * The IPAM contract: types only. IPAM here is pure arithmetic with no I/O; the daemon persists
 * pools and allocations itself and rebuilds allocators at start with `reserve()`.
 */

import type { IpFamily } from '@patchbay/ip';

export type { IpFamily };

/** The two built-in IPAM drivers, as libnetwork names them. */
export type IpamDriverName = 'default' | 'null';

/** One IPAM pool as a user asks for it (Docker's `IPAM.Config[]` entry), subnet already chosen. */
export interface PoolConfig {
  subnet: string;
  ipRange?: string;
  gateway?: string;
  auxAddresses?: Record<string, string>;
}

/** A validated pool: canonical strings only, so it can be stored and compared as is. */
export interface NormalizedPool {
  family: IpFamily;
  /** Network CIDR with host bits zero, e.g. `10.1.0.0/16`, `2001:db8::/64`. */
  subnet: string;
  /** The dynamic range (Docker's `--ip-range`), a CIDR inside `subnet`. */
  ipRange?: string;
  gateway?: string;
  auxAddresses: Record<string, string>;
}

export interface AllocatorOptions {
  /** libnetwork's `com.docker.network.ipam.serial`: go on after the last address handed out. */
  serial?: boolean;
}

export interface AddressCounts {
  /** Usable addresses of the subnet: all of it less the network (and IPv4 broadcast) address. */
  total: bigint;
  /** Addresses taken anywhere in the subnet: gateway, aux, reserved and allocated ones. */
  used: bigint;
  /** Addresses still free for dynamic allocation, i.e. inside the ip range (or the subnet). */
  free: bigint;
}

/** Addresses are plain strings without prefix length, in canonical form (`10.0.0.5`, `2001:db8::5`). */
export interface AddressAllocator {
  readonly family: IpFamily;
  readonly subnet: string;
  /** The range dynamic allocation draws from: the pool's ip range, else the subnet. */
  readonly dynamicRange: string;
  /** A free address: the requested one (anywhere in the subnet), else one from the dynamic range. */
  allocate(requested?: string): string;
  /** Marks an address inside the subnet taken; true if it was free. Idempotent (rebuild, static). */
  reserve(address: string): boolean;
  /** Frees an allocated address; false (no-op) if it was not allocated or is held by the pool itself. */
  release(address: string): boolean;
  isAllocated(address: string): boolean;
  counts(): AddressCounts;
  /** Taken addresses in ascending order (gateway and aux included; network/broadcast not). */
  allocations(): string[];
  /** Where the next serial allocation starts looking; persist it to keep serial order across restarts. */
  getCursor(): string;
  setCursor(address: string): void;
}

/** One entry of the default address pools: `base` split into subnets of prefix length `size`. */
export interface PoolDef {
  base: string;
  size: number;
}
