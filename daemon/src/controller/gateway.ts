import type { DriverRegistry } from '@patchbay/drivers';
import type { EndpointRecord, NetworkRecord, PoolRecord, Store } from '../store/index.js';

interface Candidate {
  endpoint: EndpointRecord;
  network: NetworkRecord;
  hasV4Gateway: boolean;
  hasV6Gateway: boolean;
  providesGateway: boolean;
}

/**
 * libnetwork's election of the endpoint that gives a sandbox its default route: not internal
 * first, then the higher gateway score (IPv4 gateway 1, IPv6 gateway 2), then network name.
 */
export function electGateway(candidates: Candidate[]): EndpointRecord | undefined {
  const eligible = candidates.filter((c) => c.providesGateway);
  eligible.sort((a, b) => {
    if (a.network.internal !== b.network.internal) return a.network.internal ? 1 : -1;
    const score = (c: Candidate) => (c.hasV4Gateway ? 1 : 0) + (c.hasV6Gateway ? 2 : 0);
    if (score(a) !== score(b)) return score(b) - score(a);
    return a.network.name < b.network.name ? -1 : a.network.name > b.network.name ? 1 : 0;
  });
  return eligible[0]?.endpoint;
}

/** Where the election finds networks and their pools: the store, or rows loaded once for many sandboxes. */
export interface GatewayLookups {
  network(id: string): NetworkRecord;
  pools(networkId: string): readonly PoolRecord[];
}

export const storeLookups = (store: Store): GatewayLookups => ({ network: (id) => store.networkById(id)!, pools: (id) => store.poolsOf(id) });

/** The gateway endpoint among `endpoints` (a sandbox's joined endpoints, as stored or as planned). */
export function electSandboxGateway(store: Store, registry: DriverRegistry, endpoints: readonly EndpointRecord[], look: GatewayLookups = storeLookups(store)): EndpointRecord | undefined {
  return electGateway(
    endpoints.map((endpoint) => {
      const network = look.network(endpoint.networkId);
      const pools = look.pools(network.id);
      const hasV4Gateway = pools.some((p) => p.family === 4 && p.gateway);
      const hasV6Gateway = pools.some((p) => p.family === 6 && p.gateway);
      const providesGateway = !!registry.get(network.driver).gatewayOps && !network.internal && (hasV4Gateway || hasV6Gateway);
      return { endpoint, network, hasV4Gateway, hasV6Gateway, providesGateway };
    }),
  );
}
