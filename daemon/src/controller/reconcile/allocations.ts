import type { Core } from '../core.js';
import type { Planned, Snapshot } from './plan.js';

/** Addresses whose endpoint no longer exists (a store edited by hand, an older bug): give them back. */
export function planAllocations(core: Core, snap: Snapshot): Planned[] {
  const { store } = core;
  const endpointIds = new Set(snap.endpoints.map((e) => e.id));
  const poolById = new Map(store.pools().map((p) => [p.id, p]));
  const planned: Planned[] = [];
  for (const a of store.allocations()) {
    if (a.kind !== 'endpoint' || (a.ownerId !== undefined && endpointIds.has(a.ownerId))) continue;
    const pool = poolById.get(a.poolId);
    const net = pool ? store.networkById(pool.networkId) : undefined;
    planned.push({
      drift: { kind: 'orphan-allocation', object: `address ${a.address}${net ? ` in network ${net.name}` : ''}`, action: `free it (owner ${a.owner} is gone)` },
      repair: async () => {
        store.deleteAllocation(a.poolId, a.address);
        if (pool && net) core.ipam.allocatorOf(pool, net.name).release(a.address);
      },
    });
  }
  return planned;
}
