import type { Drift } from '@patchbay/api';
import type { IpamContext } from './context.js';

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
  for (const ipamStore of ctx.stores) {
    for (const pool of await ipamStore.pools()) {
      for (const a of await ipamStore.allocations(pool.id)) {
        if (a.kind !== 'endpoint' || !ownerGone(a.ownerId)) continue;
        const net = pool.networkId ? store.networkById(pool.networkId) : undefined;
        planned.push({
          drift: { kind: 'orphan-allocation', object: `address ${a.address}${net ? ` in network ${net.name}` : ''}`, action: `free it (owner ${a.owner} is gone)` },
          repair: async () => {
            if (!ownerGone(a.ownerId)) return;
            await ctx.release(pool, [a.address], { kinds: ['endpoint'], ...(a.ownerId !== undefined ? { ownerId: a.ownerId } : {}) });
          },
        });
      }
    }
  }
  return planned;
}
