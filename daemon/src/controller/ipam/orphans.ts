import type { Drift } from '@patchbay/api';
import type { AllocationRecord, IpamStore, PoolRecord } from '../../store/index.js';
import type { IpamContext } from './context.js';

/** Every allocation of the store that this host made (a shared store's own ones only). */
async function heldBy(ipamStore: IpamStore) {
  const out: { pool: PoolRecord; a: AllocationRecord }[] = [];
  for (const pool of await ipamStore.pools()) {
    const rows = await (ipamStore.ownAllocations ?? ipamStore.allocations)(pool.id);
    for (const a of rows) out.push({ pool, a });
  }
  return out;
}

export interface PlannedRepair {
  drift: Drift;
  repair(): Promise<void>;
}

/**
 * Endpoint addresses whose endpoint does not exist: a crash between the allocation and the
 * endpoint's row, a store edited by hand, an older bug. Each is freed (store, then cache). An
 * endpoint being created right now (`inFlight`) is not an orphan; the repair checks again.
 */
export async function planOrphanAllocations(ctx: IpamContext, inFlight: ReadonlySet<string>): Promise<PlannedRepair[]> {
  const { store } = ctx;
  const ownerGone = (ownerId: string | undefined) => ownerId === undefined || (!inFlight.has(ownerId) && !store.endpointById(ownerId));
  const planned: PlannedRepair[] = [];
  const networkNames = new Map<string, string | undefined>();
  const networkName = (id: string) => (networkNames.has(id) ? networkNames.get(id) : networkNames.set(id, store.networkById(id)?.name).get(id));
  for (const ipamStore of ctx.stores) {
    let held: { pool: PoolRecord; a: AllocationRecord }[];
    try {
      held = await heldBy(ipamStore);
    } catch (err) {
      // a cluster store that cannot be reached: its orphans wait for the next reconcile
      if (ipamStore.scope !== 'global') throw err;
      ctx.log.warn({ err: (err as Error).message }, 'ipam: cannot look for orphan allocations in the cluster store now');
      continue;
    }
    // read after the allocations: an endpoint committed meanwhile is in it, one still being made is in flight
    const endpoints = store.endpointIds();
    const ownerGoneNow = (ownerId: string | undefined) => ownerId === undefined || (!inFlight.has(ownerId) && !endpoints.has(ownerId));
    for (const { pool, a } of held) {
      if (a.kind !== 'endpoint' || !ownerGoneNow(a.ownerId)) continue;
      const name = pool.networkId ? networkName(pool.networkId) : undefined;
      planned.push({
        drift: { kind: 'orphan-allocation', object: `address ${a.address}${name ? ` in network ${name}` : ''}`, action: `free it (owner ${a.owner} is gone)` },
        repair: async () => {
          if (!ownerGone(a.ownerId)) return;
          await ctx.release(pool, [a.address], { kinds: ['endpoint'], ...(a.ownerId !== undefined ? { ownerId: a.ownerId } : {}) });
        },
      });
    }
  }
  return planned;
}
