import { PatchbayError } from '@patchbay/errors';
import { formatAddress, tryParseAddress } from '@patchbay/ip';
import type { AddressAllocator } from '@patchbay/ipam';
import type { Logger } from 'pino';
import { AllocationConflict, type AllocationRecord, type IpamStore, type PoolRecord, type Store } from '../../store/index.js';
import { createAllocatorCache } from './allocator-cache.js';

/** How often a claim is retried after the store refused the cache's pick (another writer won). */
const CLAIM_ATTEMPTS = 64;

/** One address to claim: the requested one, else the next free one of the pool. */
export interface AddressWish {
  pool: PoolRecord;
  want?: string | undefined;
  row: Pick<AllocationRecord, 'kind' | 'owner' | 'ownerId'>;
}

/** Docker's pool id: address space and subnet, e.g. `LocalDefault/10.190.0.0/24`. */
export const poolIdOf = (pool: Pick<PoolRecord, 'addressSpace' | 'subnet'>) => `${pool.addressSpace}/${pool.subnet}`;

export const prefixOf = (pool: PoolRecord) => pool.subnet.split('/')[1]!;

/** `text` (bare or CIDR) in the pool's canonical form, undefined when it is not an address of the pool's family. */
function normalizedIn(pool: PoolRecord, text: string): string | undefined {
  const addr = tryParseAddress(text.split('/')[0]!);
  return addr && addr.family === pool.family ? formatAddress(addr.family, addr.value) : undefined;
}

/** What the IPAM modules share: the stores per address space, the allocator cache and claims. */
export function createIpamContext(store: Store, stores: readonly IpamStore[], log: Logger) {
  const cache = createAllocatorCache();
  /** per pool, addresses picked from the cache whose claim is under way: a rebuild keeps them taken */
  const picking = new Map<number, Set<string>>();
  const bySpace = new Map(stores.map((s) => [s.addressSpace, s]));

  function storeFor(addressSpace: string): IpamStore {
    const found = bySpace.get(addressSpace);
    if (found) return found;
    const known = [...bySpace.keys()].join(', ');
    throw new PatchbayError('PB_ERR_INVALID', `address space ${addressSpace} is not available here (known: ${known}; the global one needs a cluster store)`);
  }

  /** The name exhaustion messages use: the pool's network, else the pool's id. */
  const labelOf = (pool: PoolRecord, names?: ReadonlyMap<string, string>) =>
    (pool.networkId ? (names ? names.get(pool.networkId) : store.networkById(pool.networkId)?.name) : undefined) ?? poolIdOf(pool);
  /** Every network's name by id, for labelling many pools with one query. */
  const networkNames = (): Map<string, string> => new Map(store.networks().map((n) => [n.id, n.name]));

  const load = (pool: PoolRecord, label = labelOf(pool)): Promise<AddressAllocator> =>
    cache.load(pool, label, async () => {
      const rows = await storeFor(pool.addressSpace).allocations(pool.id);
      return [...rows, ...[...(picking.get(pool.id) ?? [])].map((address) => ({ address }))];
    });

  function startPick(poolId: number, address: string) {
    const set = picking.get(poolId) ?? new Set<string>();
    picking.set(poolId, set.add(address));
  }
  function endPick(poolId: number, address: string) {
    const set = picking.get(poolId);
    if (set?.delete(address) && set.size === 0) picking.delete(poolId);
  }

  /**
   * Picks each wish from the cache and claims them all in the store at once. When the store
   * refuses (an address it already holds), the store wins: that pool's cache is rebuilt from the
   * store and the picks are made again. Returns the addresses in the order of the wishes.
   */
  async function claim(wishes: readonly AddressWish[], label?: string): Promise<string[]> {
    if (wishes.length === 0) return [];
    const target = storeFor(wishes[0]!.pool.addressSpace);
    if (wishes.some((w) => w.pool.addressSpace !== target.addressSpace)) {
      throw new PatchbayError('PB_ERR_INTERNAL', 'one claim spans two address spaces');
    }
    for (let attempt = 1; ; attempt++) {
      const picked: { alloc: AddressAllocator; address: string; wish: AddressWish }[] = [];
      try {
        for (const wish of wishes) {
          const alloc = await load(wish.pool, label);
          const address = alloc.allocate(wish.want);
          startPick(wish.pool.id, address);
          picked.push({ alloc, address, wish });
        }
        const rows = picked.map(({ address, wish }) => ({ poolId: wish.pool.id, address, ...wish.row }));
        const cursors = picked.filter((p) => p.wish.pool.serial).map((p) => ({ poolId: p.wish.pool.id, cursor: p.alloc.getCursor() }));
        await target.claimAddresses(rows, cursors);
        for (const p of picked) endPick(p.wish.pool.id, p.address);
        return picked.map((p) => p.address);
      } catch (err) {
        for (const p of picked) {
          endPick(p.wish.pool.id, p.address);
          // the allocator in the cache now: the one picked from, or one rebuilt meanwhile with the pick held
          cache.release(p.wish.pool.id, p.address);
        }
        if (!(err instanceof AllocationConflict)) throw err;
        cache.forget(err.poolId, { scatter: target.scope === 'global' });
        log.debug({ pool: err.poolId, address: err.address, attempt }, 'ipam: the store refused a cached pick; rebuilt the pool from the store');
        if (attempt >= CLAIM_ATTEMPTS) {
          throw new PatchbayError('PB_ERR_IPAM_CONFLICT', `could not claim an address after ${attempt} attempts (others kept taking them); try again`, { cause: err });
        }
      }
    }
  }

  /** Frees addresses in the store, then in the cache. */
  async function release(pool: PoolRecord, addresses: readonly string[], only: Pick<AllocationRecord, 'ownerId'> & { kinds?: AllocationRecord['kind'][] } = {}) {
    await storeFor(pool.addressSpace).releaseAddresses(addresses.map((address) => ({ poolId: pool.id, address, ...only })));
    for (const address of addresses) cache.release(pool.id, address);
  }

  /**
   * The address `want`, held by a RequestAddress (kind 'address'), becomes `row`'s; undefined when
   * it is not held that way (free, or someone else's). The cache already counts it as taken.
   */
  async function adopt(pool: PoolRecord, want: string, row: AddressWish['row']): Promise<string | undefined> {
    const address = normalizedIn(pool, want);
    if (address === undefined) return undefined;
    return (await storeFor(pool.addressSpace).adoptAddress(pool.id, address, row)) ? address : undefined;
  }

  /** A pool by Docker's pool id (`AddressSpace/subnet`). */
  async function poolById(poolId: string): Promise<PoolRecord> {
    const slash = poolId.indexOf('/');
    const pool = slash > 0 ? await storeFor(poolId.slice(0, slash)).poolBySubnet(poolId.slice(slash + 1)) : undefined;
    if (!pool) throw new PatchbayError('PB_ERR_POOL_NOT_FOUND', `pool ${poolId} not found`);
    return pool;
  }

  return { store, stores, log, cache, storeFor, labelOf, networkNames, load, claim, adopt, release, poolById };
}
export type IpamContext = ReturnType<typeof createIpamContext>;
