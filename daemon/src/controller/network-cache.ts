import type { NetworkRecord, PoolRecord, Store } from '../store/index.js';

/** A network's row and its pools (as store.poolsOf gives them). */
export interface CachedNetwork {
  record: NetworkRecord;
  pools: PoolRecord[];
}

/**
 * Every network's row and pools, in the order of store.networks(), read from the store only for
 * networks that are new or changed state since the last call: work over all networks (the
 * firewall model, a create's bridge-name check) then costs no store read or JSON parse per
 * network, and what it builds from an entry can be kept per entry object (a WeakMap).
 *
 * A network's row and pools are fixed once it is past `creating` (its driver state and pools are
 * written while it is `creating`), so a `creating` network is read again on every call, into the
 * same entry. The list is the same array as long as no network came, went or changed state.
 */
export function createNetworkCache(store: Store) {
  let signature: string | undefined;
  let list: readonly CachedNetwork[] = [];
  let byKey = new Map<string, CachedNetwork>(); // by `id/state`

  function all(): readonly CachedNetwork[] {
    const current = store.networksSignature();
    if (current === signature) {
      for (const entry of list) if (entry.record.state === 'creating') refresh(entry);
      return list;
    }
    const next = new Map<string, CachedNetwork>();
    const ordered: CachedNetwork[] = [];
    for (const { id, state } of store.networkStates()) {
      const key = `${id}/${state}`;
      let entry = byKey.get(key);
      if (entry && state === 'creating') refresh(entry);
      if (!entry) {
        const record = store.networkById(id);
        if (!record) continue; // deleted between the two reads: not there any more
        entry = { record, pools: store.poolsOf(id) };
      }
      next.set(key, entry);
      ordered.push(entry);
    }
    byKey = next;
    list = ordered;
    signature = current;
    return list;
  }

  function refresh(entry: CachedNetwork): void {
    const record = store.networkById(entry.record.id);
    if (!record) return;
    entry.record = record;
    entry.pools = store.poolsOf(record.id);
  }

  /** Drop everything kept: the next call reads every network again. */
  function forget(): void {
    signature = undefined;
    list = [];
    byKey = new Map();
  }

  return { all, forget };
}
export type NetworkCache = ReturnType<typeof createNetworkCache>;
