import { invalid } from '@patchbay/errors';
import { isIPv4, isIPv6 } from 'node:net';
import { canonicalAddress, canonicalName, SEARCH_DOMAIN, shortContainerId, stripSearchDomain } from './names.js';

/** What one endpoint publishes on its network. */
export interface EndpointNames {
  endpointId: string;
  /**
   * The sandbox the endpoint is joined to. A client on several networks resolves the names of all
   * of them through any of their servers (as with Docker and aardvark-dns), never other networks'.
   */
  sandboxId?: string;
  /** The sandbox's or container's name first (it becomes the PTR target), then aliases. */
  names: readonly string[];
  /** A full container id; its first 12 hex digits resolve too, as in Docker. */
  containerId?: string;
  /** `10.0.0.5` or `10.0.0.5/24` (the prefix is ignored). */
  ipv4?: string;
  ipv6?: string;
}

/** The stored, normalised form of an endpoint's record. */
export interface EndpointEntry {
  endpointId: string;
  sandboxId?: string;
  names: string[];
  ipv4?: string;
  ipv6?: string;
}

interface NameEntry {
  endpoints: Set<string>;
  /** Advances on every answer, so each endpoint sharing the name comes first in turn. */
  turn: number;
}

interface NetworkRecords {
  endpoints: Map<string, EndpointEntry>;
  byName: Map<string, NameEntry>;
  byAddress: Map<string, string>;
}

export type AddressFamily = 4 | 6;

/**
 * Per network: names → addresses and addresses → name. Names are case-insensitive and resolve
 * with or without the search domain; several endpoints sharing a name (an alias) all answer, in
 * an order that rotates from one query to the next (Docker shuffles; rotation is the same load
 * spreading, deterministically).
 */
export interface RecordIndex {
  upsertEndpoint(networkId: string, endpoint: EndpointNames): void;
  removeEndpoint(networkId: string, endpointId: string): void;
  removeNetwork(networkId: string): void;
  /** The addresses of `name` (undefined: the name does not exist; []: it exists, not in that family). */
  lookup(networkId: string, name: string, family: AddressFamily): string[] | undefined;
  /** The fully qualified name an address belongs to, for PTR. */
  reverse(networkId: string, address: string): string | undefined;
  /**
   * The networks whose names a client of `networkId`'s server sees: that network first, then the
   * other networks of the sandbox whose endpoint has `client` as address there.
   */
  networksOf(networkId: string, client: string): string[];
  endpoints(networkId: string): EndpointEntry[];
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Names that cannot be DNS names (too long, odd characters) are not published. */
function dnsName(name: string): string | undefined {
  const n = stripSearchDomain(canonicalName(name.trim()));
  if (n.length === 0 || n.length > 253) return undefined;
  return n.split('.').every((label) => LABEL.test(label)) ? n : undefined;
}

function address(value: string | undefined, family: AddressFamily, endpointId: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const bare = value.split('/')[0]!;
  const ok = family === 4 ? isIPv4(bare) : isIPv6(bare);
  if (!ok) throw invalid(`DNS record of endpoint ${endpointId}: "${value}" is not an IPv${family} address`, 'PB_ERR_INVALID_ADDRESS');
  return bare;
}

export function createRecordIndex(): RecordIndex {
  const networks = new Map<string, NetworkRecords>();
  /** sandbox → network → how many of its endpoints are there */
  const sandboxes = new Map<string, Map<string, number>>();

  const countSandbox = (sandboxId: string | undefined, networkId: string, delta: 1 | -1) => {
    if (sandboxId === undefined) return;
    const nets = sandboxes.get(sandboxId) ?? new Map<string, number>();
    const count = (nets.get(networkId) ?? 0) + delta;
    if (count > 0) nets.set(networkId, count);
    else nets.delete(networkId);
    if (nets.size > 0) sandboxes.set(sandboxId, nets);
    else sandboxes.delete(sandboxId);
  };

  const network = (id: string): NetworkRecords => {
    let n = networks.get(id);
    if (!n) {
      n = { endpoints: new Map(), byName: new Map(), byAddress: new Map() };
      networks.set(id, n);
    }
    return n;
  };

  const unlink = (networkId: string, n: NetworkRecords, entry: EndpointEntry) => {
    countSandbox(entry.sandboxId, networkId, -1);
    for (const name of entry.names) {
      const e = n.byName.get(name);
      e?.endpoints.delete(entry.endpointId);
      if (e && e.endpoints.size === 0) n.byName.delete(name);
    }
    for (const a of [entry.ipv4, entry.ipv6]) {
      const key = a === undefined ? undefined : canonicalAddress(a);
      if (key !== undefined && n.byAddress.get(key) === entry.endpointId) n.byAddress.delete(key);
    }
    n.endpoints.delete(entry.endpointId);
  };

  return {
    upsertEndpoint(networkId, ep) {
      const ipv4 = address(ep.ipv4, 4, ep.endpointId);
      const ipv6 = address(ep.ipv6, 6, ep.endpointId);
      const names = [...ep.names.map(dnsName), ep.containerId === undefined ? undefined : shortContainerId(ep.containerId)];
      const unique = [...new Set(names.filter((x): x is string => x !== undefined))];
      const n = network(networkId);
      const old = n.endpoints.get(ep.endpointId);
      if (old) unlink(networkId, n, old);
      const entry: EndpointEntry = { endpointId: ep.endpointId, ...(ep.sandboxId !== undefined && { sandboxId: ep.sandboxId }), names: unique, ...(ipv4 && { ipv4 }), ...(ipv6 && { ipv6 }) };
      n.endpoints.set(ep.endpointId, entry);
      countSandbox(entry.sandboxId, networkId, 1);
      for (const name of unique) {
        const e = n.byName.get(name) ?? { endpoints: new Set<string>(), turn: 0 };
        e.endpoints.add(ep.endpointId);
        n.byName.set(name, e);
      }
      for (const a of [ipv4, ipv6]) if (a !== undefined) n.byAddress.set(canonicalAddress(a)!, ep.endpointId);
    },

    removeEndpoint(networkId, endpointId) {
      const n = networks.get(networkId);
      const entry = n?.endpoints.get(endpointId);
      if (n && entry) unlink(networkId, n, entry);
    },

    removeNetwork(networkId) {
      const n = networks.get(networkId);
      for (const entry of n?.endpoints.values() ?? []) countSandbox(entry.sandboxId, networkId, -1);
      networks.delete(networkId);
    },

    lookup(networkId, name, family) {
      const n = networks.get(networkId);
      const e = n?.byName.get(stripSearchDomain(canonicalName(name)));
      if (!n || !e) return undefined;
      const found: string[] = [];
      for (const id of e.endpoints) {
        const a = family === 4 ? n.endpoints.get(id)?.ipv4 : n.endpoints.get(id)?.ipv6;
        if (a !== undefined) found.push(a);
      }
      if (found.length < 2) return found;
      const start = e.turn++ % found.length;
      return [...found.slice(start), ...found.slice(0, start)];
    },

    reverse(networkId, addr) {
      const n = networks.get(networkId);
      const key = canonicalAddress(addr);
      const id = key === undefined ? undefined : n?.byAddress.get(key);
      const first = id === undefined ? undefined : n?.endpoints.get(id)?.names[0];
      return first === undefined ? undefined : `${first}.${SEARCH_DOMAIN}`;
    },

    networksOf(networkId, client) {
      const n = networks.get(networkId);
      const key = canonicalAddress(client);
      const id = key === undefined ? undefined : n?.byAddress.get(key);
      const sandboxId = id === undefined ? undefined : n?.endpoints.get(id)?.sandboxId;
      const others = sandboxId === undefined ? [] : [...(sandboxes.get(sandboxId)?.keys() ?? [])].filter((x) => x !== networkId);
      return [networkId, ...others];
    },

    endpoints(networkId) {
      return [...(networks.get(networkId)?.endpoints.values() ?? [])].map((e) => ({ ...e, names: [...e.names] }));
    },
  };
}
