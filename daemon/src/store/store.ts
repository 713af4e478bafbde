import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import type {
  AllocationRecord,
  EndpointPlacement,
  EndpointRecord,
  EndpointState,
  NetworkRecord,
  PoolRecord,
  PortRecord,
  RowState,
  SandboxOrigin,
  SandboxRecord,
} from './records.js';
import { LOCAL_ADDRESS_SPACE } from './ipam-store.js';
import { createRecordCache } from './record-cache.js';

const json = (v: unknown) => JSON.stringify(v);
const bool = (v: unknown) => v === 1 || v === true;
export type Row = Record<string, unknown>;

const toNetwork = (r: Row): NetworkRecord => ({
  id: r.id as string,
  name: r.name as string,
  driver: r.driver as string,
  created: r.created as string,
  internal: bool(r.internal),
  attachable: bool(r.attachable),
  enableIPv6: bool(r.enable_ipv6),
  predefined: bool(r.predefined),
  ipamDriver: r.ipam_driver as string,
  ipamOptions: JSON.parse(r.ipam_options as string),
  options: JSON.parse(r.options as string),
  labels: JSON.parse(r.labels as string),
  driverState: JSON.parse(r.driver_state as string),
  state: r.state as RowState,
});
export const toPool = (r: Row): PoolRecord => ({
  id: r.id as number,
  addressSpace: r.address_space as string,
  networkId: (r.network_id as string | null) ?? null,
  ...(r.requested_by ? { requestedBy: r.requested_by as string } : {}),
  options: JSON.parse(r.options as string),
  family: r.family as 4 | 6,
  subnet: r.subnet as string,
  ...(r.ip_range ? { ipRange: r.ip_range as string } : {}),
  ...(r.gateway ? { gateway: r.gateway as string } : {}),
  aux: JSON.parse(r.aux as string),
  serial: bool(r.serial),
  ...(r.cursor ? { cursor: r.cursor as string } : {}),
  userConfigured: bool(r.user_configured),
  gatewayConfigured: bool(r.gateway_configured),
});
const toSandbox = (r: Row): SandboxRecord => ({
  id: r.id as string,
  name: r.name as string,
  containerId: r.container_id as string,
  key: r.key as string,
  external: bool(r.external),
  created: r.created as string,
  state: r.state as RowState,
  ...(r.origin ? { origin: r.origin as SandboxOrigin } : {}),
});
const toEndpoint = (r: Row): EndpointRecord => ({
  id: r.id as string,
  networkId: r.network_id as string,
  name: r.name as string,
  sandboxId: (r.sandbox_id as string | null) ?? null,
  ifIndex: (r.if_index as number | null) ?? null,
  ifName: (r.if_name as string | null) ?? null,
  hostIf: (r.host_if as string | null) ?? null,
  mac: (r.mac as string | null) ?? null,
  ipv4: (r.ipv4 as string | null) ?? null,
  ipv6: (r.ipv6 as string | null) ?? null,
  aliases: JSON.parse(r.aliases as string),
  created: r.created as string,
  state: r.state as EndpointState,
});
export const toAllocation = (r: Row): AllocationRecord => ({
  poolId: r.pool_id as number,
  address: r.address as string,
  kind: r.kind as AllocationRecord['kind'],
  owner: r.owner as string,
  ...(r.owner_id ? { ownerId: r.owner_id as string } : {}),
});
const toPort = (r: Row): PortRecord => ({
  endpointId: r.endpoint_id as string,
  hostIp: r.host_ip as string,
  hostPort: r.host_port as number,
  protocol: r.protocol as PortRecord['protocol'],
  containerPort: r.container_port as number,
});

/** A pool row to insert: address space (default `LocalDefault`) and options may be left out. */
export type NewPoolRow = Omit<PoolRecord, 'id' | 'cursor' | 'addressSpace' | 'options' | 'gatewayConfigured'> &
  Partial<Pick<PoolRecord, 'addressSpace' | 'options' | 'gatewayConfigured'>>;

/**
 * A write to the rows a view is made of, told to `onWrite` listeners (caches of views): an
 * endpoint's row or its ports (`sandboxId`: the sandbox it joins, when the write names one), a
 * sandbox's row, or a network's (which may touch every endpoint: a network's removal cascades to
 * its endpoints).
 */
export type StoreWrite = { kind: 'endpoint'; id: string; sandboxId?: string | null } | { kind: 'sandbox'; id: string } | { kind: 'network' };

/** Typed access to the SQLite store; every statement prepared once. All calls are synchronous. */
export function createStore(db: Db) {
  const cache = createRecordCache();
  // every statement, the store's own and the other stores', through the cache's guard
  const q = (sql: string): Database.Statement => cache.guard(sql, db.prepare(sql));
  const writeListeners = new Set<(w: StoreWrite) => void>();
  const wrote = (w: StoreWrite) => {
    for (const listener of writeListeners) listener(w);
  };
  const s = {
    netAll: q('SELECT * FROM networks ORDER BY created, name'),
    netStates: q('SELECT id, state FROM networks ORDER BY created, name'),
    netById: q('SELECT * FROM networks WHERE id = ?'),
    netByName: q('SELECT * FROM networks WHERE name = ?'),
    netByPrefix: q("SELECT * FROM networks WHERE id LIKE ? || '%'"),
    netInsert: q(`INSERT INTO networks (id, name, driver, created, internal, attachable, enable_ipv6, predefined,
      ipam_driver, ipam_options, options, labels, driver_state, state)
      VALUES (@id, @name, @driver, @created, @internal, @attachable, @enableIPv6, @predefined,
      @ipamDriver, @ipamOptions, @options, @labels, @driverState, @state)`),
    netState: q('UPDATE networks SET state = ? WHERE id = ?'),
    netDriverState: q('UPDATE networks SET driver_state = ? WHERE id = ?'),
    netDelete: q('DELETE FROM networks WHERE id = ?'),
    netSignature: q("SELECT count(*) AS n, coalesce(group_concat(id || '/' || state, ','), '') AS sig FROM networks"),
    poolInsert: q(`INSERT INTO pools (address_space, network_id, requested_by, family, subnet, ip_range, gateway, aux, serial, user_configured, gateway_configured, options)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    poolsOf: q('SELECT * FROM pools WHERE network_id = ? ORDER BY family, id'),
    poolsAll: q('SELECT * FROM pools ORDER BY id'),
    poolsOfNetworks: q('SELECT * FROM pools WHERE network_id IS NOT NULL ORDER BY network_id, family, id'),
    poolCursor: q('UPDATE pools SET cursor = ? WHERE id = ?'),
    allocInsert: q('INSERT INTO allocations (pool_id, address, kind, owner, owner_id) VALUES (?, ?, ?, ?, ?)'),
    allocDelete: q('DELETE FROM allocations WHERE pool_id = ? AND address = ?'),
    allocOfPool: q('SELECT * FROM allocations WHERE pool_id = ? ORDER BY address'),
    allocAll: q('SELECT * FROM allocations'),
    allocDeleteOwner: q('DELETE FROM allocations WHERE owner_id = ?'),
    sbAll: q('SELECT * FROM sandboxes ORDER BY created, name'),
    sbUnsettled: q("SELECT * FROM sandboxes WHERE state != 'ready' ORDER BY created, name"),
    sbById: q('SELECT * FROM sandboxes WHERE id = ?'),
    sbByName: q('SELECT * FROM sandboxes WHERE name = ?'),
    sbByContainer: q('SELECT * FROM sandboxes WHERE container_id = ? LIMIT 2'),
    sbByPrefix: q("SELECT * FROM sandboxes WHERE id LIKE ? || '%'"),
    sbByOrigin: q('SELECT * FROM sandboxes WHERE origin = ? AND container_id = ?'),
    sbWithOrigin: q('SELECT * FROM sandboxes WHERE origin IS NOT NULL'),
    sbInsert: q(`INSERT INTO sandboxes (id, name, container_id, key, external, created, state, origin)
      VALUES (@id, @name, @containerId, @key, @external, @created, @state, @origin)`),
    sbState: q('UPDATE sandboxes SET state = ? WHERE id = ?'),
    sbDelete: q('DELETE FROM sandboxes WHERE id = ?'),
    epAll: q('SELECT * FROM endpoints ORDER BY created, name'),
    epUnsettled: q("SELECT * FROM endpoints WHERE state != 'ready' ORDER BY created, name"),
    epById: q('SELECT * FROM endpoints WHERE id = ?'),
    epIds: q('SELECT id FROM endpoints').pluck(),
    epIdsOrdered: q('SELECT id FROM endpoints ORDER BY created, name').pluck(),
    epIdsOfNet: q('SELECT id FROM endpoints WHERE network_id = ? ORDER BY created, name').pluck(),
    sbIdsOrdered: q('SELECT id FROM sandboxes ORDER BY created, name').pluck(),
    epByPrefix: q("SELECT * FROM endpoints WHERE id LIKE ? || '%'"),
    epOfNet: q('SELECT * FROM endpoints WHERE network_id = ? ORDER BY created, name'),
    epByNetName: q('SELECT * FROM endpoints WHERE network_id = ? AND name = ?'),
    epOfSandbox: q('SELECT * FROM endpoints WHERE sandbox_id = ? ORDER BY if_index'),
    epCountOfNet: q('SELECT COUNT(*) AS n FROM endpoints WHERE network_id = ?'),
    counts: q(`SELECT (SELECT COUNT(*) FROM networks WHERE state = 'ready') AS networks, (SELECT COUNT(*) FROM sandboxes) AS sandboxes,
      (SELECT COUNT(*) FROM endpoints) AS endpoints`),
    epInsert: q(`INSERT INTO endpoints (id, network_id, name, sandbox_id, if_index, if_name, host_if, mac, ipv4, ipv6, aliases, created, state)
      VALUES (@id, @networkId, @name, @sandboxId, @ifIndex, @ifName, @hostIf, @mac, @ipv4, @ipv6, @aliases, @created, @state)`),
    epAttach: q('UPDATE endpoints SET sandbox_id = @sandboxId, if_index = @ifIndex, if_name = @ifName, host_if = @hostIf, state = @state WHERE id = @id'),
    epState: q('UPDATE endpoints SET state = ? WHERE id = ?'),
    epDelete: q('DELETE FROM endpoints WHERE id = ?'),
    portInsert: q('INSERT INTO ports (endpoint_id, host_ip, host_port, protocol, container_port) VALUES (?, ?, ?, ?, ?)'),
    portsOf: q('SELECT * FROM ports WHERE endpoint_id = ? ORDER BY protocol, host_port'),
    hasPorts: q('SELECT 1 FROM ports WHERE endpoint_id = ? LIMIT 1').pluck(),
    portsAll: q('SELECT * FROM ports ORDER BY endpoint_id, protocol, host_port'),
    portsOnHostPort: q('SELECT * FROM ports WHERE host_port = ? AND protocol = ?'),
    portsJoined: q(`SELECT p.*, e.network_id, e.ipv4, e.ipv6 FROM ports p JOIN endpoints e ON e.id = p.endpoint_id
      WHERE (e.sandbox_id IS NOT NULL OR e.host_if IS NOT NULL) ORDER BY p.host_port, p.protocol, p.host_ip`),
  };

  const one = <T>(stmt: { get: (...a: unknown[]) => unknown }, map: (r: Row) => T, ...args: unknown[]) => {
    const r = stmt.get(...args) as Row | undefined;
    return r ? map(r) : undefined;
  };
  const many = <T>(stmt: { all: (...a: unknown[]) => unknown[] }, map: (r: Row) => T, ...args: unknown[]) =>
    (stmt.all(...args) as Row[]).map(map);

  return {
    db: db as Database.Database,
    tx: <T>(fn: () => T): T => {
      try {
        return db.transaction(fn)();
      } catch (err) {
        // rolled back: what was read inside it may be gone
        cache.forget();
        throw err;
      }
    },
    /** A statement on the store's database for the other stores (IPAM, plugin networks); one that writes networks or pools keeps the record cache true. */
    prepare: q,
    /** Calls `listener` after every write through this store to endpoints, ports, sandboxes or networks; returns the unsubscribe. */
    onWrite(listener: (w: StoreWrite) => void): () => void {
      writeListeners.add(listener);
      return () => void writeListeners.delete(listener);
    },

    networks: () => many(s.netAll, toNetwork),
    networkById: (id: string) => cache.network(id, () => one(s.netById, toNetwork, id)),
    networkByName: (name: string) => one(s.netByName, toNetwork, name),
    networksByIdPrefix: (prefix: string) => many(s.netByPrefix, toNetwork, prefix),
    insertNetwork: (n: NetworkRecord) => {
      s.netInsert.run({
        ...n,
        internal: +n.internal,
        attachable: +n.attachable,
        enableIPv6: +n.enableIPv6,
        predefined: +n.predefined,
        ipamOptions: json(n.ipamOptions),
        options: json(n.options),
        labels: json(n.labels),
        driverState: json(n.driverState),
      });
      wrote({ kind: 'network' });
    },
    setNetworkState: (id: string, state: RowState) => {
      s.netState.run(state, id);
      wrote({ kind: 'network' });
    },
    setNetworkDriverState: (id: string, st: Record<string, unknown>) => s.netDriverState.run(json(st), id),
    deleteNetwork: (id: string) => {
      s.netDelete.run(id);
      wrote({ kind: 'network' });
    },
    /** Changes whenever a network is added, removed or changes state (networks are otherwise immutable). */
    /** Each network's id and state, in the order of networks(): a cheap listing. */
    networkStates: () => s.netStates.all() as { id: string; state: RowState }[],
    networksSignature: () => {
      const r = s.netSignature.get() as { n: number; sig: string };
      return `${r.n}:${r.sig}`;
    },

    insertPool: (p: NewPoolRow) =>
      Number(
        s.poolInsert.run(
          p.addressSpace ?? LOCAL_ADDRESS_SPACE,
          p.networkId,
          p.requestedBy ?? null,
          p.family,
          p.subnet,
          p.ipRange ?? null,
          p.gateway ?? null,
          json(p.aux),
          +p.serial,
          +p.userConfigured,
          +(p.gatewayConfigured ?? true),
          json(p.options ?? {}),
        ).lastInsertRowid,
      ),
    poolsOf: (networkId: string) => cache.pools(networkId, () => many(s.poolsOf, toPool, networkId)),
    pools: () => many(s.poolsAll, toPool),
    /** Every network's pools (as poolsOf gives them) in one query: for work over all networks. */
    poolsByNetwork: (): Map<string, PoolRecord[]> => {
      const byNetwork = new Map<string, PoolRecord[]>();
      for (const p of many(s.poolsOfNetworks, toPool)) {
        const list = byNetwork.get(p.networkId!);
        if (list) list.push(p);
        else byNetwork.set(p.networkId!, [p]);
      }
      return byNetwork;
    },
    setPoolCursor: (id: number, cursor: string | null) => s.poolCursor.run(cursor, id),

    insertAllocation: (a: AllocationRecord) => s.allocInsert.run(a.poolId, a.address, a.kind, a.owner, a.ownerId ?? null),
    deleteAllocation: (poolId: number, address: string) => s.allocDelete.run(poolId, address),
    allocationsOf: (poolId: number) => many(s.allocOfPool, toAllocation, poolId),
    allocations: () => many(s.allocAll, toAllocation),

    sandboxes: () => many(s.sbAll, toSandbox),
    /** Sandboxes whose create or delete was interrupted (state not ready), in the order of sandboxes(). */
    unsettledSandboxes: () => many(s.sbUnsettled, toSandbox),
    sandboxById: (id: string) => one(s.sbById, toSandbox, id),
    sandboxByName: (name: string) => one(s.sbByName, toSandbox, name),
    sandboxesByContainer: (cid: string) => many(s.sbByContainer, toSandbox, cid),
    sandboxesByIdPrefix: (prefix: string) => many(s.sbByPrefix, toSandbox, prefix),
    /** The sandbox a front door made for a container (at most one per origin and container id). */
    sandboxByOrigin: (origin: SandboxOrigin, containerId: string) => one(s.sbByOrigin, toSandbox, origin, containerId),
    /** The sandboxes a front door made (origin set): few, whatever the number of sandboxes. */
    sandboxesWithOrigin: () => many(s.sbWithOrigin, toSandbox),
    insertSandbox: (sb: SandboxRecord) => {
      s.sbInsert.run({ ...sb, external: +sb.external, origin: sb.origin ?? null });
      wrote({ kind: 'sandbox', id: sb.id });
    },
    setSandboxState: (id: string, state: RowState) => {
      s.sbState.run(state, id);
      wrote({ kind: 'sandbox', id });
    },
    deleteSandbox: (id: string) => {
      s.sbDelete.run(id);
      wrote({ kind: 'sandbox', id });
    },
    /** Every sandbox's id in the order of sandboxes() (no rows decoded). */
    sandboxIds: () => s.sbIdsOrdered.all() as string[],

    endpoints: () => many(s.epAll, toEndpoint),
    /** Endpoints whose connect, join, leave or delete was interrupted (state not ready), in the order of endpoints(). */
    unsettledEndpoints: () => many(s.epUnsettled, toEndpoint),
    endpointById: (id: string) => one(s.epById, toEndpoint, id),
    /** The id of every endpoint (one query, no rows decoded). */
    endpointIds: () => new Set(s.epIds.all() as string[]),
    /** The ids of endpoints() (or of endpointsOf(networkId)) in their order, no rows decoded. */
    endpointIdsInOrder: (networkId?: string) => (networkId === undefined ? s.epIdsOrdered.all() : s.epIdsOfNet.all(networkId)) as string[],
    endpointsByIdPrefix: (prefix: string) => many(s.epByPrefix, toEndpoint, prefix),
    endpointsOf: (networkId: string) => many(s.epOfNet, toEndpoint, networkId),
    endpointByName: (networkId: string, name: string) => one(s.epByNetName, toEndpoint, networkId, name),
    endpointsInSandbox: (sandboxId: string) => many(s.epOfSandbox, toEndpoint, sandboxId),
    endpointCount: (networkId: string) => (s.epCountOfNet.get(networkId) as { n: number }).n,
    /** How many ready networks, sandboxes and endpoints there are (the lists' lengths, without reading the rows). */
    counts: () => s.counts.get() as { networks: number; sandboxes: number; endpoints: number },
    insertEndpoint: (e: EndpointRecord) => {
      s.epInsert.run({ ...e, aliases: json(e.aliases) });
      wrote({ kind: 'endpoint', id: e.id, sandboxId: e.sandboxId });
    },
    /** Records where the endpoint is joined (or, with DETACHED, that it is not). */
    attachEndpoint: (id: string, at: EndpointPlacement, state: EndpointState) => {
      s.epAttach.run({ id, ...at, state });
      wrote({ kind: 'endpoint', id, sandboxId: at.sandboxId });
    },
    setEndpointState: (id: string, state: EndpointState) => {
      s.epState.run(state, id);
      wrote({ kind: 'endpoint', id });
    },
    /** Deletes the endpoint with its ports and address allocations. */
    deleteEndpoint: (id: string) => {
      s.allocDeleteOwner.run(id);
      s.epDelete.run(id);
      wrote({ kind: 'endpoint', id });
    },

    insertPort: (p: PortRecord) => {
      s.portInsert.run(p.endpointId, p.hostIp, p.hostPort, p.protocol, p.containerPort);
      wrote({ kind: 'endpoint', id: p.endpointId });
    },
    portsOf: (endpointId: string) => many(s.portsOf, toPort, endpointId),
    hasPorts: (endpointId: string) => s.hasPorts.get(endpointId) !== undefined,
    /** Every port, each endpoint's in the order portsOf gives them. */
    ports: () => many(s.portsAll, toPort),
    portsOnHostPort: (hostPort: number, protocol: string) => many(s.portsOnHostPort, toPort, hostPort, protocol),
    /** Ports of joined endpoints with the endpoint's network and addresses (what the firewall publishes). */
    publishedPorts: () =>
      many(s.portsJoined, (r) => ({
        ...toPort(r),
        networkId: r.network_id as string,
        ipv4: (r.ipv4 as string | null) ?? null,
        ipv6: (r.ipv6 as string | null) ?? null,
      })),
  };
}
export type Store = ReturnType<typeof createStore>;
