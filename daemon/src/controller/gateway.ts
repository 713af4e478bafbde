import type { EndpointRecord, NetworkRecord } from '../store/index.js';

/**
 * libnetwork's election of the endpoint that gives a sandbox its default route: not internal
 * first, then the higher gateway score (IPv4 gateway 1, IPv6 gateway 2), then network name.
 */
export function electGateway(
  candidates: { endpoint: EndpointRecord; network: NetworkRecord; hasV4Gateway: boolean; hasV6Gateway: boolean; providesGateway: boolean }[],
): EndpointRecord | undefined {
  const eligible = candidates.filter((c) => c.providesGateway);
  eligible.sort((a, b) => {
    if (a.network.internal !== b.network.internal) return a.network.internal ? 1 : -1;
    const score = (c: (typeof eligible)[number]) => (c.hasV4Gateway ? 1 : 0) + (c.hasV6Gateway ? 2 : 0);
    if (score(a) !== score(b)) return score(b) - score(a);
    return a.network.name < b.network.name ? -1 : a.network.name > b.network.name ? 1 : 0;
  });
  return eligible[0]?.endpoint;
}
