import type { DriverEndpoint, DriverNetwork, DriverSandbox, JoinedEndpoint } from '@patchbay/drivers';
import type { EndpointRecord, NetworkRecord, PoolRecord, SandboxRecord, Store } from '../store/index.js';

export const DEFAULT_NETWORK = 'bridge';

/**
 * The driver's view of a stored network (the first pool of each family gives its addresses);
 * `pools`: the network's pools when the caller already has them (store.poolsByNetwork).
 */
export function driverNetwork(store: Store, net: NetworkRecord, pools: readonly PoolRecord[] = store.poolsOf(net.id)): DriverNetwork {
  const v4 = pools.find((p) => p.family === 4);
  const v6 = pools.find((p) => p.family === 6);
  return {
    id: net.id,
    name: net.name,
    options: net.options,
    internal: net.internal,
    isDefault: net.name === DEFAULT_NETWORK && net.predefined,
    ...(v4 ? { ipv4: { subnet: v4.subnet, ...(v4.gateway ? { gateway: v4.gateway } : {}) } } : {}),
    ...(v6 ? { ipv6: { subnet: v6.subnet, ...(v6.gateway ? { gateway: v6.gateway } : {}) } } : {}),
    state: net.driverState,
  };
}

export const driverEndpoint = (ep: EndpointRecord): DriverEndpoint => ({
  id: ep.id,
  ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}),
  ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}),
  ...(ep.mac ? { mac: ep.mac } : {}),
});

export const joinedEndpoint = (ep: EndpointRecord): JoinedEndpoint => ({ ...driverEndpoint(ep), hostIf: ep.hostIf, ifName: ep.ifName });

export const driverSandbox = (sb: SandboxRecord): DriverSandbox => ({ id: sb.id, key: sb.key });
