import type { AllocationRecord, PoolRecord } from './records.js';

/** Docker's two address spaces (IpamDriver.GetDefaultAddressSpaces). */
export const LOCAL_ADDRESS_SPACE = 'LocalDefault';
export const GLOBAL_ADDRESS_SPACE = 'GlobalDefault';

/** A pool to claim: everything but the id the store gives it and the serial cursor; `gatewayConfigured` defaults to true. */
export type NewPool = Omit<PoolRecord, 'id' | 'cursor' | 'gatewayConfigured'> & Partial<Pick<PoolRecord, 'gatewayConfigured'>>;

/** An allocation to record with its pool (the pool's id is not known yet). */
export type HeldAddress = Omit<AllocationRecord, 'poolId'>;

/** What releaseAddresses frees: only a row that still has `ownerId` (when given) and one of `kinds`. */
export interface AddressRelease {
  poolId: number;
  address: string;
  ownerId?: string;
  kinds?: readonly AllocationRecord['kind'][];
}

/** The store refused an allocation because the address is already held: the store wins. */
export class AllocationConflict extends Error {
  constructor(
    readonly poolId: number,
    readonly address: string,
  ) {
    super(`address ${address} of pool ${poolId} is already allocated`);
    this.name = 'AllocationConflict';
  }
}

/**
 * Where pools and address allocations are kept: the authority behind IPAM's in-memory allocators
 * (which are only a cache). One store per address space: SQLite for `LocalDefault` today, a
 * cluster store (etcd, with compare-and-swap) for `GlobalDefault` later. Every method may be
 * asynchronous, so callers never call it inside a SQLite transaction: they commit the IPAM change
 * first and give it back when their own write fails; a crash in between leaves an allocation that
 * no endpoint owns, which reconcile frees.
 */
export interface IpamStore {
  readonly scope: 'local' | 'global';
  readonly addressSpace: string;

  pools(): Promise<PoolRecord[]>;
  /** Every pool's subnet: what a network create checks its subnets against (pools() only to name the holder of one that overlaps). */
  subnets(): Promise<string[]>;
  pool(id: number): Promise<PoolRecord | undefined>;
  poolBySubnet(subnet: string): Promise<PoolRecord | undefined>;
  /**
   * Claims a pool together with the addresses it holds itself (gateway, aux), all or nothing.
   * Refuses (PB_ERR_POOL_OVERLAP) a subnet that overlaps any pool of the address space.
   */
  claimPool(pool: NewPool, held: readonly HeldAddress[]): Promise<PoolRecord>;
  /** The pools become the network's; each must exist (PB_ERR_POOL_NOT_FOUND) and belong to no other network. */
  adoptPools(ids: readonly number[], networkId: string): Promise<void>;
  /** Who requested the pool; null: it now lives and dies with its network. */
  setRequestedBy(id: number, requestedBy: string | null): Promise<void>;
  /** The network is going: pools made for it are freed with their allocations, requested ones detached. */
  releaseNetworkPools(networkId: string): Promise<void>;
  /** Frees a pool and every allocation in it; false if it was already gone. */
  dropPool(id: number): Promise<boolean>;

  allocations(poolId: number): Promise<AllocationRecord[]>;
  /**
   * The allocations this host made, where the store is shared by hosts (a cluster store); crash
   * recovery frees only these. Absent: every allocation is this host's.
   */
  ownAllocations?(poolId: number): Promise<AllocationRecord[]>;
  allocation(poolId: number, address: string): Promise<AllocationRecord | undefined>;
  /**
   * Records the allocations all together or none (AllocationConflict names a held address), with
   * the pools' serial cursors. A 'gateway' allocation also becomes its pool's gateway.
   */
  claimAddresses(claims: readonly AllocationRecord[], cursors?: readonly { poolId: number; cursor: string }[]): Promise<void>;
  /**
   * An address held by a RequestAddress (kind 'address') becomes `row`'s (an endpoint's); false
   * when the address is not held that way.
   */
  adoptAddress(poolId: number, address: string, row: Pick<AllocationRecord, 'kind' | 'owner' | 'ownerId'>): Promise<boolean>;
  /** Frees addresses; one already free is success. Freeing a pool's gateway clears it from the pool. */
  releaseAddresses(releases: readonly AddressRelease[]): Promise<void>;
}
