import type { NetworkDriver } from '../contract.js';
import { gatewayOps, planJoinBridge, planLeaveBridge } from './endpoint.js';
import { bridgeStateOf, planCreateBridge, planDeleteBridge } from './network.js';
import { validateBridgeOptions } from './options.js';

export { OPT as BRIDGE_OPTIONS, optionBool, bridgeMtu } from './options.js';
export { bridgeNameFor, hostVethFor, PATCHBAY_LINK_PREFIXES } from './names.js';
export { bridgeStateOf, type BridgeState } from './network.js';
export { ifNameFor } from './endpoint.js';

export const createBridgeDriver = () =>
  ({
    name: 'bridge',
    usesIpam: true,
    singleton: false,
    validateOptions: (options) => validateBridgeOptions(options),
    planCreateNetwork: planCreateBridge,
    planDeleteNetwork: planDeleteBridge,
    planJoin: planJoinBridge,
    planLeave: (_net, ep, _sb, ctx) => planLeaveBridge(ep, ctx),
    gatewayOps,
    hostInterface: (net) => bridgeStateOf(net).bridge,
  }) satisfies NetworkDriver;
