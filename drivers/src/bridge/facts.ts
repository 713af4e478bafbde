import type { DriverNetwork, FirewallFacts, ViewFacts } from '../contract.js';
import { PATCHBAY_LINK_PREFIXES } from './names.js';
import { bridgeStateOf } from './network.js';
import { OPT } from './options.js';

/** The firewall of a bridge network: its bridge, masquerade and ICC switches, the host binding of its ports. */
export function bridgeFirewallFacts(net: DriverNetwork): FirewallFacts {
  const hostBinding = net.options[OPT.hostBinding];
  return {
    hostInterface: bridgeStateOf(net).bridge,
    icc: net.options[OPT.icc] !== 'false',
    masquerade: net.options[OPT.masquerade] !== 'false',
    publishesPorts: true,
    ...(hostBinding && hostBinding !== '0.0.0.0' ? { hostBindingIpv4: hostBinding } : {}),
  };
}

export const bridgeViewFacts = (net: DriverNetwork): ViewFacts => ({ bridge: bridgeStateOf(net).bridge });

/** Bridges (pb-…) and host veths (pbv…) carry patchbay's names. */
export const ownsBridgeLinkName = (name: string) => PATCHBAY_LINK_PREFIXES.some((p) => name.startsWith(p));
