import type { NetworkDriver } from '../contract.js';
import { checkBridgeEndpoint, checkBridgeNetwork } from './check.js';
import { gatewayOps, planAttachBridge, planConfigureBridge, planLeaveBridge, teardownBridgeEndpoint } from './endpoint.js';
import { bridgeFirewallFacts, bridgeViewFacts, ownsBridgeLinkName } from './facts.js';
import { bridgeStateOf, planCreateBridge, planDeleteBridge } from './network.js';
import { validateBridgeOptions } from './options.js';

export const createBridgeDriver = () =>
  ({
    name: 'bridge',
    scope: 'local',
    usesIpam: true,
    singleton: false,
    validateOptions: (options, _network?: unknown, others?: Parameters<NetworkDriver['validateOptions']>[2]) => validateBridgeOptions(options, others),
    planCreateNetwork: planCreateBridge,
    planDeleteNetwork: planDeleteBridge,
    planAttach: planAttachBridge,
    planConfigure: planConfigureBridge,
    planLeave: (net, ep, sb, ctx, opts = {}) => planLeaveBridge(net, ep, sb, ctx, opts),
    teardownEndpoint: (_net, ep, _sb, ctx) => teardownBridgeEndpoint(ep, ctx),
    gatewayOps,
    hostInterface: (net) => bridgeStateOf(net).bridge,
    checkNetwork: checkBridgeNetwork,
    checkEndpoint: checkBridgeEndpoint,
    firewallFacts: bridgeFirewallFacts,
    viewFacts: bridgeViewFacts,
    ownsLinkName: ownsBridgeLinkName,
  }) satisfies NetworkDriver;
