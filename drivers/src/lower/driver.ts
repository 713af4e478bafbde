import type { NetworkDriver } from '../contract.js';
import { planConfigureInside } from '../sandbox-config.js';
import { checkLowerEndpoint, lowerGatewayOps, planAttachLower, planLeaveLower, teardownLowerEndpoint } from './endpoint.js';
import { checkLowerNetwork, lowerStateOf, planCreateLower, planDeleteLower } from './network.js';
import { lowerMode, validateLowerOptions } from './options.js';
import type { LowerSpec } from './spec.js';

/**
 * A driver whose endpoints are links on a parent interface (macvlan, ipvlan): containers get
 * addresses on the parent's LAN. No firewall facts: nothing crosses the host, so no published
 * ports and no masquerade (the controller refuses ports on it).
 */
export function createLowerDriver(spec: LowerSpec) {
  const gatewayOps = (net: Parameters<typeof lowerGatewayOps>[1], ifName: string) => lowerGatewayOps(spec, net, ifName);
  return {
    name: spec.kind,
    scope: 'local',
    usesIpam: true,
    singleton: false,
    validateOptions: (options, _network, others) => validateLowerOptions(spec, options, others),
    planCreateNetwork: (net, ctx) => planCreateLower(spec, net, ctx),
    planDeleteNetwork: planDeleteLower,
    planAttach: (net, ep, target, ctx) => planAttachLower(spec, net, ep, target, ctx),
    planConfigure: (net, ep, sb, cfg, ctx) => planConfigureInside(net, ep, sb, cfg, ctx, gatewayOps),
    planLeave: (_net, ep, sb, ctx) => planLeaveLower(spec, ep, sb, ctx),
    teardownEndpoint: (_net, ep, sb, ctx) => teardownLowerEndpoint(ep, sb, ctx),
    gatewayOps,
    // the parent, when patchbay made it (a dummy or an 802.1Q sub-interface)
    hostInterface: (net) => (lowerStateOf(net).created ? lowerStateOf(net).parent : undefined),
    checkNetwork: checkLowerNetwork,
    checkEndpoint: (net, ep, sb, view, ctx) => checkLowerEndpoint(spec, net, ep, sb, view, ctx),
    endpointLimit: (net) => {
      const mode = lowerMode(spec, net);
      const max = spec.maxLinksPerParent(mode);
      return max === undefined ? undefined : { max, reason: `${spec.kind} mode ${mode} gives parent interface ${lowerStateOf(net).parent} to ${max} endpoint${max > 1 ? 's' : ''}` };
    },
    ownsLinkName: (name) => name.startsWith(spec.dummyPrefix),
  } satisfies NetworkDriver;
}
