import { hostVethFor } from '@patchbay/drivers';
import { driverNetwork, type Core } from './core.js';
import { sandboxNetnsName } from './sandboxes.js';

/**
 * Finish or undo what a crash interrupted. Rows carry their intent (state creating / joining /
 * leaving / deleting) from before the kernel was touched, and every teardown is idempotent,
 * so re-running it is always safe. Returns a description of every repair, for the log.
 */
export async function recoverInterrupted(core: Core): Promise<string[]> {
  const { store, kernel, registry, ipam } = core;
  const repairs: string[] = [];
  const linkDel = (name: string) => kernel.ip(null, [{ op: 'link.del', name }], { ignoreMissing: true });

  for (const ep of store.endpoints()) {
    // An interrupted connect (creating) or disconnect (deleting): the endpoint goes with its join.
    if (ep.state === 'creating' || ep.state === 'deleting') {
      await linkDel(ep.hostIf ?? hostVethFor(ep.id));
      store.tx(() => store.deleteEndpoint(ep.id));
      const net = store.networkById(ep.networkId);
      if (net) ipam.releaseEndpoint(net.id, net.name, [ep.ipv4, ep.ipv6]);
      repairs.push(`endpoint ${ep.name}: interrupted ${ep.state === 'creating' ? 'connect undone' : 'disconnect completed'}`);
    } else if (ep.state === 'joining' || ep.state === 'leaving') {
      await linkDel(ep.hostIf ?? hostVethFor(ep.id));
      store.attachEndpoint(ep.id, null, null, null, 'ready');
      repairs.push(`endpoint ${ep.name}: interrupted ${ep.state === 'joining' ? 'join undone' : 'leave completed'}`);
    }
  }
  for (const sb of store.sandboxes()) {
    if (sb.state === 'ready') continue;
    for (const ep of store.endpointsInSandbox(sb.id)) {
      await linkDel(ep.hostIf ?? hostVethFor(ep.id));
      store.attachEndpoint(ep.id, null, null, null, 'ready');
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
    for (const step of driver.planDeleteNetwork?.(driverNetwork(core, net), core.driverCtx) ?? []) await step.run();
    await ipam.forgetNetwork(net.id);
    store.deleteNetwork(net.id);
    repairs.push(`network ${net.name}: interrupted ${net.state === 'creating' ? 'create undone' : 'delete completed'}`);
  }
  for (const r of repairs) core.log.warn({ repair: r }, 'recovered');
  return repairs;
}
