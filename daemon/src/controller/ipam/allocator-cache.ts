import { createAllocator, type AddressAllocator } from '@patchbay/ipam';
import type { AllocationRecord, PoolRecord } from '../../store/index.js';

/**
 * In-memory allocators, one per pool: a cache of the IPAM store's rows, never the authority. A
 * pick from the cache is only an offer; the store's claim decides, and on a conflict the pool's
 * allocator is forgotten and rebuilt from the store's rows.
 */
export function createAllocatorCache() {
  const allocators = new Map<number, AddressAllocator>();

  function build(pool: PoolRecord, label: string, rows: readonly Pick<AllocationRecord, 'address'>[]): AddressAllocator {
    const allocator = createAllocator(
      {
        family: pool.family,
        subnet: pool.subnet,
        ...(pool.ipRange ? { ipRange: pool.ipRange } : {}),
        ...(pool.gateway ? { gateway: pool.gateway } : {}),
        auxAddresses: pool.aux,
      },
      { serial: pool.serial, networkLabel: label },
    );
    for (const row of rows) allocator.reserve(row.address);
    if (pool.cursor) allocator.setCursor(pool.cursor);
    allocators.set(pool.id, allocator);
    return allocator;
  }

  return {
    /** The pool's allocator; built from `rows`, read synchronously, when not cached. */
    get: (pool: PoolRecord, label: string, rows: () => readonly AllocationRecord[]): AddressAllocator =>
      allocators.get(pool.id) ?? build(pool, label, rows()),
    /** The pool's allocator; built from the store's rows when not cached. */
    async load(pool: PoolRecord, label: string, rows: () => Promise<readonly Pick<AllocationRecord, 'address'>[]>): Promise<AddressAllocator> {
      const cached = allocators.get(pool.id);
      if (cached) return cached;
      const fetched = await rows();
      // another caller may have built it while the rows were read
      return allocators.get(pool.id) ?? build(pool, label, fetched);
    },
    /** Give an address back to the cached allocator, if there is one. */
    release(poolId: number, address: string): void {
      allocators.get(poolId)?.release(address);
    },
    /** Drop the pool's allocator: the next use rebuilds it from the store (a conflict, a changed pool). */
    forget(poolId: number): void {
      allocators.delete(poolId);
    },
  };
}
export type AllocatorCache = ReturnType<typeof createAllocatorCache>;
