import type { EndpointRecord, NetworkRecord, SandboxRecord } from '../store/index.js';
import type { Core } from './core.js';
import { driverNetwork, driverSandbox, joinedEndpoint } from './driver-objects.js';

/**
 * Forget an endpoint: its row, ports and address rows in one transaction, then its addresses in
 * the allocators. The returned promise (which never rejects) settles when the IPAM store freed
 * the addresses: at once for the local store; a cluster store's round trip for a global network,
 * which a request waits for so that what it returns is what every host sees.
 */
export function dropEndpoint(core: Core, net: NetworkRecord, ep: EndpointRecord): Promise<void> {
  core.store.tx(() => core.store.deleteEndpoint(ep.id));
  return core.ipam.releaseEndpoint(net.id, net.name, [ep.ipv4, ep.ipv6]);
}

/**
 * Remove whatever a join of `ep` left in the kernel, through its driver (after a crash, for a
 * vanished sandbox, a forced disconnect, a re-join); "already gone" is success. `sb` is omitted
 * when its namespace is gone or the endpoint never reached one.
 */
export async function tearDownJoin(core: Core, net: NetworkRecord, ep: EndpointRecord, sb?: SandboxRecord): Promise<void> {
  const driver = core.registry.get(net.driver);
  await driver.teardownEndpoint?.(driverNetwork(core.store, net), joinedEndpoint(ep), sb ? driverSandbox(sb) : undefined, core.driverCtx);
}
