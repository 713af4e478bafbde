import { PatchbayError } from '@patchbay/errors';
import type { DriverContext, DriverNetwork, NetworkDriver } from '../contract.js';
import { checkBridgeEndpoint, checkBridgeNetwork } from '../bridge/check.js';
import { gatewayOps, planAttachBridge, planConfigureBridge, planLeaveBridge, teardownBridgeEndpoint } from '../bridge/endpoint.js';
import { OPT } from '../bridge/options.js';
import { NETWORK_OPTIONS, checkNetworkOption } from '../options.js';

const BRIDGE_NAME_OPTION = OPT.name;
import { OVERLAY_LINK_PREFIXES, VXLAN_ID_OPTION } from './names.js';
import { checkVxlan, overlayMtu, overlayStateOf, planCreateOverlay, planDeleteOverlay } from './network.js';

export { overlayBridgeFor, overlayVxlanFor, VXLAN_ID_OPTION, VXLAN_OVERHEAD, VXLAN_PORT } from './names.js';

/** The bridge code sees an overlay network as a bridge network with this host's overlay MTU. */
const asBridge = (net: DriverNetwork, ctx: DriverContext): DriverNetwork => {
  const state = overlayStateOf(net);
  const options = { ...net.options, [NETWORK_OPTIONS.mtu]: String(overlayMtu(net, ctx)), [BRIDGE_NAME_OPTION]: state.bridge };
  return { ...net, options, state: { ...net.state, bridge: state.bridge, created: true } };
};

function validateOverlayOptions(options: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(options)) {
    if (key === VXLAN_ID_OPTION) {
      if (!/^\d+$/.test(value)) throw new PatchbayError('PB_ERR_INVALID_OPTION', `invalid value for option ${key}: "${value}": one VXLAN id`);
    } else checkNetworkOption(key, value);
  }
  return { ...options };
}

/**
 * overlay: a network shared by every host of the cluster (scope global). On each host a bridge
 * and a VXLAN device (VNI from the cluster store, UDP 4789, no learning, proxy ARP); endpoints
 * join the bridge as on a bridge network, and the cluster programs a permanent neighbour and FDB
 * entry for every remote endpoint. Ports are not published (as with Docker's overlay without
 * swarm's routing mesh); outbound traffic is masqueraded out of each host.
 */
export const createOverlayDriver = () =>
  ({
    name: 'overlay',
    scope: 'global',
    usesIpam: true,
    singleton: false,
    validateOptions: (options) => validateOverlayOptions(options),
    planCreateNetwork: planCreateOverlay,
    planDeleteNetwork: planDeleteOverlay,
    planAttach: (net, ep, target, ctx) => planAttachBridge(asBridge(net, ctx), ep, target, ctx),
    planConfigure: (net, ep, sb, spec, ctx) => planConfigureBridge(asBridge(net, ctx), ep, sb, spec, ctx),
    planLeave: (net, ep, sb, ctx, opts = {}) => planLeaveBridge(net, ep, sb, ctx, opts),
    teardownEndpoint: (_net, ep, _sb, ctx) => teardownBridgeEndpoint(ep, ctx),
    gatewayOps,
    hostInterface: (net) => overlayStateOf(net).bridge,
    networkLinks: (net) => [overlayStateOf(net).vxlan],
    checkNetwork: (net, root, ctx) => [...checkBridgeNetwork(asBridge(net, ctx), root, ctx), ...checkVxlan(net, root, ctx)],
    checkEndpoint: (net, ep, sb, view, ctx) => checkBridgeEndpoint(asBridge(net, ctx), ep, sb, view, ctx),
    firewallFacts: (net) => ({ hostInterface: overlayStateOf(net).bridge, icc: true, masquerade: true, publishesPorts: false }),
    viewFacts: (net) => ({ bridge: overlayStateOf(net).bridge }),
    ownsLinkName: (name) => OVERLAY_LINK_PREFIXES.some((p) => name.startsWith(p)),
  }) satisfies NetworkDriver;
