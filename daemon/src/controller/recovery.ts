import { DETACHED } from '../store/index.js';
import type { Core } from './core.js';
import { driverNetwork } from './driver-objects.js';
import { dropEndpoint, tearDownJoin } from './endpoint-drop.js';
import { sandboxNetnsName } from './sandboxes.js';
import { namespacePresent } from './vanished.js';

/**
 * Finish or undo what a crash interrupted. Rows carry their intent (state creating / joining /
 * leaving / deleting) from before the kernel was touched, and every teardown is idempotent,
 * so re-running it is always safe. Returns a description of every repair, for the log.
 */
export async function recoverInterrupted(core: Core): Promise<string[]> {
  const { store, kernel, registry, ipam } = core;
  const repairs: string[] = [];
  const netnsNames = new Set(await kernel.netnsList());
  /**
   * The sandbox an interrupted join went into, while its namespace exists: a driver whose link
   * lives only there (macvlan, ipvlan: no host side) can remove it only from inside.
   */
  const sandboxOf = async (id: string | null) => {
    const sb = id ? store.sandboxById(id) : undefined;
    return sb && (await namespacePresent(core, sb, netnsNames, sandboxNetnsName(sb.id))) ? sb : undefined;
  };

  // (only the unsettled rows: a start with 10,000 endpoints does not read them all here)
  for (const ep of store.unsettledEndpoints()) {
    const net = store.networkById(ep.networkId)!;
    // An interrupted connect (creating) or disconnect (deleting): the endpoint goes with its join.
    if (ep.state === 'creating' || ep.state === 'deleting') {
      await tearDownJoin(core, net, ep, await sandboxOf(ep.sandboxId));
      dropEndpoint(core, net, ep);
      repairs.push(`endpoint ${ep.name}: interrupted ${ep.state === 'creating' ? 'connect undone' : 'disconnect completed'}`);
    } else if (ep.state === 'joining' || ep.state === 'leaving') {
      await tearDownJoin(core, net, ep, await sandboxOf(ep.sandboxId));
      store.attachEndpoint(ep.id, DETACHED, 'ready');
      repairs.push(`endpoint ${ep.name}: interrupted ${ep.state === 'joining' ? 'join undone' : 'leave completed'}`);
    }
  }
  for (const sb of store.unsettledSandboxes()) {
    for (const ep of store.endpointsInSandbox(sb.id)) {
      await tearDownJoin(core, store.networkById(ep.networkId)!, ep, await sandboxOf(sb.id));
      store.attachEndpoint(ep.id, DETACHED, 'ready');
    }
    if (!sb.external) await kernel.netnsDelete(sandboxNetnsName(sb.id));
    store.deleteSandbox(sb.id);
    repairs.push(`sandbox ${sb.name}: interrupted ${sb.state === 'creating' ? 'create undone' : 'delete completed'}`);
  }
  for (const net of store.networks()) {
    if (net.state === 'ready') continue;
    if (store.endpointCount(net.id) > 0) {
      store.setNetworkState(net.id, 'ready');
      repairs.push(`network ${net.name}: has endpoints, interrupted ${net.state} abandoned`);
      continue;
    }
    const driver = registry.get(net.driver);
    for (const step of driver.planDeleteNetwork?.(driverNetwork(store, net), core.driverCtx) ?? []) await step.run();
    await ipam.forgetNetwork(net.id);
    store.deleteNetwork(net.id);
    repairs.push(`network ${net.name}: interrupted ${net.state === 'creating' ? 'create undone' : 'delete completed'}`);
  }
  for (const r of repairs) core.log.warn({ repair: r }, 'recovered');
  return repairs;
}
