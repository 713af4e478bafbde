import { PatchbayError } from '@patchbay/errors';
import { defaultLocalPools, type AddressAllocator, type PoolDef } from '@patchbay/ipam';
import type { Kernel } from '@patchbay/kernel';
import { pino, type Logger } from 'pino';
import { createSqliteIpamStore, type IpamStore, type PoolRecord, type Store } from '../store/index.js';
import { createIpamContext, prefixOf, type AddressWish } from './ipam/context.js';
import { createNetworkPools } from './ipam/network-pools.js';
import { planOrphanAllocations } from './ipam/orphans.js';
import { createIpamRequests } from './ipam/requests.js';

export type { PlannedPool, PoolRequest } from './ipam/network-pools.js';
export type { RequestAddressInput, RequestedAddress, RequestedPool, RequestPoolInput } from './ipam/requests.js';
export { GATEWAY_ADDRESS_TYPE, REQUEST_ADDRESS_TYPE } from './ipam/requests.js';

/** An endpoint's claimed addresses (CIDR form); `undo` gives them back if its row cannot be written. */
export interface EndpointAddresses {
  ipv4?: string;
  ipv6?: string;
  /** Gives the addresses back (store, then cache) and ends the claim. */
  undo(): Promise<void>;
  /** The endpoint's row is written: the claim ends (reconcile may judge the addresses again). */
  done(): void;
}

export interface IpamServiceOptions {
  log?: Logger;
  /** the IPAM stores per address space; default the SQLite store of the local one */
  stores?: IpamStore[];
}

/**
 * The daemon's IPAM. Pools and allocations live in IPAM stores (one per address space, see
 * `store/ipam-store.ts`), the authority; in-memory allocators are a cache of their rows. Pools
 * can exist before a network (requestPool, Docker's RequestPool) and a network adopts them, or a
 * network makes its own. Every change is committed in the store before the caller writes its own
 * rows, never inside a SQLite transaction.
 */
export function createIpamService(store: Store, kernel: Kernel, defaultPools: PoolDef[], opts: IpamServiceOptions = {}) {
  const log = opts.log ?? pino({ level: 'silent' });
  const ctx = createIpamContext(store, opts.stores ?? [createSqliteIpamStore(store)], log);
  const pools = defaultPools.length > 0 ? defaultPools : defaultLocalPools();
  /** endpoints whose addresses are claimed but whose row is not written yet */
  const inFlight = new Set<string>();

  /** dockerd's words for a requested address outside every subnet of the network (libnetwork's endpoint.go) */
  function outsideSubnetsInDockerWords(err: unknown, requested: { ipv4?: string | undefined; ipv6?: string | undefined }): unknown {
    if (!(err instanceof PatchbayError) || err.code !== 'PB_ERR_IP_OUT_OF_RANGE') return err;
    const want = [requested.ipv4, requested.ipv6].find((a) => a !== undefined && err.message.startsWith(`requested address ${a} `));
    if (!want) return err;
    const dockerMessage = `Invalid address ${want}: It does not belong to any of this network's subnets`;
    return new PatchbayError(err.code, err.message, { cause: err.cause, details: { ...err.details, dockerMessage } });
  }

  /** The pool's cached allocator, built synchronously from the local rows (views, tests). */
  const allocatorOf = (pool: PoolRecord, networkName: string): AddressAllocator =>
    ctx.cache.get(pool, networkName, () => store.allocationsOf(pool.id));

  /**
   * Claim the endpoint's addresses (requested or dynamic) in the IPAM store, committed before the
   * endpoint's row is written; `undo()` gives them back when that write fails. A crash in between
   * leaves addresses no endpoint owns: reconcile's orphan-allocation repair frees them.
   */
  async function allocateEndpoint(
    networkId: string,
    networkName: string,
    endpoint: { id: string; name: string },
    requested: { ipv4?: string | undefined; ipv6?: string | undefined },
    opts: { adopt?: boolean } = {},
  ): Promise<EndpointAddresses> {
    const netPools = store.poolsOf(networkId);
    const wishes: AddressWish[] = netPools.map((pool) => ({
      pool,
      want: pool.family === 4 ? requested.ipv4 : requested.ipv6,
      row: { kind: 'endpoint', owner: endpoint.name, ownerId: endpoint.id },
    }));
    for (const [family, want] of [[4, requested.ipv4], [6, requested.ipv6]] as const) {
      if (want && !netPools.some((p) => p.family === family)) {
        throw new PatchbayError('PB_ERR_INVALID_ADDRESS', `network ${networkName} has no IPv${family} subnet for address ${want}`);
      }
    }
    inFlight.add(endpoint.id);
    const addresses = new Map<AddressWish, string>();
    try {
      const toClaim: AddressWish[] = [];
      for (const w of wishes) {
        const adopted = opts.adopt && w.want ? await ctx.adopt(w.pool, w.want, w.row) : undefined;
        if (adopted) addresses.set(w, adopted);
        else toClaim.push(w);
      }
      const claimed = await ctx.claim(toClaim, networkName).catch(async (err: unknown) => {
        for (const [w, address] of addresses) await ctx.release(w.pool, [address], { ownerId: endpoint.id, kinds: ['endpoint'] });
        throw err;
      });
      toClaim.forEach((w, i) => addresses.set(w, claimed[i]!));
    } catch (err) {
      inFlight.delete(endpoint.id);
      throw outsideSubnetsInDockerWords(err, requested);
    }
    const result: EndpointAddresses = {
      undo: async () => {
        try {
          for (const [w, address] of addresses) await ctx.release(w.pool, [address], { ownerId: endpoint.id, kinds: ['endpoint'] });
        } finally {
          inFlight.delete(endpoint.id);
        }
      },
      done: () => inFlight.delete(endpoint.id),
    };
    for (const [w, address] of addresses) result[w.pool.family === 4 ? 'ipv4' : 'ipv6'] = `${address}/${prefixOf(w.pool)}`;
    return result;
  }

  /**
   * Give a removed endpoint's addresses back. Call it after the endpoint's row is gone (a local
   * store freed its rows with it). Never rejects: a store that fails leaves an orphan allocation,
   * which reconcile frees; the returned promise settles when the store is done.
   */
  function releaseEndpoint(networkId: string, networkName: string, addresses: (string | null)[]): Promise<void> {
    const work = store.poolsOf(networkId).flatMap((pool) => {
      const mine = addresses.filter((cidr): cidr is string => !!cidr && cidr.includes(':') === (pool.family === 6)).map((cidr) => cidr.split('/')[0]!);
      return mine.length > 0 ? [ctx.release(pool, mine, { kinds: ['endpoint'] })] : [];
    });
    return Promise.all(work).then(
      () => undefined,
      (err: unknown) => log.error({ err, network: networkName, addresses }, 'ipam: could not free addresses in the store; reconcile will'),
    );
  }

  return {
    ...createNetworkPools(ctx, kernel, pools),
    ...createIpamRequests(ctx, kernel, pools),
    allocateEndpoint,
    releaseEndpoint,
    allocatorOf,
    /** Reconcile's planner: endpoint addresses no endpoint owns (none that is being created). */
    planOrphanAllocations: () => planOrphanAllocations(ctx, inFlight),
  };
}
export type IpamService = ReturnType<typeof createIpamService>;
