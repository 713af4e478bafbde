import { PatchbayError } from '@patchbay/errors';
import { AllocationConflict, GLOBAL_ADDRESS_SPACE, type AllocationRecord, type IpamStore, type PoolRecord, type Store } from '../store/index.js';
import type { EtcdClient } from './etcd/index.js';
import { keys } from './keys.js';

/** An address key's value: who holds it, and on which host (crash recovery frees only its own). */
interface HeldValue {
  kind: AllocationRecord['kind'];
  owner: string;
  ownerId?: string;
  host: string;
}

/**
 * The IPAM store of the global address space (`GlobalDefault`). Pools are decided with their
 * overlay network in the cluster store (one transaction with its name and VNI) and mirrored in
 * the local SQLite pools table, which is what this store reads for pools; every address is a key
 * in etcd created if absent (`ipam/<subnet>/<address>`), so hosts allocating at once never hand
 * out the same address: the loser gets AllocationConflict, and IPAM rebuilds its cache from etcd.
 */
export function createEtcdIpamStore(store: Store, etcd: EtcdClient, hostId: string): IpamStore & { ownAllocations(poolId: number): Promise<AllocationRecord[]> } {
  const q = (sql: string) => store.prepare(sql);
  const s = {
    drop: q('DELETE FROM pools WHERE id = ? AND address_space = ?'),
    dropOfNetwork: q('DELETE FROM pools WHERE network_id = ? AND address_space = ?'),
  };
  /** what an address key held by `row` on this host says */
  const heldValue = (row: Pick<AllocationRecord, 'kind' | 'owner' | 'ownerId'>): string =>
    JSON.stringify({ kind: row.kind, owner: row.owner, ...(row.ownerId ? { ownerId: row.ownerId } : {}), host: hostId } satisfies HeldValue);
  const mirrored = (id: number): PoolRecord | undefined => store.pools().find((p) => p.id === id && p.addressSpace === GLOBAL_ADDRESS_SPACE);
  const poolOf = (id: number): PoolRecord => {
    const pool = mirrored(id);
    if (!pool) throw new PatchbayError('PB_ERR_POOL_NOT_FOUND', `pool ${id} is gone (its network was removed meanwhile)`);
    return pool;
  };
  const refuse = (what: string) => async (): Promise<never> => {
    throw new PatchbayError('PB_ERR_INVALID', `${what}: global pools are made with their overlay network (docker network create -d overlay --subnet …)`);
  };

  async function list(poolId: number): Promise<(AllocationRecord & { host: string; modRevision: number })[]> {
    const pool = poolOf(poolId);
    const prefix = keys.addresses(pool.subnet);
    const { kvs } = await etcd.range(prefix, { prefix: true });
    return kvs.map((kv) => {
      const v = JSON.parse(kv.value) as HeldValue;
      return { poolId, address: kv.key.slice(prefix.length), kind: v.kind, owner: v.owner, ...(v.ownerId ? { ownerId: v.ownerId } : {}), host: v.host, modRevision: kv.modRevision };
    });
  }

  return {
    scope: 'global',
    addressSpace: GLOBAL_ADDRESS_SPACE,
    pools: async () => store.pools().filter((p) => p.addressSpace === GLOBAL_ADDRESS_SPACE),
    subnets: async () => store.pools().flatMap((p) => (p.addressSpace === GLOBAL_ADDRESS_SPACE ? [p.subnet] : [])),
    pool: async (id) => mirrored(id),
    poolBySubnet: async (subnet) => store.pools().find((p) => p.addressSpace === GLOBAL_ADDRESS_SPACE && p.subnet === subnet),
    claimPool: refuse('RequestPool in GlobalDefault'),
    adoptPools: refuse('a network adopting global pools'),
    setRequestedBy: async () => undefined,
    async releaseNetworkPools(networkId) {
      // the cluster's copy goes with the network's record (one transaction); this is the mirror
      s.dropOfNetwork.run(networkId, GLOBAL_ADDRESS_SPACE);
    },
    dropPool: async (id) => s.drop.run(id, GLOBAL_ADDRESS_SPACE).changes > 0,

    allocations: async (poolId) => (await list(poolId)).map(({ host: _h, modRevision: _m, ...a }) => a),
    /** the allocations this host made (what its crash recovery may free) */
    ownAllocations: async (poolId) => (await list(poolId)).filter((a) => a.host === hostId).map(({ host: _h, modRevision: _m, ...a }) => a),
    async allocation(poolId, address) {
      const kv = await etcd.get(keys.address(poolOf(poolId).subnet, address));
      if (!kv) return undefined;
      const v = JSON.parse(kv.value) as HeldValue;
      return { poolId, address, kind: v.kind, owner: v.owner, ...(v.ownerId ? { ownerId: v.ownerId } : {}) };
    },

    async claimAddresses(claims) {
      const keyed = claims.map((c) => ({ c, key: keys.address(poolOf(c.poolId).subnet, c.address) }));
      const r = await etcd.txn(
        keyed.map(({ key }) => ({ key, target: 'create' as const, equals: 0 as const })),
        keyed.map(({ c, key }) => ({ put: key, value: heldValue(c) })),
        keyed.map(({ key }) => ({ range: key })),
      );
      if (r.succeeded) return;
      // Every key holds this very claim, owner id and all: it committed on a member whose answer
      // was lost, and the client sent it again to another. A claim without an owner id (a
      // RequestAddress) cannot be told from an earlier one of the same owner, so it stays a conflict.
      if (keyed.every(({ c }, i) => c.ownerId !== undefined && r.ranges[i]?.[0]?.value === heldValue(c))) return;
      const lost = keyed.find((_k, i) => (r.ranges[i] ?? []).length > 0) ?? keyed[0]!;
      throw new AllocationConflict(lost.c.poolId, lost.c.address);
    },

    async adoptAddress(poolId, address, row) {
      const key = keys.address(poolOf(poolId).subnet, address);
      const kv = await etcd.get(key);
      if (!kv || (JSON.parse(kv.value) as HeldValue).kind !== 'address') return false;
      const value = heldValue(row);
      // only the value read: an address released and taken by another host meanwhile stays theirs
      const r = await etcd.txn([{ key, target: 'mod', op: 'equal', revision: kv.modRevision }], [{ put: key, value }], [{ range: key }]);
      if (r.succeeded) return true;
      // sent again after a lost answer, the compare fails on this very put's revision
      return row.ownerId !== undefined && r.ranges[0]?.[0]?.value === value;
    },

    async releaseAddresses(releases) {
      for (const rel of releases) {
        const pool = mirrored(rel.poolId);
        if (!pool) continue;
        const key = keys.address(pool.subnet, rel.address);
        const kv = await etcd.get(key);
        if (!kv) continue;
        const v = JSON.parse(kv.value) as HeldValue;
        if (rel.ownerId !== undefined && v.ownerId !== rel.ownerId) continue;
        if (rel.kinds && !rel.kinds.includes(v.kind)) continue;
        // only the value read: one re-allocated meanwhile is not freed
        await etcd.txn([{ key, target: 'mod', op: 'equal', revision: kv.modRevision }], [{ delete: key }]);
      }
    },
  };
}
