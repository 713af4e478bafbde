import { PatchbayError } from '@patchbay/errors';
import { overlaps } from '@patchbay/ipam';
import { AllocationConflict, LOCAL_ADDRESS_SPACE, type IpamStore } from './ipam-store.js';
import { assertSubnetFree } from './pool-overlap.js';
import { toAllocation, toPool, type Row, type Store } from './store.js';

const sqliteCode = (err: unknown) => (typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined);

/**
 * The IPAM store of the local address space, in the daemon's SQLite file (tables `pools` and
 * `allocations`). Its methods do their work synchronously, each in one transaction, before they
 * return: a caller that does not await still sees the change committed.
 */
export function createSqliteIpamStore(store: Store): IpamStore {
  const addressSpace = LOCAL_ADDRESS_SPACE;
  const q = (sql: string) => store.prepare(sql);
  const s = {
    poolById: q('SELECT * FROM pools WHERE id = ?'),
    poolBySubnet: q('SELECT * FROM pools WHERE address_space = ? AND subnet = ?'),
    poolsOfSpace: q('SELECT * FROM pools WHERE address_space = ? ORDER BY id'),
    subnetsOnly: q('SELECT subnet FROM pools WHERE address_space = ? ORDER BY id').pluck(),
    overlapCandidates: q(`SELECT p.subnet, p.requested_by, n.name AS network_name FROM pools p
      LEFT JOIN networks n ON n.id = p.network_id WHERE p.address_space = ?`),
    adopt: q('UPDATE pools SET network_id = ? WHERE id = ?'),
    setRequestedBy: q('UPDATE pools SET requested_by = ? WHERE id = ?'),
    detachRequested: q('UPDATE pools SET network_id = NULL WHERE network_id = ? AND requested_by IS NOT NULL'),
    dropOfNetwork: q('DELETE FROM pools WHERE network_id = ?'),
    drop: q('DELETE FROM pools WHERE id = ?'),
    setGateway: q('UPDATE pools SET gateway = ? WHERE id = ?'),
    clearGateway: q('UPDATE pools SET gateway = NULL WHERE id = ? AND gateway = ?'),
    allocation: q('SELECT * FROM allocations WHERE pool_id = ? AND address = ?'),
    adoptAddress: q(`UPDATE allocations SET kind = @kind, owner = @owner, owner_id = @ownerId
      WHERE pool_id = @poolId AND address = @address AND kind = 'address'`),
    release: q(`DELETE FROM allocations WHERE pool_id = @poolId AND address = @address
      AND (@ownerId IS NULL OR owner_id = @ownerId) AND (@kinds IS NULL OR instr(@kinds, ',' || kind || ',') > 0) RETURNING kind`),
  };
  /** One statement is atomic by itself: the hot path (one endpoint address) needs no transaction. */
  const atomically = (statements: number, fn: () => void) => (statements > 1 ? store.tx(fn) : fn());
  const poolRow = (id: number) => s.poolById.get(id) as Row | undefined;

  return {
    scope: 'local',
    addressSpace,

    pools: async () => (s.poolsOfSpace.all(addressSpace) as Row[]).map(toPool),
    subnets: async () => s.subnetsOnly.all(addressSpace) as string[],
    pool: async (id) => {
      const row = poolRow(id);
      return row ? toPool(row) : undefined;
    },
    poolBySubnet: async (subnet) => {
      const row = s.poolBySubnet.get(addressSpace, subnet) as Row | undefined;
      return row ? toPool(row) : undefined;
    },

    async claimPool(pool, held) {
      if (pool.addressSpace !== addressSpace) throw new PatchbayError('PB_ERR_INTERNAL', `pool of address space ${pool.addressSpace} given to the ${addressSpace} store`);
      const id = store.tx(() => {
        // the holders' names only for the error: most claims overlap nothing
        if ((s.subnetsOnly.all(addressSpace) as string[]).some((other) => overlaps(pool.subnet, other))) {
          const others = (s.overlapCandidates.all(addressSpace) as Row[]).map((r) => ({
            subnet: r.subnet as string,
            networkName: (r.network_name as string | null) ?? null,
            requestedBy: r.requested_by as string | null,
          }));
          assertSubnetFree(pool.subnet, others);
        }
        const poolId = store.insertPool(pool);
        for (const a of held) store.insertAllocation({ ...a, poolId });
        return poolId;
      });
      return toPool(poolRow(id)!);
    },

    async adoptPools(ids, networkId) {
      store.tx(() => {
        for (const id of ids) {
          const row = poolRow(id);
          if (!row) throw new PatchbayError('PB_ERR_POOL_NOT_FOUND', `pool ${id} not found`);
          if (row.network_id !== null && row.network_id !== networkId) {
            throw new PatchbayError('PB_ERR_FORBIDDEN', `pool ${row.subnet} is already used by another network`);
          }
          s.adopt.run(networkId, id);
        }
      });
    },

    async setRequestedBy(id, requestedBy) {
      s.setRequestedBy.run(requestedBy, id);
    },

    async releaseNetworkPools(networkId) {
      store.tx(() => {
        s.detachRequested.run(networkId);
        s.dropOfNetwork.run(networkId);
      });
    },

    dropPool: async (id) => s.drop.run(id).changes > 0,

    allocations: async (poolId) => store.allocationsOf(poolId),
    allocation: async (poolId, address) => {
      const row = s.allocation.get(poolId, address) as Row | undefined;
      return row ? toAllocation(row) : undefined;
    },

    async claimAddresses(claims, cursors = []) {
      const statements = claims.length + cursors.length + claims.filter((c) => c.kind === 'gateway').length;
      atomically(statements, () => {
        for (const c of claims) {
          try {
            store.insertAllocation(c);
          } catch (err) {
            // (pool, address) is the primary key: a second row for an address is refused
            const code = sqliteCode(err);
            if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') throw new AllocationConflict(c.poolId, c.address);
            if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new PatchbayError('PB_ERR_POOL_NOT_FOUND', `pool ${c.poolId} is gone (released meanwhile)`, { cause: err });
            throw err;
          }
          if (c.kind === 'gateway') s.setGateway.run(c.address, c.poolId);
        }
        for (const c of cursors) store.setPoolCursor(c.poolId, c.cursor);
      });
    },

    adoptAddress: async (poolId, address, row) => s.adoptAddress.run({ poolId, address, kind: row.kind, owner: row.owner, ownerId: row.ownerId ?? null }).changes > 0,

    async releaseAddresses(releases) {
      const mayTouchGateway = releases.some((r) => !r.kinds || r.kinds.includes('gateway'));
      atomically(releases.length + (mayTouchGateway ? 1 : 0), () => {
        for (const r of releases) {
          const kinds = r.kinds ? `,${r.kinds.join(',')},` : null;
          const gone = s.release.get({ poolId: r.poolId, address: r.address, ownerId: r.ownerId ?? null, kinds }) as { kind: string } | undefined;
          if (gone?.kind === 'gateway') s.clearGateway.run(r.poolId, r.address);
        }
      });
    },
  };
}
