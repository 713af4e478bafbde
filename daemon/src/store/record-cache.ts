import type { NetworkRecord, PoolRecord } from './records.js';

/**
 * Network rows and their pools, decoded once and kept until a write: a connect reads its network
 * and the network's pools about fifteen times (the driver's view of it, the gateway election, DNS,
 * the firewall), each a query and a JSON decode otherwise. Anything that writes either table
 * forgets all of it: the store's own writes, statements prepared through store.prepare() (see
 * WRITES_CACHED_TABLES) and a transaction that rolls back. What is handed out is frozen, so a
 * caller cannot change what the next caller reads.
 */
export function createRecordCache() {
  const networks = new Map<string, NetworkRecord>();
  const pools = new Map<string, readonly PoolRecord[]>();
  return {
    network(id: string, read: () => NetworkRecord | undefined): NetworkRecord | undefined {
      let record = networks.get(id);
      if (record === undefined) {
        record = read();
        if (record !== undefined) networks.set(id, deepFreeze(record));
      }
      return record;
    },
    pools(networkId: string, read: () => PoolRecord[]): PoolRecord[] {
      let list = pools.get(networkId);
      if (list === undefined) pools.set(networkId, (list = deepFreeze(read())));
      // a fresh array: callers sort and filter what they get
      return [...list];
    },
    forget(): void {
      networks.clear();
      pools.clear();
    },
  };
}

/** A statement that writes networks or pools (the cache forgets on its every run). */
export const WRITES_CACHED_TABLES = /^\s*(?:UPDATE|INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|DELETE\s+FROM)\s+(?:networks|pools)\b/i;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
