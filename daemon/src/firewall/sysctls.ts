import { familyOf } from '@patchbay/ip';
import { requireCidr } from './address.js';
import { effectiveHostIp, networksByBridge, portElements } from './elements.js';
import type { FirewallModel, FirewallNetwork } from './model.js';

/** Whether a network has an IPv6 subnet, kept per network object (the daemon keeps one per stored network). */
const ipv6Kept = new WeakMap<FirewallNetwork, boolean>();
function hasIpv6(network: FirewallNetwork): boolean {
  let v6 = ipv6Kept.get(network);
  if (v6 === undefined) {
    v6 = network.subnets.some((s) => requireCidr(s, `network ${network.name}`).family === 6);
    ipv6Kept.set(network, v6);
  }
  return v6;
}

/**
 * The sysctls the rules of `model` rely on, sorted by key. The caller sets them (honouring
 * --ip-forward); the firewall never does. route_localnet lets 127.0.0.1:PORT be DNATed out of a
 * bridge (no userland proxy); the ruleset drops loopback destinations arriving from bridges.
 */
export function requiredSysctls(model: FirewallModel): Record<string, string> {
  portElements(model); // validates the ports exactly as the renderer does
  const wanted: Record<string, string> = {};
  if (model.networks.length > 0) wanted['net.ipv4.ip_forward'] = '1';
  if (model.networks.some(hasIpv6)) {
    wanted['net.ipv6.conf.all.forwarding'] = '1';
    wanted['net.ipv6.conf.default.forwarding'] = '1';
  }
  const networks = networksByBridge(model.networks);
  for (const port of model.ports) {
    const network = networks.get(port.bridge)!;
    if (network.internal || familyOf(port.containerIp) === 6) continue;
    const hostIp = effectiveHostIp(port, network);
    if (hostIp === undefined || hostIp.startsWith('127.')) wanted[`net.ipv4.conf.${port.bridge}.route_localnet`] = '1';
  }
  return Object.fromEntries(Object.entries(wanted).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
