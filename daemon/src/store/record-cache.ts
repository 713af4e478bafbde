import type Database from 'better-sqlite3';
import type { NetworkRecord, PoolRecord } from './records.js';

/**
 * Network rows and their pools, decoded once and kept until a write: a connect reads its network
 * and the network's pools about fifteen times (the driver's view of it, the gateway election, DNS,
 * the firewall), each a query and a JSON decode otherwise. Anything that writes either table
 * forgets all of it: every statement the store prepares (its own and the other stores') passes
 * through guard(), which makes one that writes either table forget on each run; a transaction
 * that rolls back forgets too. What is handed out is frozen, so a caller cannot change what the
 * next caller reads.
 */
export function createRecordCache() {
  const networks = new Map<string, NetworkRecord>();
  const pools = new Map<string, readonly PoolRecord[]>();
  const forget = (): void => {
    networks.clear();
    pools.clear();
  };
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
    forget,
    /** `stmt` (prepared from `sql`), made to forget on every run when it writes networks or pools. */
    guard(sql: string, stmt: Database.Statement): Database.Statement {
      if (!WRITES_CACHED_TABLES.test(sql)) return stmt;
      // every way to run it (a write with RETURNING runs through get or all)
      for (const method of ['run', 'get', 'all', 'iterate'] as const) {
        const call = (stmt[method] as (...a: unknown[]) => unknown).bind(stmt);
        (stmt as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          forget();
          return call(...args);
        };
      }
      return stmt;
    },
  };
}

/** A statement that writes networks or pools (the cache forgets on its every run). */
const WRITES_CACHED_TABLES = /^\s*(?:UPDATE|INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|DELETE\s+FROM)\s+(?:networks|pools)\b/i;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
