import { createAllocator, type AddressAllocator } from '@patchbay/ipam';
import type { AllocationRecord, PoolRecord } from '../../store/index.js';

/**
 * In-memory allocators, one per pool: a cache of the IPAM store's rows, never the authority. A
 * pick from the cache is only an offer; the store's claim decides, and on a conflict the pool's
 * allocator is forgotten and rebuilt from the store's rows.
 */
export function createAllocatorCache() {
  const allocators = new Map<number, AddressAllocator>();
  /** pools whose allocator starts at a random address (see `forget`) */
  const scattered = new Set<number>();

  function build(pool: PoolRecord, label: string, rows: readonly Pick<AllocationRecord, 'address'>[]): AddressAllocator {
    const allocator = createAllocator(
      {
        family: pool.family,
        subnet: pool.subnet,
        ...(pool.ipRange ? { ipRange: pool.ipRange } : {}),
        ...(pool.gateway ? { gateway: pool.gateway } : {}),
        auxAddresses: pool.aux,
      },
      { serial: pool.serial || scattered.has(pool.id), networkLabel: label },
    );
    for (const row of rows) allocator.reserve(row.address);
    const start = pool.cursor || (scattered.has(pool.id) ? randomIPv4In(pool.ipRange ?? pool.subnet) : undefined);
    if (start) allocator.setCursor(start);
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
    /**
     * Drop the pool's allocator: the next use rebuilds it from the store (a conflict, a changed
     * pool). `scatter`: from then on it goes on serially from a random address rather than from
     * the lowest free one, for pools that several hosts allocate from at once (cluster-wide
     * pools): hosts that all want the lowest free address keep colliding, and one of them can
     * lose every round.
     */
    forget(poolId: number, o: { scatter?: boolean } = {}): void {
      allocators.delete(poolId);
      if (o.scatter) scattered.add(poolId);
    },
  };
}
export type AllocatorCache = ReturnType<typeof createAllocatorCache>;

/** A random host address inside an IPv4 CIDR (undefined for IPv6 or a /31–/32). */
function randomIPv4In(cidr: string): string | undefined {
  const [base, bits] = cidr.split('/');
  const len = Number(bits);
  if (!base || base.includes(':') || !Number.isInteger(len) || len > 30) return undefined;
  const first = base.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const value = first + 1 + Math.floor(Math.random() * (2 ** (32 - len) - 2));
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}
